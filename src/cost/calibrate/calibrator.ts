// The calibration interface. A backend plugs in a Calibrator: a base profile plus a list of
// micro-benchmark steps (peak matmul throughput, copy bandwidth, dispatch overhead, anything
// else). `calibrate` runs the steps, reports progress, and folds the measurements into a profile.
// The WASM and WebGPU backends register theirs with registerCalibrator.

import type { DType } from '../../ir/dtype.js';
import { fig } from '../figure.js';
import type { DeviceProfile } from '../profile.js';
import { peakClassOf } from '../profile.js';

/** What steps measure. Each step fills some fields; the best (highest throughput, lowest overhead) wins. */
export interface Measurements {
  /** Sustained matmul GFLOP/s per dtype. */
  matmulGflops?: Partial<Record<DType, number>>;
  /** Sustained f32 matmul GFLOP/s at given kernel sizes (FLOPs of one matmul): the compute curve. */
  matmulCurve?: { flops: number; gflops: number }[];
  /** Copy bandwidth, GB/s (bytes read + written per second / 1e9). */
  copyGBs?: number;
  /** Fixed cost per kernel dispatch, microseconds. */
  dispatchUs?: number;
  /** Host -> device transfer bandwidth, GB/s, and latency, microseconds. */
  uploadGBs?: number;
  uploadLatencyUs?: number;
  /** Device -> host transfer bandwidth, GB/s, and latency, microseconds. */
  readbackGBs?: number;
  readbackLatencyUs?: number;
  /** Fixed cost of one unit run beyond its kernels (submit and completion wait), microseconds. */
  unitUs?: number;
  /** Compiling one kernel the first time (a pipeline, a module), microseconds: each kernel timed, the median kept. */
  compileKernelUs?: number[];
}

/**
 * Part of every calibrator's config: bumped when what calibration measures changes (2: the compute
 * curve; 3-5: kernel compile time), so profiles cached by an older version are measured again.
 */
export const CALIBRATION_VERSION = 'cal=5';

export interface CalibrationStep {
  name: string;
  run(): Promise<Measurements> | Measurements;
}

export interface Calibrator {
  /** Device id the profile is cached under ('cpu', 'wasm', 'webgpu'). */
  readonly device: string;
  /**
   * What else must match for a cached profile to apply to a device ('threads=2', 'adapter=google
   * swiftshader'); known after `prepare`.
   */
  readonly config?: string;
  readonly description: string;
  /** Open what the steps need (a GPU device) before the first step. */
  prepare?(): Promise<void>;
  /** Profile to start from; measured figures replace its estimates. */
  base(): DeviceProfile;
  steps(): CalibrationStep[];
  /** Close what `prepare` opened (never a device that was handed in). */
  dispose?(): Promise<void>;
}

/**
 * What a calibrator is made for: the device id asked for ('webgpu:llvmpipe' picks an adapter) and,
 * when the runtime already opened it, the device itself, so the measurements are of that device
 * (its thread count, its adapter) rather than of a default one.
 */
export interface CalibrationContext {
  id: string;
  device?: unknown;
  /** Smaller benchmarks (the CLI's --quick). */
  quick?: boolean;
}

export type ProgressFn = (done: number, total: number, step: string) => void;

/** Two devices measured alone and at once (see src/runtime/contention.ts). */
export interface PairMeasurement {
  /** Wall time of each device's workload alone, ms. */
  aloneMs: [number, number];
  /** Wall time until both finished when started together, ms. */
  togetherMs: number;
  /** (alone a + alone b) / together: 2 = independent, 1 = no gain from running both at once. */
  speedup: number;
}

function merge(into: Measurements, m: Measurements): void {
  for (const [d, g] of Object.entries(m.matmulGflops ?? {})) {
    const cur = into.matmulGflops?.[d as DType] ?? 0;
    (into.matmulGflops ??= {})[d as DType] = Math.max(cur, g);
  }
  for (const pt of m.matmulCurve ?? []) (into.matmulCurve ??= []).push(pt);
  for (const c of m.compileKernelUs ?? []) (into.compileKernelUs ??= []).push(c);
  if (m.copyGBs !== undefined) into.copyGBs = Math.max(into.copyGBs ?? 0, m.copyGBs);
  if (m.uploadGBs !== undefined) into.uploadGBs = Math.max(into.uploadGBs ?? 0, m.uploadGBs);
  if (m.readbackGBs !== undefined) into.readbackGBs = Math.max(into.readbackGBs ?? 0, m.readbackGBs);
  if (m.readbackLatencyUs !== undefined)
    into.readbackLatencyUs = Math.min(into.readbackLatencyUs ?? Infinity, m.readbackLatencyUs);
  if (m.unitUs !== undefined) into.unitUs = Math.min(into.unitUs ?? Infinity, m.unitUs);
  if (m.dispatchUs !== undefined) into.dispatchUs = Math.min(into.dispatchUs ?? Infinity, m.dispatchUs);
  if (m.uploadLatencyUs !== undefined)
    into.uploadLatencyUs = Math.min(into.uploadLatencyUs ?? Infinity, m.uploadLatencyUs);
}

