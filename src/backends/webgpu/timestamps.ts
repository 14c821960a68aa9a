// GPU time per kernel from timestamp queries, where the adapter has `timestamp-query`. Profiling
// puts each dispatch in its own compute pass with begin/end timestamps (passes are what the spec
// times), resolves the query set at the submit and adds the durations up per kernel label; the
// extra passes make a profiled run slower, so profiling is opt-in and apart from timed runs.

import { BUFFER, MAP_READ } from './flags.js';

const QUERY_RESOLVE = 0x200; // GPUBufferUsage.QUERY_RESOLVE

export interface KernelTime {
  label: string;
  count: number;
  gpuMs: number;
}

export class KernelTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private labels: string[] = [];
  private pending: Promise<void>[] = [];
  readonly totals = new Map<string, { count: number; ns: number }>();

  constructor(
    private readonly device: GPUDevice,
    readonly capacity = 2048, // 4096 queries: the most a query set may hold
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: capacity * 2 });
    this.resolve = device.createBuffer({ size: capacity * 16, usage: QUERY_RESOLVE | BUFFER.COPY_SRC });
  }

  /** Pass descriptor timing the next dispatch, or undefined when this submit's queries are used up. */
  passFor(label: string): GPUComputePassDescriptor | undefined {
    const i = this.labels.length;
    if (i >= this.capacity) return undefined;
    this.labels.push(label);
    return {
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    };
  }

  /** Before finishing the encoder: resolve this submit's timestamps into a buffer read after it. */
  resolveInto(encoder: GPUCommandEncoder): (() => void) | undefined {
    const labels = this.labels;
    if (!labels.length) return undefined;
    this.labels = [];
    const bytes = labels.length * 16;
    const read = this.device.createBuffer({ size: bytes, usage: MAP_READ | BUFFER.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, labels.length * 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, read, 0, bytes);
    return () => {
      this.pending.push(
        read.mapAsync(MAP_READ).then(() => {
          const t = new BigUint64Array(read.getMappedRange().slice(0));
          labels.forEach((label, k) => {
            const ns = Number(t[2 * k + 1]! - t[2 * k]!);
            const e = this.totals.get(label) ?? { count: 0, ns: 0 };
            e.count++;
            e.ns += ns > 0 ? ns : 0;
            this.totals.set(label, e);
          });
          read.unmap();
          read.destroy();
        }),
      );
    };
  }

  /** Per-kernel totals of everything submitted so far, slowest first. */
  async times(): Promise<KernelTime[]> {
    await Promise.all(this.pending);
    this.pending = [];
    return [...this.totals]
      .map(([label, e]) => ({ label, count: e.count, gpuMs: e.ns / 1e6 }))
      .sort((a, b) => b.gpuMs - a.gpuMs);
  }

  reset(): void {
    this.totals.clear();
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}
