// Matrix products: MatMul (numpy matmul: 1-D operands, broadcast batch dims), Gemm
// (alpha·op(A)·op(B) + beta·C with C unidirectionally broadcast) and MatMulInteger
// (int8/uint8 with zero points, int32 result).
//
// The kernels run plainly over typed arrays: floats are widened once to Float64Array and
// accumulated in double (then rounded by the output store), integers up to 32 bits use wrapping
// int32 arithmetic (Math.imul, |0: exact modulo 2^32, as a C kernel would wrap), 64-bit integers
// use bigint.

import type { DType } from '../ir/dtype.js';
import { isBig, isFloat } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { type CostContext, type OpDef, registerOps } from '../ir/op-def.js';
import { broadcastShapes, type Dim, formatDims, numel, type Shape } from '../ir/shape.js';
import { Tensor, toBigInt } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, known, toF64 } from './math-util.js';
import { broadcastDims, broadcastIndex, bytesOf, checkDType, inType, NUMERIC, numelOf, sameDType } from './util.js';

// ---------------------------------------------------------------------------------------------
// Kernels: C[M,N] = A[M,K] · B[K,N], all row-major and contiguous from the given offsets.

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
function toI32(t: Tensor): Int32Array {
  return t.data instanceof Int32Array ? t.data : new Int32Array(t.data as Uint32Array);
}

/** Store int32 results into an integer tensor of `dtype` (narrower types wrap, as C casts do). */
function fromI32(dtype: DType, dims: readonly number[], v: Int32Array): Tensor {
  const out = Tensor.zeros(dtype, dims);
  (out.data as Int32Array).set(v);
  return out;
}

function fromBig(dtype: DType, dims: readonly number[], v: bigint[]): Tensor {
  const out = Tensor.zeros(dtype, dims);
  const d = out.data as BigInt64Array;
  for (let i = 0; i < v.length; i++) d[i] = BigInt.asIntN(64, v[i]!);
  return out;
}

/** Transpose a row-major [R, C] block into a new [C, R] array. */
function transpose2<T extends { length: number; [i: number]: number | bigint }>(
  src: T,
  R: number,
  Cn: number,
  make: (n: number) => T,
): T {
  const out = make(R * Cn);
  for (let r = 0; r < R; r++) for (let c = 0; c < Cn; c++) out[c * R + r] = src[r * Cn + c]!;
  return out;
}

// ---------------------------------------------------------------------------------------------
// MatMul

interface MatMulDims {
  batch: number[];
  aBatch: number[];
  bBatch: number[];
  M: number;
  N: number;
  K: number;
  out: number[];
}

/** numpy matmul dims: a 1-D A is [1,K] with M dropped after, a 1-D B is [K,1] with N dropped. */
function matmulDims(a: readonly number[], b: readonly number[], what: string): MatMulDims {
  if (a.length === 0 || b.length === 0)
    throw new Error(`${what}: operands must have rank >= 1, got ${formatDims(a)} and ${formatDims(b)}`);
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const M = a2[a2.length - 2]!,
    K = a2[a2.length - 1]!;
  const K2 = b2[b2.length - 2]!,
    N = b2[b2.length - 1]!;
  if (K !== K2)
    throw new Error(`${what}: inner dims differ: A ${formatDims(a)} has K=${K} but B ${formatDims(b)} has K=${K2}`);
  const aBatch = a2.slice(0, -2),
    bBatch = b2.slice(0, -2);
  const batch = broadcastDims(aBatch, bBatch);
  const out = [...batch];
  if (a.length > 1) out.push(M);
  if (b.length > 1) out.push(N);
  return { batch, aBatch, bBatch, M, N, K, out };
}