export function applyMeasurements(base: DeviceProfile, m: Measurements, when = new Date()): DeviceProfile {
  const src = `calibrated ${when.toISOString()}`;
  const p: DeviceProfile = structuredClone(base);
  p.origin = 'calibrated';
  for (const [d, g] of Object.entries(m.matmulGflops ?? {}))
    p.peakFlops[peakClassOf(d as DType)] = fig(g * 1e9, src, { note: 'sustained matmul' });
  // one point per size (the best where a size was measured twice), ascending; rates never fall
  // with size (a dip is noise, and a larger kernel can always be split)
  const bySize = new Map<number, number>();
  for (const pt of m.matmulCurve ?? []) {
    if (!(pt.flops > 0 && pt.gflops > 0 && Number.isFinite(pt.gflops))) continue; // a run too short to time
    // the roofline adds the per-dispatch cost on its own: take it out of each measured kernel
    const ms = pt.flops / (pt.gflops * 1e6),
      dispatchMs = (m.dispatchUs ?? 0) / 1e3;
    const gflops = pt.flops / (Math.max(ms - dispatchMs, ms / 2) * 1e6);
    bySize.set(pt.flops, Math.max(bySize.get(pt.flops) ?? 0, gflops));
  }
  if (bySize.size >= 2) {
    let best = 0;
    p.computeCurve = [...bySize]
      .sort((a, b) => a[0] - b[0])
      .map(([flops, g]) => ({ flops, flopsPerSec: (best = Math.max(best, g * 1e9)) }));
  }
  if (m.copyGBs) p.memBandwidth = fig(m.copyGBs * 1e9, src, { note: 'copy' });
  if (m.dispatchUs !== undefined) p.launchOverhead = fig(m.dispatchUs * 1e-6, src);
  // the model has one link per device for both directions: a value crossing devices goes down
  // one link and up another, so the link is the mean of the two directions measured
  const up = m.uploadGBs,
    down = m.readbackGBs;
  if (up && down)
    p.link.bandwidth = fig((2 / (1 / up + 1 / down)) * 1e9, src, {
      note: `upload ${up.toPrecision(3)} GB/s, readback ${down.toPrecision(3)} GB/s (harmonic mean)`,
    });
  else if (up || down) p.link.bandwidth = fig((up ?? down)! * 1e9, src, { note: up ? 'upload' : 'readback' });
  const ul = m.uploadLatencyUs,
    dl = m.readbackLatencyUs;
  if (ul !== undefined && dl !== undefined)
    p.link.latency = fig(((ul + dl) / 2) * 1e-6, src, {
      note: `upload ${ul.toFixed(0)} us, readback ${dl.toFixed(0)} us (mean)`,
    });
  else if (ul !== undefined || dl !== undefined) p.link.latency = fig((ul ?? dl)! * 1e-6, src);
  const compiles = (m.compileKernelUs ?? []).filter((x) => x > 0).sort((a, b) => a - b);
  if (compiles.length && p.firstRun)
    p.firstRun.compileKernel = fig(compiles[compiles.length >> 1]! * 1e-6, src, {
      note: 'first create of a kernel: its pipeline or module compiled',
    });
  if (m.unitUs !== undefined)
    p.unitOverhead = fig(m.unitUs * 1e-6, src, { note: 'one run of a one-kernel unit, less the kernel' });
  return p;
}

export async function calibrate(
  c: Calibrator,
  onProgress?: ProgressFn,
): Promise<{ profile: DeviceProfile; measurements: Measurements }> {
  if (c.prepare) {
    onProgress?.(0, 1, `opening ${c.device}`);
    await c.prepare();
  }
  try {
    const steps = c.steps();
    const m: Measurements = {};
    onProgress?.(0, steps.length, steps[0]?.name ?? '');
    for (let i = 0; i < steps.length; i++) {
      merge(m, await steps[i]!.run());
      onProgress?.(i + 1, steps.length, steps[i + 1]?.name ?? 'done');
    }
    const profile = applyMeasurements(c.base(), m);
    (profile.notes ??= []).push(`calibrated: ${c.description}${c.config ? ` (${c.config})` : ''}`);
    return { profile, measurements: m };
  } finally {
    await c.dispose?.();
  }
}

const REGISTRY = new Map<string, (ctx: CalibrationContext) => Calibrator>();

/** id: a device id ('wasm') or kind ('webgpu'): 'webgpu:llvmpipe' finds the 'webgpu' calibrator. */
export function registerCalibrator(id: string, make: (ctx: CalibrationContext) => Calibrator): void {
  REGISTRY.set(id, make);
}

/** The registered id that serves a device id: itself, or the part before ':'. */
export function calibratorFor(id: string): string | undefined {
  if (REGISTRY.has(id)) return id;
  const kind = id.split(':')[0]!;
  return REGISTRY.has(kind) ? kind : undefined;
}

export function getCalibrator(id: string, ctx: Partial<CalibrationContext> = {}): Calibrator {
  const key = calibratorFor(id);
  if (!key)
    throw new Error(`no calibrator for device '${id}'; available: ${[...REGISTRY.keys()].join(', ') || 'none'}`);
  return REGISTRY.get(key)!({ id, ...ctx });
}

export function calibratorIds(): string[] {
  return [...REGISTRY.keys()];
}
