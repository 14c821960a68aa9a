// GPU storage of tensors: pooled buffers per part (a tensor over maxStorageBufferBindingSize is
// several buffers), reference counts for views that share storage, uploads through
// queue.writeBuffer (padded to 4 bytes), and bind groups cached by layout and buffers.

import { BUFFER } from './flags.js';
import type { Gpu } from './open-device.js';
import { type GpuTensor, partBytes, partsOf, Storage, toStorageArray } from './tensor.js';
import type { BindingSpec, Layout } from './wgsl.js';

export function allocStorage(g: Gpu, l: Layout): Storage {
  const bufs: GPUBuffer[] = [];
  for (let p = 0; p < partsOf(l); p++) bufs.push(g.pool.acquire(partBytes(l, p)));
  return new Storage(bufs, l, g.epoch);
}

/** Drop one reference; the last one gives the buffers back (`deferred` while an encoder may use them). */
export function releaseStorage(g: Gpu, s: Storage, deferred = false): void {
  if (--s.refs > 0) return;
  if (s.epoch !== g.epoch) return; // its device is gone
  for (const b of s.buffers) g.pool.release(b, deferred);
}

/** New storage on the current device holding the tensor's host values. */
export function uploadHost(g: Gpu, t: GpuTensor): Storage {
  const l = g.ctx.layout(t.type, t.numel);
  const s = allocStorage(g, l);
  const arr = toStorageArray(t.host!, l, t.name);
  for (let p = 0; p < s.buffers.length; p++) {
    const start = p * l.partElems;
    const n = Math.min(l.partElems, l.numel - start);
    if (n <= 0) continue;
    const bytes = n * arr.BYTES_PER_ELEMENT;
    const offset = arr.byteOffset + start * arr.BYTES_PER_ELEMENT;
    if (bytes % 4 === 0) {
      g.device.queue.writeBuffer(s.buffers[p]!, 0, arr.buffer, offset, bytes);
    } else {
      const pad = new Uint8Array(Math.ceil(bytes / 4) * 4);
      pad.set(new Uint8Array(arr.buffer, offset, bytes));
      g.device.queue.writeBuffer(s.buffers[p]!, 0, pad);
    }
  }
  return s;
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;
function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(b, id);
  }
  return id;
}

/**
 * Bind groups are cached by layout and buffers: pooled buffers come back in the same pattern
 * run after run, so steady-state runs create no new GPU objects (browsers collect them late).
 * `created` is called for each new one (the device counts them).
 */
export function cachedBindGroup(
  g: Gpu,
  bindings: BindingSpec[],
  entries: GPUBindGroupEntry[],
  created: () => void,
): GPUBindGroup {
  const sig = bindings.map((b) => (b.uniform ? 'u' : b.readOnly ? 'r' : 'w')).join('');
  const key = `${sig}:${entries.map((e) => bufferId((e.resource as GPUBufferBinding).buffer)).join(',')}`;
  let bg = g.bindGroups.get(key);
  if (!bg) {
    bg = g.device.createBindGroup({ layout: g.cache.layout(bindings), entries });
    created();
    if (g.bindGroups.size >= 8192) g.bindGroups.delete(g.bindGroups.keys().next().value!);
    g.bindGroups.set(key, bg);
  }
  return bg;
}

const paramKeys = new WeakMap<Uint32Array, string>();

/**
 * The uniform buffer holding a program's parameters: one per distinct content on the device
 * (layers of one shape share it), created and written when a plan is first met (compile time for
 * static shapes), so warm runs create none.
 */
export function paramsBuffer(g: Gpu, words: Uint32Array): GPUBuffer {
  let key = paramKeys.get(words);
  if (key === undefined) {
    key = words.join(',');
    paramKeys.set(words, key);
  }
  let b = g.params.get(key);
  if (!b) {
    b = g.device.createBuffer({ size: words.byteLength, usage: BUFFER.UNIFORM | BUFFER.COPY_DST });
    g.device.queue.writeBuffer(b, 0, words.buffer, words.byteOffset, words.byteLength);
    g.params.set(key, b);
  }
  return b;
}
