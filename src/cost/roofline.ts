// Roofline estimate: a kernel takes as long as the slower of its arithmetic at peak and its
// memory traffic at full bandwidth, plus a fixed launch overhead per kernel.

import type { DeviceProfile } from './profile.js';
import { peakFlopsFor, sizeEfficiency } from './profile.js';
import type { Work } from './work.js';

export interface RooflineEstimate {
  ms: number;
  computeMs: number;
  memoryMs: number;
  overheadMs: number;
  bound: 'compute' | 'memory' | 'overhead';
}

/** Fractions of peak reachable in practice; applied equally to every device so comparisons hold. */
export interface Efficiency {
  compute: number;
  memory: number;
}
export const DEFAULT_EFFICIENCY: Efficiency = { compute: 1, memory: 1 };

export function roofline(w: Work, p: DeviceProfile, eff: Efficiency = DEFAULT_EFFICIENCY): RooflineEstimate {
  // a small kernel reaches only part of peak (measured per size where the profile has a curve)
  const computeMs =
    w.flops > 0 ? (w.flops / (peakFlopsFor(p, w.dtype) * eff.compute * sizeEfficiency(p, w.flops))) * 1e3 : 0;
  const memoryMs = w.bytes > 0 ? (w.bytes / (p.memBandwidth.value * eff.memory)) * 1e3 : 0;
  const overheadMs = w.launches * p.launchOverhead.value * 1e3;
  const body = Math.max(computeMs, memoryMs);
  const bound = overheadMs > body ? 'overhead' : computeMs >= memoryMs ? 'compute' : 'memory';
  return { ms: body + overheadMs, computeMs, memoryMs, overheadMs, bound };
}
