// Index arithmetic shared by the data-movement ops (transpose, slice, pad, tile, concat, gather):
// a multi-index walk over a static shape and raw element copies that work for every dtype.

import type { TypedArray } from '../ir/dtype.js';
import { stridesOf } from '../ir/shape.js';

/** Element slots of any typed array (numbers, or bigints for 64-bit types). */
export type Slots = { [i: number]: number | bigint; length: number };
export const slots = (a: TypedArray): Slots => a as unknown as Slots;

/**
 * Call fn for every multi-index of dims in row-major order. The index array is reused between
 * calls: copy it if you keep it.
 */
export function forEachIndex(dims: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const r = dims.length;
  const n = dims.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < dims[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Flat offset of a multi-index under the given strides. */
export function offsetOf(idx: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < idx.length; i++) o += idx[i]! * strides[i]!;
  return o;
}

export { stridesOf };