/** Symbolic version of the rule above, for infer. */
function matmulShape(a: readonly Dim[], b: readonly Dim[], what: string): Shape {
  if (a.length === 0 || b.length === 0)
    throw new Error(`${what}: operands must have rank >= 1, got ${formatDims(a)} and ${formatDims(b)}`);
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const K = a2[a2.length - 1]!,
    K2 = b2[b2.length - 2]!;
  if (known(K) && known(K2) && K !== K2) {
    throw new Error(`${what}: inner dims differ: A ${formatDims(a)} has K=${K} but B ${formatDims(b)} has K=${K2}`);
  }
  const out = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

/** Batched product of A and B (already of matching dtype kind) into an output of `dtype`. */
function batchedMatMul(a: Tensor, b: Tensor, dtype: DType, what: string, ai?: Int32Array, bi?: Int32Array): Tensor {
  const d = matmulDims(a.dims, b.dims, what);
  const { M, N, K } = d;
  const nb = numel(d.batch);
  const aIdx = broadcastIndex(d.aBatch, d.batch);
  const bIdx = broadcastIndex(d.bBatch, d.batch);
  const total = nb * M * N;
  if (ai || (!isFloat(dtype) && !isBig(dtype) && !isBig(a.type))) {
    const A = ai ?? toI32(a),
      B = bi ?? toI32(b);
    const C = new Int32Array(total);
    for (let t = 0; t < nb; t++) gemmI32(A, aIdx[t]! * M * K, B, bIdx[t]! * K * N, C, t * M * N, M, N, K);
    return fromI32(dtype, d.out, C);
  }
  if (isBig(dtype)) {
    const A = a.data as BigInt64Array,
      B = b.data as BigInt64Array;
    const C = new Array<bigint>(total);
    for (let t = 0; t < nb; t++) gemmBig(A, aIdx[t]! * M * K, B, bIdx[t]! * K * N, C, t * M * N, M, N, K);
    return fromBig(dtype, d.out, C);
  }
  const A = toF64(a),
    B = toF64(b);
  const C = new Float64Array(total);
  for (let t = 0; t < nb; t++) gemmF64(A, aIdx[t]! * M * K, B, bIdx[t]! * K * N, C, t * M * N, M, N, K);
  return fromF64(dtype, d.out, C);
}

function matmulCost(ctx: CostContext) {
  const a = ctx.types[0],
    _b = ctx.types[1],
    y = ctx.outTypes[0];
  // K from A's last dim (symbolic dims count as 1)
  const kd = a?.shape?.[a.shape.length - 1];
  const K = typeof kd === 'number' ? kd : 1;
  return {
    flops: 2 * numelOf(y) * K,
    bytes: ctx.types.reduce((s, t) => s + bytesOf(t), 0) + bytesOf(y),
  };
}

const matmul: OpDef = {
  name: 'nn.MatMul',
  inputs: ['A', 'B'],
  outputs: ['Y'],
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, NUMERIC, 'A');
    sameDType(a, b, 'A and B');
    if (!a.shape || !b.shape) return [{ dtype: a.dtype }];
    return [{ dtype: a.dtype, shape: matmulShape(a.shape, b.shape, 'MatMul') }];
  },
  run({ inputs: [a, b] }) {
    return [batchedMatMul(a!, b!, a!.type, 'MatMul')];
  },
  cost: matmulCost,
  onnx: { type: 'MatMul' },
};

// ---------------------------------------------------------------------------------------------
// Gemm

function gemmDims(
  a: readonly Dim[],
  b: readonly Dim[],
  transA: boolean,
  transB: boolean,
): { M: Dim; N: Dim; K: Dim; K2: Dim } {
  return {
    M: transA ? a[1]! : a[0]!,
    K: transA ? a[0]! : a[1]!,
    K2: transB ? b[1]! : b[0]!,
    N: transB ? b[0]! : b[1]!,
  };
}

/** C must broadcast to [M, N] without changing it (unidirectional broadcasting). */
function checkGemmC(c: TensorType, M: Dim, N: Dim): void {
  if (!c.shape) return;
  if (c.shape.length > 2)
    throw new Error(`input C ${formatType(c)} must have rank <= 2 to broadcast to [M, N] = ${formatDims([M, N])}`);
  const target = [M, N].slice(2 - c.shape.length);
  c.shape.forEach((d, i) => {
    const t = target[i]!;
    if (known(d) && d !== 1 && known(t) && d !== t) {
      throw new Error(`input C ${formatType(c)} does not broadcast unidirectionally to [M, N] = ${formatDims([M, N])}`);
    }
  });
}

