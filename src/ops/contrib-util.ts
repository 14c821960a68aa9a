// Helpers shared by the com.microsoft contrib op families (ONNX Runtime's ContribOperators.md):
// the domain they import from, float element types, and dims of runtime tensors as types.

import type { DType } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import type { Dim, Shape } from '../ir/shape.js';
import { formatDims } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';

export const MS_DOMAIN = 'com.microsoft';
export const MS_FLOATS: DType[] = ['float32', 'float16'];

export const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

/** The type of a runtime tensor, so run() can share the checks of infer(). */
export function typeOf(t: Tensor | undefined): TensorType | undefined {
  return t ? { dtype: t.type, shape: [...t.dims] } : undefined;
}

/** Two dims that must agree when both are known. */
export function sameDim(a: Dim | undefined, b: Dim | undefined, what: () => string): void {
  if (isNum(a) && isNum(b) && a !== b) throw new Error(what());
}

/** `t` must have X's element type. */
export function sameTypeAs(t: TensorType | undefined, x: TensorType, name: string, xName = 'input'): void {
  if (t && t.dtype !== x.dtype)
    throw new Error(`${name} has type ${formatType(t)}; it must match ${xName} (${x.dtype})`);
}

/** A 1-D tensor of length `n` (when known). */
export function checkVector(t: TensorType | undefined, n: Dim | undefined, name: string, what: string): void {
  if (!t?.shape) return;
  if (t.shape.length !== 1) throw new Error(`${name} has shape ${formatDims(t.shape)}; it must be 1-D [${what}]`);
  sameDim(t.shape[0], n, () => `${name} has shape ${formatDims(t.shape!)}; its length must be ${what} = ${n}`);
}

export function lastDim(s: Shape | undefined): Dim | undefined {
  return s?.[s.length - 1];
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}
