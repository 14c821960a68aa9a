// Estimator: time of a piece of work on a device = roofline estimate, corrected by history.
// In order: the unit itself measured on the device; every kernel in it measured (their sum plus
// the unit's fixed cost); the device's curve re-fit from the units that ran on it (device-fit.ts);
// the roofline scaled by the device's measured/estimated ratio; the roofline as calibrated.

import { predictFit } from './device-fit.js';
import { KernelHistory } from './history.js';
import type { DeviceProfile } from './profile.js';
import { DEFAULT_EFFICIENCY, type Efficiency, roofline } from './roofline.js';
import type { Work } from './work.js';

/** Largest mean relative error of a device fit that the estimator uses. */
export const FIT_TRUSTED = 0.5;

export type EstimateSource = 'measured' | 'fitted' | 'scaled' | 'roofline';
export interface Estimate {
  ms: number;
  rooflineMs: number;
  bound: string;
  source: EstimateSource;
}

export class Estimator {
  constructor(
    readonly history = new KernelHistory(),
    readonly efficiency: Efficiency = DEFAULT_EFFICIENCY,
  ) {}

  /** signatures: the op signatures making up the work, for history lookups (sum of parts when all seen). */
  estimate(work: Work, p: DeviceProfile, signatures: string[] = []): Estimate {
    const r = roofline(work, p, this.efficiency);
    // a unit's fixed cost (submit and wait) is paid once, whatever the kernels inside; the
    // history holds kernel times with it taken out (see unitOverheadMs)
    const unitMs = unitOverheadMs(p);
    const base = { rooflineMs: r.ms + unitMs, bound: r.bound };
    const whole = signatures.length ? this.history.lookupUnit(p.id, signatures) : undefined;
    if (whole) return { ms: whole.ms, ...base, source: 'measured' };
    const seen = signatures.map((s) => this.history.lookup(s, p.id));
    if (signatures.length && seen.every((e) => e)) {
      return { ms: seen.reduce((a, e) => a + e!.ms, 0) + unitMs, ...base, source: 'measured' };
    }
    const fit = this.history.deviceFit(p.id, r.bound);
    // a line that does not explain the device's own points (to 50% on average) is no better than its ratio
    if (fit && fit.meanError < FIT_TRUSTED) return { ms: predictFit(fit, r.ms), ...base, source: 'fitted' };
    const ratio = this.history.deviceRatio(p.id);
    return { ms: r.ms * ratio + unitMs, ...base, source: ratio === 1 ? 'roofline' : 'scaled' };
  }
}

/** The profile's fixed cost per unit run, ms (0 when the profile has none). */
export function unitOverheadMs(p: DeviceProfile): number {
  return (p.unitOverhead?.value ?? 0) * 1e3;
}