const gemm: OpDef = {
  name: 'nn.Gemm',
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: {
    alpha: { kind: 'float', default: 1 },
    beta: { kind: 'float', default: 1 },
    transA: { kind: 'int', default: 0 },
    transB: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, NUMERIC, 'A');
    sameDType(a, b, 'A and B');
    const c = ctx.types[2];
    if (c) sameDType(a, c, 'A and C');
    if (a.shape && a.shape.length !== 2) throw new Error(`input A ${formatType(a)} must have rank 2`);
    if (b.shape && b.shape.length !== 2) throw new Error(`input B ${formatType(b)} must have rank 2`);
    if (!a.shape || !b.shape) return [{ dtype: a.dtype, shape: undefined }];
    const { M, N, K, K2 } = gemmDims(
      a.shape,
      b.shape,
      ctx.attrs.int('transA', 0) !== 0,
      ctx.attrs.int('transB', 0) !== 0,
    );
    if (known(K) && known(K2) && K !== K2) {
      throw new Error(
        `inner dims differ: op(A) of ${formatType(a)} has K=${K} but op(B) of ${formatType(b)} has K=${K2}`,
      );
    }
    if (c) checkGemmC(c, M, N);
    return [{ dtype: a.dtype, shape: [M, N] }];
  },
  run({ inputs: [a, b, c], attrs }) {
    const transA = attrs.int('transA', 0) !== 0,
      transB = attrs.int('transB', 0) !== 0;
    const alpha = attrs.float('alpha', 1),
      beta = attrs.float('beta', 1);
    if (a!.dims.length !== 2 || b!.dims.length !== 2)
      throw new Error(`A and B must be matrices, got ${formatDims(a!.dims)} and ${formatDims(b!.dims)}`);
    const { M, N, K, K2 } = gemmDims(a!.dims, b!.dims, transA, transB) as {
      M: number;
      N: number;
      K: number;
      K2: number;
    };
    if (K !== K2)
      throw new Error(`inner dims differ: K=${K} from A ${formatDims(a!.dims)} vs ${K2} from B ${formatDims(b!.dims)}`);
    const dtype = a!.type;
    if (c) checkGemmC({ dtype, shape: [...c.dims] }, M, N);
    const cIdx = c ? broadcastIndex(c.dims, [M, N]) : undefined;
    const total = M * N;

    if (isBig(dtype)) {
      let A = a!.data as BigInt64Array,
        B = b!.data as BigInt64Array;
      const mk = (n: number) => new BigInt64Array(n);
      if (transA) A = transpose2(A, K, M, mk);
      if (transB) B = transpose2(B, N, K, mk);
      const P = new Array<bigint>(total);
      gemmBig(A, 0, B, 0, P, 0, M, N, K);
      const out = Tensor.zeros(dtype, [M, N]);
      const o = out.data as BigInt64Array;
      const cd = c?.data as BigInt64Array | undefined;
      const intScales = Number.isInteger(alpha) && Number.isInteger(beta);
      for (let i = 0; i < total; i++) {
        if (intScales) {
          let v = BigInt(alpha) * P[i]!;
          if (cd && beta !== 0) v += BigInt(beta) * cd[cIdx![i]!]!;
          o[i] = BigInt.asIntN(64, v);
        } else {
          let v = alpha * Number(P[i]!);
          if (cd && beta !== 0) v += beta * Number(cd[cIdx![i]!]!);
          o[i] = toBigInt(v);
        }
      }
      return [out];
    }

    let P: Float64Array;
    if (isFloat(dtype)) {
      let A = toF64(a!),
        B = toF64(b!);
      const mk = (n: number) => new Float64Array(n);
      if (transA) A = transpose2(A, K, M, mk);
      if (transB) B = transpose2(B, N, K, mk);
      P = new Float64Array(total);
      gemmF64(A, 0, B, 0, P, 0, M, N, K);
    } else {
      let A = toI32(a!),
        B = toI32(b!);
      const mk = (n: number) => new Int32Array(n);
      if (transA) A = transpose2(A, K, M, mk);
      if (transB) B = transpose2(B, N, K, mk);
      const Pi = new Int32Array(total);
      gemmI32(A, 0, B, 0, Pi, 0, M, N, K);
      // an unsigned result reads back unsigned before scaling
      P = dtype === 'uint32' ? Float64Array.from(new Uint32Array(Pi.buffer)) : Float64Array.from(Pi);
    }
    const cv = c ? toF64(c) : undefined;
    const Y = new Float64Array(total);
    for (let i = 0; i < total; i++) {
      let v = alpha * P[i]!;
      // beta = 0 drops C entirely (so an Inf or NaN in C does not leak through 0·C)
      if (cv && beta !== 0) v += beta * cv[cIdx![i]!]!;
      Y[i] = v;
    }
    return [fromF64(dtype, [M, N], Y)];
  },
  cost(ctx) {
    const a = ctx.types[0];
    const transA = ctx.attrs.int('transA', 0) !== 0;
    const kd = a?.shape?.[transA ? 0 : 1];
    const K = typeof kd === 'number' ? kd : 1;
    const y = ctx.outTypes[0];
    return {
      flops: 2 * numelOf(y) * K + (ctx.types[2] ? 2 * numelOf(y) : 0),
      bytes: ctx.types.reduce((s, t) => s + bytesOf(t), 0) + bytesOf(y),
    };
  },
  onnx: {
    type: 'Gemm',
    // Gemm-1/6 carried `broadcast`; unidirectional broadcasting of C covers both of its settings.
    import(ctx) {
      ctx.take('broadcast');
    },
  },
};

