// Reference matrix kernels shared by the matrix ops: C[M,N] = A[M,K] · B[K,N], all row-major and
// contiguous from the given offsets, in float64, wrapping int32 and bigint; integer tensor I/O.

import type { DType } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';

/** Float kernel; i-k-j order so the innermost loop walks rows of B and C. */
export function gemmF64(
  A: Float64Array,
  aOff: number,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let i = 0; i < M; i++) {
    const c0 = cOff + i * N;
    for (let j = 0; j < N; j++) C[c0 + j] = 0;
    const a0 = aOff + i * K;
    for (let k = 0; k < K; k++) {
      const av = A[a0 + k]!;
      const b0 = bOff + k * N;
      for (let j = 0; j < N; j++) C[c0 + j]! += av * B[b0 + j]!;
    }
  }
}

/** Integer kernel modulo 2^32 (covers every integer type up to 32 bits, signed or not). */
export function gemmI32(
  A: Int32Array,
  aOff: number,
  B: Int32Array,
  bOff: number,
  C: Int32Array,
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let i = 0; i < M; i++) {
    const c0 = cOff + i * N;
    for (let j = 0; j < N; j++) C[c0 + j] = 0;
    const a0 = aOff + i * K;
    for (let k = 0; k < K; k++) {
      const av = A[a0 + k]!;
      const b0 = bOff + k * N;
      for (let j = 0; j < N; j++) C[c0 + j] = (C[c0 + j]! + Math.imul(av, B[b0 + j]!)) | 0;
    }
  }
}

/** 64-bit integer kernel; exact bigint sums, wrapped to 64 bits by the output store. */
export function gemmBig(
  A: ArrayLike<bigint>,
  aOff: number,
  B: ArrayLike<bigint>,
  bOff: number,
  C: bigint[],
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0n;
      for (let k = 0; k < K; k++) s += A[aOff + i * K + k]! * B[bOff + k * N + j]!;
      C[cOff + i * N + j] = s;
    }
  }
}

/** Integer data as Int32Array (values modulo 2^32; uint32 wraps to its signed pattern). */
export function toI32(t: Tensor): Int32Array {
  return t.data instanceof Int32Array ? t.data : new Int32Array(t.data as Uint32Array);
}

/** Store int32 results into an integer tensor of `dtype` (narrower types wrap, as C casts do). */
export function fromI32(dtype: DType, dims: readonly number[], v: Int32Array): Tensor {
  const out = Tensor.zeros(dtype, dims);
  (out.data as Int32Array).set(v);
  return out;
}

export function fromBig(dtype: DType, dims: readonly number[], v: bigint[]): Tensor {
  const out = Tensor.zeros(dtype, dims);
  const d = out.data as BigInt64Array;
  for (let i = 0; i < v.length; i++) d[i] = BigInt.asIntN(64, v[i]!);
  return out;
}

/** Transpose a row-major [R, C] block into a new [C, R] array. */
export function transpose2<T extends { length: number; [i: number]: number | bigint }>(
  src: T,
  R: number,
  Cn: number,
  make: (n: number) => T,
): T {
  const out = make(R * Cn);
  for (let r = 0; r < R; r++) for (let c = 0; c < Cn; c++) out[c * R + r] = src[r * Cn + c]!;
  return out;
}
