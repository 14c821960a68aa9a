// Reading GPU tensors back: one command encoder copies every tensor (each storage part) into
// pooled staging buffers, one submit, then the maps; the bytes become host tensors.

import type { Tensor } from '../../ir/tensor.js';
import type { BufferPool } from './buffer-pool.js';
import { MAP_READ } from './flags.js';
import { fromStorageBytes, type GpuTensor, partBytes } from './tensor.js';

export interface ReadbackContext {
  device: GPUDevice;
  pool: BufferPool;
  staging: BufferPool;
  /** Await a GPU promise, failing fast when the device goes away. */
  guard<T>(p: Promise<T>): Promise<T>;
}

export async function readBack(g: ReadbackContext, need: GpuTensor[]): Promise<Tensor[]> {
  const enc = g.device.createCommandEncoder();
  const reads = need.map((t) => {
    const st = t.storage!;
    const staging = st.buffers.map((b, p) => {
      const size = partBytes(st.layout, p);
      const s = g.staging.acquire(size);
      enc.copyBufferToBuffer(b, 0, s, 0, size);
      return s;
    });
    return { t, staging };
  });
  g.device.queue.submit([enc.finish()]);
  g.pool.flushPending();
  await g.guard(Promise.all(reads.flatMap((r) => r.staging.map((s) => s.mapAsync(MAP_READ)))));
  return reads.map((r) => {
    const l = r.t.storage!.layout;
    const eb = l.wtype === 'f16' ? 2 : 4;
    const total = Math.max(0, l.numel) * eb;
    let bytes: Uint8Array;
    if (r.staging.length === 1) {
      // one part: a single copy out of the mapped range
      bytes = new Uint8Array(r.staging[0]!.getMappedRange(0, Math.max(4, Math.ceil(total / 4) * 4)).slice(0));
    } else {
      bytes = new Uint8Array(total + 4);
      let off = 0;
      r.staging.forEach((s, p) => {
        const n = Math.min(l.partElems, Math.max(0, l.numel - p * l.partElems)) * eb;
        if (n) bytes.set(new Uint8Array(s.getMappedRange(0, Math.ceil(n / 4) * 4)).subarray(0, n), off);
        off += n;
      });
    }
    for (const s of r.staging) {
      s.unmap();
      g.staging.release(s);
    }
    return fromStorageBytes(r.t.type, r.t.dims, l, bytes);
  });
}
