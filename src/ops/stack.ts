// Taking one slice of a tensor along an axis and stacking slices back along a new axis: what Scan
// and Loop's scan outputs, SplitToSequence and ConcatFromSequence do to data. Elements are copied
// as stored, so every dtype (strings included) goes through unchanged.

import { allocTyped, type DType } from '../ir/dtype.js';
import { numel } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';

type Cells = { [i: number]: unknown; length: number };

/** x with `axis` removed, at position `index` along it. */
export function sliceAt(x: Tensor, axis: number, index: number): Tensor {
  const dims = x.dims;
  const outer = numel(dims.slice(0, axis));
  const inner = numel(dims.slice(axis + 1));
  const n = dims[axis]!;
  const out = allocTyped(x.type, outer * inner) as Cells;
  const src = x.data as Cells;
  for (let o = 0; o < outer; o++) {
    const from = (o * n + index) * inner;
    for (let i = 0; i < inner; i++) out[o * inner + i] = src[from + i];
  }
  return new Tensor(x.type, out as Tensor['data'], [...dims.slice(0, axis), ...dims.slice(axis + 1)]);
}

/** Concatenate tensors of equal rank along an existing axis (sizes along it may differ). */
export function concatAlong(parts: readonly Tensor[], axis: number, dtype: DType, what: string): Tensor {
  const first = parts[0]!;
  const rank = first.dims.length;
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((d, i) => i !== axis && d !== first.dims[i])) {
      throw new Error(
        `${what}: shapes [${first.dims.join(',')}] and [${p.dims.join(',')}] do not line up along every axis ` +
          `but ${axis}`,
      );
    }
  }
  const outer = numel(first.dims.slice(0, axis));
  const inner = numel(first.dims.slice(axis + 1));
  const total = parts.reduce((a, p) => a + p.dims[axis]!, 0);
  const out = allocTyped(dtype, outer * total * inner) as Cells;
  let at = 0;
  for (const p of parts) {
    const n = p.dims[axis]!;
    const src = p.data as Cells;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < n * inner; i++) out[(o * total + at) * inner + i] = src[o * n * inner + i];
    }
    at += n;
  }
  const dims = [...first.dims];
  dims[axis] = total;
  return new Tensor(dtype, out as Tensor['data'], dims);
}

/** Stack equal-shaped tensors along a new axis. */
export function stackAlong(
  parts: readonly Tensor[],
  axis: number,
  dtype: DType,
  elemDims: readonly number[],
  what: string,
): Tensor {
  for (const p of parts) {
    if (p.dims.length !== elemDims.length || p.dims.some((d, i) => d !== elemDims[i])) {
      throw new Error(
        `${what}: an element has shape [${p.dims.join(',')}] where [${elemDims.join(',')}] was expected (all ` +
          `must match)`,
      );
    }
  }
  const expanded = [...elemDims.slice(0, axis), 1, ...elemDims.slice(axis)];
  if (!parts.length) {
    expanded[axis] = 0;
    return new Tensor(dtype, allocTyped(dtype, 0), expanded);
  }
  return concatAlong(
    parts.map((p) => p.reshape(expanded)),
    axis,
    dtype,
    what,
  );
}

/** Reverse the order of slices along an axis. */
export function reverseAlong(x: Tensor, axis: number): Tensor {
  const n = x.dims[axis]!;
  const parts = Array.from({ length: n }, (_, i) => sliceAt(x, axis, n - 1 - i));
  return stackAlong(parts, axis, x.type, [...x.dims.slice(0, axis), ...x.dims.slice(axis + 1)], 'reverse');
}
