// What `auto` learns from a run: measured unit times into the kernel history (split over a unit's
// nodes by roofline share) and the device curves, transfer times into the link history, the
// executor's own per-run cost, and how far the first run's extra was from its prediction.

import { unitOverheadMs } from '../cost/estimator.js';
import type { FirstRunEstimate } from '../cost/first-run.js';
import type { KernelHistory } from '../cost/history.js';
import { roofline } from '../cost/roofline.js';
import { opSignature } from '../cost/signature.js';
import { nodeWork, type Work } from '../cost/work.js';
import type { Plan } from '../planner/index.js';
import type { PlacedUnit } from '../planner/units.js';
import type { DeviceEntry } from './devices.js';
import type { LinkHistory } from './link-history.js';
import type { RunReport } from './run-report.js';

export interface LearnContext {
  /** The executor's units (merged chains list their plan units as tasks). */
  placed: readonly PlacedUnit[];
  entries: readonly DeviceEntry[];
  history: KernelHistory;
  /** Signatures of each plan unit (the keys its measured times are kept under). */
  unitSigs: Map<string, string[]>;
  /** The work of each plan unit, as the estimator saw it. */
  unitWorks: Map<string, Work>;
  links: LinkHistory;
  /** Re-plan when the learned time is off the prediction by this factor. */
  drift: number;
}

/** Fold measured unit times into the history, split across the unit's nodes by roofline share; returns what drifted. */
export function learnFromRun(ctx: LearnContext, report: RunReport): string[] {
  const { placed, entries, history, unitSigs, unitWorks, links, drift } = ctx;
  const drifted: string[] = [];
  for (const u of report.units) {
    const p = placed.find((x) => x.id === u.unit)!;
    const prof = entries.find((e) => e.device.id === u.device)!.profile;
    const ests = p.unit.nodes.map((n) => roofline(nodeWork(n), prof).ms);
    const total = ests.reduce((a, b) => a + b, 0) || 1;
    const measured = u.endMs - u.startMs;
    // the history holds kernel time: the unit's fixed cost comes off first (the estimator adds it back once)
    const kernels = Math.max(measured * 0.1, measured - unitOverheadMs(prof));
    p.unit.nodes.forEach((n, i) => history.record(opSignature(n), u.device, (kernels * ests[i]!) / total, ests[i]!));
    // the plan's own units, whole (a merged chain split by roofline share): the device curve's points
    const tasks = u.tasks ?? [u.unit];
    const works = tasks.map((t) => unitWorks.get(t));
    const share = works.map((w) => (w ? roofline(w, prof) : undefined));
    const all = share.reduce((a, r) => a + (r?.ms ?? 0), 0) || 1;
    tasks.forEach((t, i) => {
      const sigs = unitSigs.get(t),
        r = share[i];
      if (sigs && r) history.recordUnit(u.device, sigs, (measured * r.ms) / all, r.ms, r.bound);
    });
    // a drift worth re-planning for: the history's running mean (not one noisy run) off by the
    // factor, and by more than a millisecond
    const learned =
      p.unit.nodes.reduce((a, n) => a + (history.lookup(opSignature(n), u.device)?.ms ?? 0), 0) + unitOverheadMs(prof);
    const off = learned > drift * u.predictedMs || learned * drift < u.predictedMs;
    if (u.device === p.device && off && Math.abs(learned - u.predictedMs) > 1)
      drifted.push(
        `${u.unit} on ${u.device} ${learned.toFixed(1)} ms (mean of runs), predicted ${u.predictedMs.toFixed(1)}`,
      );
  }
  history.flush();
  // transfers: links scaled by what they measured (waits included), for the next plan
  const slowLinks = links.record(report.transfers, (id) => entries.find((e) => e.device.id === id)?.profile, drift);
  for (const d of slowLinks) drifted.push(`transfers of ${d} ${links.ratioOf(d).toFixed(1)}x the link's prediction`);
  return drifted;
}

/**
 * What the run took beyond the schedule re-predicted from it (its units and transfers as
 * measured), per unit: the executor's own turns, and the session's (learning from the run and
 * re-predicting the plan, which a caller waits for as well). `wallMs`: the whole run, as the
 * caller saw it.
 */
export function learnRunOverhead(
  history: KernelHistory,
  host: string,
  plan: Plan,
  units: number,
  wallMs: number,
): void {
  const outside = wallMs - plan.makespanMs;
  if (units) history.recordRunOverhead(host, Math.max(0, outside) / units);
}

/**
 * Fold the measured first-run extra into the history. Where devices ran for the first time in
 * this process (`warmup`: what was predicted for their warm-up), what the run took beyond the
 * plan's own extra is their warm-up, split evenly; the per-plan ratio is learned from warm
 * devices' first runs only, split over devices by their predicted share.
 */
export function learnFirstRun(
  history: KernelHistory,
  firstByDevice: Map<string, FirstRunEstimate>,
  extraMs: number,
  warmup: ReadonlyMap<string, number> = new Map(),
): void {
  if (!(extraMs > 0)) return;
  if (warmup.size) {
    const planExtra = [...firstByDevice].reduce((a, [dev, f]) => a + f.ms - (warmup.get(dev) ?? 0), 0);
    const beyond = Math.max(0, extraMs - planExtra) / warmup.size;
    for (const dev of warmup.keys()) history.recordProcessWarmup(dev, beyond);
    history.flush();
    return;
  }
  const total = [...firstByDevice.values()].reduce((a, f) => a + f.ms, 0);
  if (!(total > 0)) return;
  for (const [dev, f] of firstByDevice)
    if (f.ms > 0) {
      const share = (extraMs * f.ms) / total;
      // the scales the prediction was made with come off: the history keeps raw measured/default
      history.recordFirstRun(dev, share, f.raw ? f.raw.fixed + f.raw.bytes : f.ms / history.firstRunRatio(dev));
      if (f.raw) history.recordFirstRunParts(dev, f.raw.fixed, f.raw.bytes, share);
    }
  history.flush();
}
