// What the device did, counted: dispatches, submits, compute passes, and the GPU objects created
// (pipelines, bind groups, buffers). Benchmarks print dispatches per layer and per token from
// these; tests assert that a warm decode step creates nothing. Per unit: dispatches per run and
// per kernel label, so a report can say which kernels a layer is made of.

export interface GpuCounters {
  runs: number;
  dispatches: number;
  submits: number;
  computePasses: number;
  pipelinesCreated: number;
  bindGroupsCreated: number;
  buffersCreated: number;
  uploads: number;
  readbacks: number;
}

export function zeroCounters(): GpuCounters {
  return {
    runs: 0,
    dispatches: 0,
    submits: 0,
    computePasses: 0,
    pipelinesCreated: 0,
    bindGroupsCreated: 0,
    buffersCreated: 0,
    uploads: 0,
    readbacks: 0,
  };
}

/** b - a, field by field (what happened between two snapshots). */
export function counterDelta(a: GpuCounters, b: GpuCounters): GpuCounters {
  const d = zeroCounters();
  for (const k of Object.keys(d) as (keyof GpuCounters)[]) d[k] = b[k] - a[k];
  return d;
}

/** A unit's dispatches: the last run's count and how often each kernel ran in it. */
export class UnitCounters {
  runs = 0;
  dispatches = 0;
  lastRunDispatches = 0;
  lastRunKernels = new Map<string, number>();
  private current = new Map<string, number>();
  private currentCount = 0;

  beginRun(): void {
    this.current = new Map();
    this.currentCount = 0;
  }
  dispatched(label: string): void {
    this.currentCount++;
    this.current.set(label, (this.current.get(label) ?? 0) + 1);
  }
  endRun(): void {
    this.runs++;
    this.dispatches += this.currentCount;
    this.lastRunDispatches = this.currentCount;
    this.lastRunKernels = this.current;
  }
}

/** The kernel family of a label ('matmul:64x64 f32' -> 'matmul'), for per-kernel tables. */
export function kernelFamilyOf(label: string): string {
  return label.split(/[:\s(]/)[0] || label;
}