// ---------------------------------------------------------------------------------------------
// MatMulInteger

/**
 * x - zero_point as int32, with the zero point per tensor (one element), per row of A (a 1-D
 * vector of length M, `rowAxis` = -2) or per column of B (length N, last axis), or an N-D tensor
 * broadcast numpy-style against x.
 */
function subtractZeroPoint(x: Tensor, zp: Tensor | undefined, perRow: boolean, what: string): Int32Array {
  const xv = new Int32Array(x.data as Int8Array);
  if (!zp) return xv;
  const z = new Int32Array(zp.data as Int8Array);
  if (zp.size === 1) {
    const z0 = z[0]!;
    for (let i = 0; i < xv.length; i++) xv[i] = xv[i]! - z0;
    return xv;
  }
  let zDims: number[] = [...zp.dims];
  if (zDims.length === 1) {
    if (x.dims.length < 2 && perRow) throw new Error(`${what} has ${zp.size} values but A is a vector (one row)`);
    const axisLen = perRow ? x.dims[x.dims.length - 2]! : x.dims[x.dims.length - 1]!;
    if (zp.size !== axisLen) {
      throw new Error(
        `${what} has ${zp.size} values; a 1-D zero point needs one per ${perRow ? 'row of A' : 'column of B'} (${axisLen})`,
      );
    }
    zDims = perRow ? [axisLen, 1] : [axisLen];
  }
  const out = broadcastDims(x.dims, zDims);
  if (out.length !== x.dims.length || out.some((d, i) => d !== x.dims[i])) {
    throw new Error(`${what} ${formatDims(zp.dims)} does not broadcast to the input's shape ${formatDims(x.dims)}`);
  }
  const idx = broadcastIndex(zDims, x.dims);
  for (let i = 0; i < xv.length; i++) xv[i] = xv[i]! - z[idx[i]!]!;
  return xv;
}

const matmulInteger: OpDef = {
  name: 'nn.MatMulInteger',
  inputs: ['A', 'B', 'a_zero_point?', 'b_zero_point?'],
  outputs: ['Y'],
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, ['int8', 'uint8'], 'A');
    checkDType(b, ['int8', 'uint8'], 'B');
    const az = ctx.types[2],
      bz = ctx.types[3];
    if (az) sameDType(a, az, 'A and a_zero_point');
    if (bz) sameDType(b, bz, 'B and b_zero_point');
    if (!a.shape || !b.shape) return [{ dtype: 'int32' }];
    return [{ dtype: 'int32', shape: matmulShape(a.shape, b.shape, 'MatMulInteger') }];
  },
  run({ inputs: [a, b, az, bz] }) {
    const ai = subtractZeroPoint(a!, az, true, 'a_zero_point');
    const bi = subtractZeroPoint(b!, bz, false, 'b_zero_point');
    return [batchedMatMul(a!, b!, 'int32', 'MatMulInteger', ai, bi)];
  },
  cost: matmulCost,
  onnx: { type: 'MatMulInteger', minOpset: 10 },
};

registerOps([matmul, gemm, matmulInteger]);
