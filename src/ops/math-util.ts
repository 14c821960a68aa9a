// Helpers shared by the math op families (matmul, einsum, reductions, softmax, topk, cumsum,
// quantization): whole-tensor conversions to float64, typed stores, axis inputs, and the
// "outer × inner offsets" plan that every reduction over a set of axes uses.

import type { DType, NumericArray } from '../ir/dtype.js';
import { isBig, isFloat } from '../ir/dtype.js';
import { f16ToF32, f32ToF16 } from '../ir/float16.js';
import { narrowDecoder, narrowEncoder } from '../ir/narrow.js';
import type { Dim } from '../ir/shape.js';
import { normAxis, stridesOf } from '../ir/shape.js';
import { numericData, Tensor, toBigInt } from '../ir/tensor.js';

/** Every element as a double (float16 widened, 64-bit integers converted, possibly inexactly). */
export function toF64(t: Tensor): Float64Array {
  if (t.type === 'float64') return t.data as Float64Array;
  const n = t.size;
  const out = new Float64Array(n);
  if (t.type === 'float16') {
    const u = t.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = f16ToF32(u[i]!);
  } else if (isBig(t.type)) {
    const b = t.data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) out[i] = Number(b[i]!);
  } else if (narrowDecoder(t.type)) {
    const dec = narrowDecoder(t.type)!,
      u = t.data as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = dec(u[i]!);
  } else {
    out.set(numericData(t) as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
  }
  return out;
}

/**
 * A tensor of `dtype` holding `values` (doubles): floats round to nearest, integers truncate
 * toward zero and wrap (typed-array semantics), NaN becomes 0 for integers.
 */
export function fromF64(dtype: DType, dims: readonly number[], values: Float64Array): Tensor {
  const out = Tensor.zeros(dtype, dims);
  const n = values.length;
  const enc = narrowEncoder(dtype);
  if (dtype === 'float16') {
    const u = out.data as Uint16Array;
    for (let i = 0; i < n; i++) u[i] = f32ToF16(values[i]!);
  } else if (enc) {
    const u = out.data as Uint8Array;
    for (let i = 0; i < n; i++) u[i] = enc(values[i]!);
  } else if (isBig(dtype)) {
    const b = out.data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) b[i] = toBigInt(values[i]!);
  } else if (dtype === 'bool') {
    const u = out.data as Uint8Array;
    for (let i = 0; i < n; i++) u[i] = values[i] ? 1 : 0;
  } else if (isFloat(dtype)) {
    (out.data as Float32Array | Float64Array).set(values);
  } else {
    // typed-array stores of doubles truncate toward zero and wrap modulo 2^bits
    const d = out.data as Int32Array;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      d[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
    }
  }
  return out;
}

/** Every element as a bigint (64-bit integer tensors only). */
export function bigData(t: Tensor): BigInt64Array | BigUint64Array {
  return t.data as BigInt64Array | BigUint64Array;
}

/** Round to the precision of a float dtype (float16 and float32 by their stores). */
export function roundToDType(dtype: DType): (v: number) => number {
  if (dtype === 'float32') return Math.fround;
  if (dtype === 'float16') return (v) => f16ToF32(f32ToF16(v));
  const dec = narrowDecoder(dtype),
    enc = narrowEncoder(dtype);
  if (dec && enc) return (v) => dec(enc(v));
  return (v) => v;
}

/** The value of a scalar (or one-element) integer input such as an axis or k. */
export function scalarInt(t: Tensor, what: string): number {
  if (t.size !== 1) throw new Error(`${what} must hold one value, got shape [${t.dims.join(',')}]`);
  return Number(t.data[0]!);
}

/** Smallest / largest value of a dtype, as a number (bigint for 64-bit integers). */
export function typeMin(d: DType): number | bigint {
  switch (d) {
    case 'int8':
      return -128;
    case 'int16':
      return -32768;
    case 'int32':
      return -2147483648;
    case 'int4':
      return -8;
    case 'int2':
      return -2;
    case 'int64':
      return -(2n ** 63n);
    case 'uint64':
      return 0n;
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'bool':
    case 'uint4':
    case 'uint2':
      return 0;
    default:
      return -Infinity;
  }
}

export function typeMax(d: DType): number | bigint {
  switch (d) {
    case 'int8':
      return 127;
    case 'int16':
      return 32767;
    case 'int32':
      return 2147483647;
    case 'int64':
      return 2n ** 63n - 1n;
    case 'uint8':
      return 255;
    case 'uint16':
      return 65535;
    case 'uint32':
      return 4294967295;
    case 'int4':
      return 7;
    case 'uint4':
      return 15;
    case 'int2':
      return 1;
    case 'uint2':
      return 3;
    case 'uint64':
      return 2n ** 64n - 1n;
    case 'bool':
      return 1;
    default:
      return Infinity;
  }
}

/**
 * Reduction plan over a set of axes of a static shape: `outer[o]` is the flat input offset of the
 * first element of output group o (groups in row-major order of the kept axes), `inner[j]` the
 * offset of the j-th element of a group relative to that first element.
 */
export interface ReducePlan {
  outer: Int32Array;
  inner: Int32Array;
}

export function reducePlan(dims: readonly number[], reduced: ReadonlySet<number>): ReducePlan {
  const strides = stridesOf(dims);
  const kept = dims.map((_, i) => i).filter((i) => !reduced.has(i));
  const red = dims.map((_, i) => i).filter((i) => reduced.has(i));
  return {
    outer: offsets(
      kept.map((i) => dims[i]!),
      kept.map((i) => strides[i]!),
    ),
    inner: offsets(
      red.map((i) => dims[i]!),
      red.map((i) => strides[i]!),
    ),
  };
}

/** Flat offsets of every point of a box with the given sizes and strides, row-major. */
export function offsets(sizes: readonly number[], strides: readonly number[]): Int32Array {
  let n = 1;
  for (const s of sizes) n *= s;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const r = sizes.length;
  const counter = new Array<number>(r).fill(0);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    out[i] = cur;
    for (let d = r - 1; d >= 0; d--) {
      counter[d]!++;
      cur += strides[d]!;
      if (counter[d]! < sizes[d]!) break;
      cur -= strides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return out;
}

/** Normalise a list of axes against a rank, rejecting duplicates. */
export function normAxes(axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normAxis(a, rank, `${what} value`));
  if (new Set(out).size !== out.length) throw new Error(`${what} [${axes.join(',')}] repeats an axis`);
  return out;
}

/** Known size of a dim, or undefined when symbolic. */
export const known = (d: Dim | undefined): d is number => typeof d === 'number';

/** Product of dims, or undefined when one is symbolic. */
export function knownProduct(dims: readonly Dim[]): number | undefined {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return undefined;
    p *= d;
  }
  return p;
}

/** numpy's total order for sorting: NaN after everything (ascending). */
export function isNaNScalar(v: number | bigint): boolean {
  return typeof v === 'number' && v !== v;
}
