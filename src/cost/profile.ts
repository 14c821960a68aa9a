// DeviceProfile: what the cost model knows about a device. It comes from the catalog, from
// calibration on the device, or from an offload server describing itself.

import type { DType } from '../ir/dtype.js';
import type { Figure } from './figure.js';

export type ProfileKind = 'cpu' | 'gpu' | 'accelerator' | 'webgpu' | 'wasm' | 'remote';

/** Peak arithmetic throughput classes; dtypes map onto them (see peakFlopsFor). */
export type PeakClass = 'f64' | 'f32' | 'f16' | 'bf16' | 'i8';

export interface DeviceProfile {
  id: string;
  name: string;
  kind: ProfileKind;
  vendor?: string;
  /** Peak FLOP/s per class, dense (no structured sparsity). */
  peakFlops: Partial<Record<PeakClass, Figure>>;
  /**
   * Sustained f32 matmul throughput measured at several kernel sizes (FLOPs of one kernel, FLOP/s),
   * ascending: small kernels run well below peak, on a big GPU by 10x or more. The roofline scales
   * every dtype's peak by the curve's fraction of its largest point at the kernel's size.
   */
  computeCurve?: { flops: number; flopsPerSec: number }[];
  /** Device memory bandwidth, bytes/s. */
  memBandwidth: Figure;
  /** Fixed cost per kernel launch / dispatch, seconds. */
  launchOverhead: Figure;
  /**
   * Fixed cost of running one unit, beyond its kernels, seconds: a GPU's submit and the wait for
   * the queue to finish, a worker pool's wake-up. Added once per unit by the estimator.
   */
  unitOverhead?: Figure;
  /**
   * What a unit costs the first time it runs, beyond its steady time (see first-run.ts): seconds
   * per kernel compiled (`compiles` says which kernels compile on this device: every one, a GPU's
   * pipelines; only fused elementwise ones, WASM's generated modules; none), seconds per unit and
   * per kernel on first use, and the rate weights are packed at (bytes/s), where kernels pack them.
   */
  firstRun?: {
    compiles: 'all' | 'elementwise' | 'none';
    compileKernel: Figure;
    firstUseUnit: Figure;
    firstUseKernel?: Figure;
    packBandwidth?: Figure;
    /**
     * A device's first run in a process, until one was measured here: the engine's JIT of the
     * backend's code, workers' first tasks, seconds.
     */
    processWarmup?: Figure;
  };
  /** Device memory capacity, bytes. */
  memCapacity: Figure;
  /** Largest single buffer binding, bytes (WebGPU maxStorageBufferBindingSize and the like). */
  maxBindingBytes?: Figure;
  /** Link to the host that drives it: bytes/s and seconds one way. */
  link: { bandwidth: Figure; latency: Figure };
  /** On-demand price, $/hour for one device; 0 for devices you already own. */
  pricePerHour: Figure;
  /** Op names or dialect prefixes ('agent.') this device cannot run. */
  unsupportedOps?: string[];
  unsupportedDtypes?: DType[];
  /**
   * The shared resource the device computes on ('host-cpu': WASM workers, the JavaScript
   * interpreter, a CPU-emulated GPU adapter). Devices naming the same one compete for it.
   */
  computesOn?: string;
  /**
   * Measured concurrency with other devices, by device id: how much faster a workload on each
   * finishes when both run at once than one after the other (2: independent, 1: no gain at all,
   * they share the same cores). The planner serialises devices that gain too little.
   */
  concurrency?: Record<string, Figure>;
  /** Where the profile as a whole came from. */
  origin: 'catalog' | 'calibrated' | 'server' | 'default';
  notes?: string[];
}

/** Throughput class a dtype computes in; integers below 32 bits use int8 paths, wider ones f32-rate ALUs. */
export function peakClassOf(dtype: DType): PeakClass {
  switch (dtype) {
    case 'float64':
      return 'f64';
    case 'float16':
      return 'f16';
    case 'int8':
    case 'uint8':
      return 'i8';
    default:
      return 'f32';
  }
}

/** Peak FLOP/s for a dtype, falling back to the f32 figure (and then to any figure) when absent. */
export function peakFlopsFor(p: DeviceProfile, dtype: DType): number {
  const c = peakClassOf(dtype);
  const f = p.peakFlops[c] ?? p.peakFlops.f32 ?? Object.values(p.peakFlops)[0];
  if (!f || !(f.value > 0)) throw new Error(`profile ${p.id} has no peak FLOP/s figure`);
  return f.value;
}

export function supportsOp(p: DeviceProfile, op: string): boolean {
  return !(p.unsupportedOps ?? []).some((u) => (u.endsWith('.') ? op.startsWith(u) : op === u));
}

/**
 * Fraction of peak a kernel of `flops` reaches, from the profile's compute curve: log-log
 * interpolation between measured sizes, flat beyond the ends; 1 without a curve.
 */
export function sizeEfficiency(p: DeviceProfile, flops: number): number {
  const c = p.computeCurve;
  if (!c || c.length < 2 || !(flops > 0)) return 1;
  const top = Math.max(...c.map((x) => x.flopsPerSec));
  if (!(top > 0 && Number.isFinite(top))) return 1;
  if (flops <= c[0]!.flops) return c[0]!.flopsPerSec / top;
  for (let i = 1; i < c.length; i++) {
    const a = c[i - 1]!,
      b = c[i]!;
    if (flops <= b.flops) {
      const t = Math.log(flops / a.flops) / Math.log(b.flops / a.flops);
      return Math.exp(Math.log(a.flopsPerSec) + t * (Math.log(b.flopsPerSec) - Math.log(a.flopsPerSec))) / top;
    }
  }
  return c[c.length - 1]!.flopsPerSec / top;
}
