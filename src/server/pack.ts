// Tensors across a thread boundary: typed arrays are structured-cloned, and buffers a tensor owns
// outright are transferred instead of copied. Buffers that hold constants, that are shared
// (SharedArrayBuffer) or that other tensors also view are never transferred.

import type { DType, TypedArray } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';

export interface Packed {
  name: string;
  type: DType;
  dims: number[];
  data: TypedArray;
}

/**
 * `owned`: true when every buffer is this message's alone (a request body the tensors view), or the
 * set of such buffers (a run's inputs, which its outputs may view): those are transferred whatever
 * views them.
 */
export function packTensors(
  list: [string, Tensor][],
  keep: Set<ArrayBufferLike> = new Set(),
  owned: boolean | Set<ArrayBufferLike> = false,
): { packed: Packed[]; transfer: ArrayBuffer[] } {
  const packed: Packed[] = [];
  const uses = new Map<ArrayBufferLike, number>();
  // string tensors (string[]) are structured-cloned; only typed arrays have buffers to transfer
  const numeric = list.flatMap(([, t]) => (Array.isArray(t.data) ? [] : [t.data]));
  for (const d of numeric) uses.set(d.buffer, (uses.get(d.buffer) ?? 0) + 1);
  const transfer = new Set<ArrayBuffer>();
  for (const [name, t] of list) {
    packed.push({ name, type: t.type, dims: [...t.dims], data: t.data });
    if (Array.isArray(t.data)) continue;
    const d = t.data;
    const b = d.buffer;
    if (!(b instanceof ArrayBuffer) || keep.has(b)) continue;
    if (
      owned === true ||
      (owned && owned.has(b)) ||
      (uses.get(b) === 1 && d.byteOffset === 0 && d.byteLength === b.byteLength)
    )
      transfer.add(b);
  }
  return { packed, transfer: [...transfer] };
}

export function unpackTensors(list: Packed[]): [string, Tensor][] {
  return list.map((p) => [p.name, new Tensor(p.type, p.data, p.dims)]);
}
