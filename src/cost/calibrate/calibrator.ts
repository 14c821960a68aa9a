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
  /** Copy bandwidth, GB/s (bytes read + written per second / 1e9). */
  copyGBs?: number;
  /** Fixed cost per kernel dispatch, microseconds. */
  dispatchUs?: number;
  /** Host <-> device transfer bandwidth, GB/s, and latency, microseconds. */
  uploadGBs?: number;
  uploadLatencyUs?: number;
}

export interface CalibrationStep {
  name: string;
  run(): Promise<Measurements> | Measurements;
}

export interface Calibrator {
  /** Device id the profile is cached under ('cpu', 'wasm', 'webgpu:<adapter>'). */
  readonly device: string;
  readonly description: string;
  /** Profile to start from; measured figures replace its estimates. */
  base(): DeviceProfile;
  steps(): CalibrationStep[];
}

export type ProgressFn = (done: number, total: number, step: string) => void;

function merge(into: Measurements, m: Measurements): void {
  for (const [d, g] of Object.entries(m.matmulGflops ?? {})) {
    const cur = into.matmulGflops?.[d as DType] ?? 0;
    (into.matmulGflops ??= {})[d as DType] = Math.max(cur, g);
  }
  if (m.copyGBs !== undefined) into.copyGBs = Math.max(into.copyGBs ?? 0, m.copyGBs);
  if (m.uploadGBs !== undefined) into.uploadGBs = Math.max(into.uploadGBs ?? 0, m.uploadGBs);
  if (m.dispatchUs !== undefined) into.dispatchUs = Math.min(into.dispatchUs ?? Infinity, m.dispatchUs);
  if (m.uploadLatencyUs !== undefined) into.uploadLatencyUs = Math.min(into.uploadLatencyUs ?? Infinity, m.uploadLatencyUs);
}

export function applyMeasurements(base: DeviceProfile, m: Measurements, when = new Date()): DeviceProfile {
  const src = `calibrated ${when.toISOString()}`;
  const p: DeviceProfile = structuredClone(base);
  p.origin = 'calibrated';
  for (const [d, g] of Object.entries(m.matmulGflops ?? {})) p.peakFlops[peakClassOf(d as DType)] = fig(g * 1e9, src, { note: 'sustained matmul' });
  if (m.copyGBs) p.memBandwidth = fig(m.copyGBs * 1e9, src, { note: 'copy' });
  if (m.dispatchUs !== undefined) p.launchOverhead = fig(m.dispatchUs * 1e-6, src);
  if (m.uploadGBs) p.link.bandwidth = fig(m.uploadGBs * 1e9, src);
  if (m.uploadLatencyUs !== undefined) p.link.latency = fig(m.uploadLatencyUs * 1e-6, src);
  return p;
}

export async function calibrate(c: Calibrator, onProgress?: ProgressFn): Promise<{ profile: DeviceProfile; measurements: Measurements }> {
  const steps = c.steps();
  const m: Measurements = {};
  onProgress?.(0, steps.length, steps[0]?.name ?? '');
  for (let i = 0; i < steps.length; i++) {
    merge(m, await steps[i]!.run());
    onProgress?.(i + 1, steps.length, steps[i + 1]?.name ?? 'done');
  }
  return { profile: applyMeasurements(c.base(), m), measurements: m };
}

const REGISTRY = new Map<string, () => Calibrator>();

export function registerCalibrator(id: string, make: () => Calibrator): void {
  REGISTRY.set(id, make);
}

export function getCalibrator(id: string): Calibrator {
  const make = REGISTRY.get(id);
  if (!make) throw new Error(`no calibrator for device '${id}'; available: ${[...REGISTRY.keys()].join(', ') || 'none'}`);
  return make();
}

export function calibratorIds(): string[] { return [...REGISTRY.keys()]; }
