// Size-bucketed pool of GPU buffers. Sizes round up to a bucket (4 per power of two, so at most
// 25% waste), freed buffers wait in a per-bucket free list, and a buffer freed while commands that
// use it are still being encoded only becomes reusable after that encoder is submitted: a
// queue.writeBuffer into it would otherwise land before those commands run. A bucket hands out its
// oldest free buffer first (lowest creation number), so the buffers a run gets depend on which
// are free, not on the order they came back: the same run gets the same buffers, and the bind
// groups cached for them are hit (a warm decode step creates no GPU objects).

export interface PoolStats {
  allocated: number;
  allocatedBytes: number;
  reused: number;
  freeBytes: number;
}

export function bucketSize(bytes: number): number {
  const b = Math.max(16, bytes);
  if (b <= 256) return Math.ceil(b / 16) * 16;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private live = new Set<GPUBuffer>();
  private readonly order = new WeakMap<GPUBuffer, number>();
  private created = 0;
  readonly stats: PoolStats = { allocated: 0, allocatedBytes: 0, reused: 0, freeBytes: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly maxBytes: number,
  ) {}

  acquire(bytes: number): GPUBuffer {
    let size = bucketSize(bytes);
    if (size > this.maxBytes) size = Math.ceil(Math.max(16, bytes) / 16) * 16; // no headroom near the limit
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.stats.reused++;
      this.stats.freeBytes -= size;
      this.live.add(reused);
      return reused;
    }
    const buf = this.device.createBuffer({ size, usage: this.usage });
    this.order.set(buf, this.created++);
    this.stats.allocated++;
    this.stats.allocatedBytes += size;
    this.live.add(buf);
    return buf;
  }

  /** Give a buffer back; `deferred` while an open encoder may still use it. */
  release(buf: GPUBuffer, deferred = false): void {
    if (!this.live.delete(buf)) return;
    if (deferred) {
      this.pending.push(buf);
      return;
    }
    this.toFree(buf);
  }

  /** After a submit: buffers freed during encoding become reusable. */
  flushPending(): void {
    for (const b of this.pending) this.toFree(b);
    this.pending = [];
  }

  private toFree(buf: GPUBuffer): void {
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    // kept in descending creation order: pop() returns the oldest
    const n = this.order.get(buf) ?? 0;
    let lo = 0,
      hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.order.get(list[mid]!) ?? 0) > n) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, buf);
    this.stats.freeBytes += buf.size;
  }

  /** Destroy the free buffers (memory pressure, or the end of a session). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.stats.freeBytes = 0;
  }

  destroyAll(): void {
    this.trim();
    for (const b of this.pending) b.destroy();
    for (const b of this.live) b.destroy();
    this.pending = [];
    this.live.clear();
  }
}
