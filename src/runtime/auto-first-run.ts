// The first-run prediction of a new executor under `auto`: what compiling, uploading, packing and
// first uses add to a steady run, per unit and per device (devices keep what they compiled); and
// on a device's first run in this process, its warm-up (the engine's JIT of that backend, workers
// starting, a GPU driver's first pipelines), learned per device apart from the per-plan ratio.

import { addFirstRun, type FirstRunEstimate, firstRunOf, NO_FIRST_RUN } from '../cost/first-run.js';
import type { KernelHistory } from '../cost/history.js';
import type { FirstRunPrediction } from '../planner/plan.js';
import type { PlacedUnit } from '../planner/units.js';
import type { DeviceEntry } from './devices.js';

/** Devices (ids) that finished a first run in this process: warm, no process warm-up left to pay. */
export const WARM_DEVICES = new Set<string>();

/**
 * The first-run extra of each unit and, summed, of each device; `warmup`: the process warm-up
 * included for each device not yet warm (its first unit carries it). `compiledKeys` holds what each
 * device has compiled this session; the keys this plan compiles are added to it.
 */
export function predictFirstRunByDevice(
  planUnits: readonly PlacedUnit[],
  live: readonly DeviceEntry[],
  compiledKeys: Map<string, Set<string>>,
  history: KernelHistory,
  host: string,
  warm: ReadonlySet<string> = WARM_DEVICES,
): { byDevice: Map<string, FirstRunEstimate>; byUnit: Map<string, number>; warmup: Map<string, number> } {
  const byDevice = new Map<string, FirstRunEstimate>();
  const byUnit = new Map<string, number>();
  const warmup = new Map<string, number>();
  for (const u of planUnits) {
    const e = live.find((x) => x.device.id === u.device);
    if (!e) continue;
    const keys = compiledKeys.get(u.device) ?? new Set<string>();
    compiledKeys.set(u.device, keys);
    const f = firstRunOf(u.unit.nodes, e.profile, keys, history.firstRunScales(u.device), u.device === host);
    if (!warm.has(u.device) && !warmup.has(u.device)) {
      const w = history.processWarmupMs(u.device) ?? (e.profile.firstRun?.processWarmup?.value ?? 0) * 1e3;
      warmup.set(u.device, w);
      f.firstUseMs += w;
      f.ms += w;
    }
    byUnit.set(u.id, f.ms);
    byDevice.set(u.device, addFirstRun(byDevice.get(u.device) ?? NO_FIRST_RUN, f));
  }
  return { byDevice, byUnit, warmup };
}

/** The plan's first-run prediction: the steady prediction plus every device's extra. */
export function predictFirstRun(
  steadyMs: number,
  planUnits: readonly PlacedUnit[],
  byDevice: Map<string, FirstRunEstimate>,
  byUnit: Map<string, number>,
): FirstRunPrediction {
  // compiling and first uses run on the host's thread one after another: the extras add up
  const t = [...byDevice.values()].reduce(addFirstRun, NO_FIRST_RUN);
  const units = Object.fromEntries(planUnits.map((u) => [u.id, byDevice.size ? (byUnit.get(u.id) ?? 0) : 0]));
  return {
    ms: steadyMs + t.ms,
    extraMs: t.ms,
    compileMs: t.compileMs,
    uploadMs: t.uploadMs,
    packMs: t.packMs,
    firstUseMs: t.firstUseMs,
    units,
  };
}
