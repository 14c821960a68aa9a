// Helpers shared by op families: type rules, broadcasting iteration and element access.

import type { DType } from '../ir/dtype.js';
import { dtypeBytes, isBig, isFloat } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import type { Cost, CostContext, InferContext } from '../ir/op-def.js';
import { broadcastMany, type Dim, isStatic, type Shape, stridesOf } from '../ir/shape.js';
import { getter, type Scalar, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { offsets } from './math-util.js';

export const FLOATS: DType[] = ['float32', 'float16', 'float64', 'bfloat16'];
export const INTS: DType[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
export const NUMERIC: DType[] = [...FLOATS, ...INTS];
export const ALL: DType[] = [...NUMERIC, 'bool'];

/** The type of input i, which must be present. */
export function inType(ctx: InferContext, i: number, name = `#${i}`): TensorType {
  const t = ctx.types[i];
  if (!t) throw new Error(`input ${name} has no type (is it missing?)`);
  return t;
}

export function checkDType(t: TensorType, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(t.dtype)) {
    throw new Error(
      `${what} has type ${formatType(t)}; ` +
        `${allowed.length <= 4 ? allowed.join(', ') : 'a type from the op spec'} expected`,
    );
  }
}

export function sameDType(a: TensorType, b: TensorType, what: string): void {
  if (a.dtype !== b.dtype) throw new Error(`${what}: element types differ (${formatType(a)} vs ${formatType(b)})`);
}

export function checkRank(t: TensorType, ok: (r: number) => boolean, rule: string, what: string): void {
  if (t.shape && !ok(t.shape.length)) throw new Error(`${what} ${formatType(t)} must have ${rule}`);
}

export function rankOf(t: TensorType): number | undefined {
  return t.shape?.length;
}

/** Shape rule for elementwise ops over broadcast inputs. */
export function broadcastType(types: (TensorType | undefined)[], dtype: DType): TensorType {
  const shapes = types.filter((t): t is TensorType => !!t).map((t) => t.shape);
  if (shapes.some((s) => !s)) return { dtype };
  return { dtype, shape: broadcastMany(shapes as Shape[]) };
}

/** Static output dims of a broadcast at run time. */
export function broadcastDims(...dims: (readonly number[])[]): number[] {
  return broadcastMany(dims) as number[];
}

/** Map each flat index of `outDims` to the flat index of a broadcast input. */
export function broadcastIndex(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const off = outDims.length - inDims.length;
  const inStrides = stridesOf(inDims);
  // per output dim: stride into the input (0 where broadcast)
  const st = outDims.map((_, d) => (d < off || inDims[d - off] === 1 ? 0 : inStrides[d - off]!));
  return offsets(outDims, st);
}

/** Elementwise map over broadcast inputs: f gets numbers (bigint for 64-bit integer inputs). */
export function mapBroadcast(inputs: Tensor[], outType: DType, f: (...xs: Scalar[]) => Scalar): Tensor {
  const outDims = broadcastDims(...inputs.map((t) => t.dims));
  const out = Tensor.zeros(outType, outDims);
  const set = setter(out);
  const gets = inputs.map((t) => getter(t));
  const idxs = inputs.map((t) => (sameShape(t.dims, outDims) ? null : broadcastIndex(t.dims, outDims)));
  const n = out.size;
  const args = new Array<Scalar>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = gets[k]!(idxs[k] ? idxs[k]![i]! : i);
    set(i, f(...args));
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Unary elementwise map; numbers in, numbers out (bigint for 64-bit integers). */
export function mapUnary(x: Tensor, outType: DType, f: (v: Scalar) => Scalar): Tensor {
  const out = Tensor.zeros(outType, x.dims);
  const set = setter(out);
  const get = getter(x);
  for (let i = 0; i < x.size; i++) set(i, f(get(i)));
  return out;
}

/** Round a float result to the precision of its dtype, as a kernel storing it would. */
export function roundTo(dtype: DType): (v: number) => number {
  return dtype === 'float64' ? (v) => v : Math.fround;
}

export function numelOf(t: TensorType | undefined): number {
  if (!t?.shape) return 0;
  return t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

export function bytesOf(t: TensorType | undefined): number {
  return t ? numelOf(t) * dtypeBytes(t.dtype) : 0;
}

/** Default cost: all inputs read once, outputs written once, `flopsPerElement` per output element. */
export function elementwiseCost(flopsPerElement = 1) {
  return (ctx: CostContext): Cost => ({
    flops: ctx.outTypes.reduce((a, t) => a + numelOf(t) * flopsPerElement, 0),
    bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0),
  });
}

/** The constant value of input i as integers, or undefined when it is not known before running. */
export function constInts(ctx: InferContext, i: number): number[] | undefined {
  const t = ctx.consts[i];
  if (!t) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function isBigType(d: DType): boolean {
  return isBig(d);
}
export function isFloatType(d: DType): boolean {
  return isFloat(d);
}

export type { Dim };
export { isStatic };
