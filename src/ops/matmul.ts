// Matrix products: MatMul (numpy matmul: 1-D operands, broadcast batch dims) and Gemm
// (alpha·op(A)·op(B) + beta·C with C unidirectionally broadcast), with their lowering to
// k.matmul. MatMulInteger is in matmul-integer.ts, the reference kernels in matmul-util.ts.
//
// The kernels run plainly over typed arrays: floats are widened once to Float64Array and
// accumulated in double (then rounded by the output store), integers up to 32 bits use wrapping
// int32 arithmetic (Math.imul, |0: exact modulo 2^32, as a C kernel would wrap), 64-bit integers
// use bigint.

import { type DType, isBig, isFloat } from '../ir/dtype.js';
import { type Attr, Node, type TensorType, type Value } from '../ir/graph.js';
import { type CostContext, type LowerContext, type OpDef, registerOps } from '../ir/op-def.js';
import { broadcastShapes, type Dim, formatDims, numel, type Shape } from '../ir/shape.js';
import { Tensor, toBigInt } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { call, type Expr, num, printExpr } from './kernel/expr.js';
import { $0, $1, withLowering } from './kernel/lowering.js';
import { fromF64, known, toF64 } from './math-util.js';
import { fromBig, fromI32, gemmBig, gemmF64, gemmI32, toI32, transpose2 } from './matmul-util.js';
import { broadcastDims, broadcastIndex, bytesOf, checkDType, inType, NUMERIC, numelOf, sameDType } from './util.js';

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
export function matmulDims(a: readonly number[], b: readonly number[], what: string): MatMulDims {
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
export function matmulShape(a: readonly Dim[], b: readonly Dim[], what: string): Shape {
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
export function batchedMatMul(
  a: Tensor,
  b: Tensor,
  dtype: DType,
  what: string,
  ai?: Int32Array,
  bi?: Int32Array,
): Tensor {
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

export function matmulCost(ctx: CostContext) {
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
// Lowering to k.matmul

/**
 * The source of a Transpose that only swaps the last two dims: k.matmul reads it transposed in
 * place (transA/transB), saving a full copy of the operand.
 */
function swappedLastTwo(v: Value): Value | undefined {
  const p = v.producer;
  if (!p || p.op !== 'nn.Transpose' || !p.inputs[0]?.type?.shape) return undefined;
  const r = p.inputs[0].type.shape.length;
  if (r < 2) return undefined;
  const perm = p.attrs.perm?.kind === 'ints' ? p.attrs.perm.value : [...Array(r).keys()].reverse();
  const ok = perm.every((d, i) => (i < r - 2 ? d === i : i === r - 2 ? d === r - 1 : d === r - 2));
  return ok ? p.inputs[0] : undefined;
}

function lowerMatMul({ node: n }: LowerContext): Node | undefined {
  const [A, B] = n.inputs;
  const ra = A?.type?.shape?.length,
    rb = B?.type?.shape?.length;
  if (!ra || !rb || ra < 2 || rb < 2 || !isFloat(A!.type!.dtype)) return undefined;
  const sa = swappedLastTwo(A!),
    sb = swappedLastTwo(B!);
  const attrs: Record<string, Attr> = {};
  if (sa) attrs.transA = { kind: 'int', value: 1 };
  if (sb) attrs.transB = { kind: 'int', value: 1 };
  return new Node('k.matmul', [sa ?? A!, sb ?? B!], [n.outputs[0]!], attrs, n.name);
}

/** Gemm: alpha and beta·C move into the epilogue; a Transpose feeding a 2-D operand flips its flag. */
function lowerGemm({ node: n, attrs: a }: LowerContext): Node | undefined {
  const [A, B, C] = n.inputs;
  if (!A?.type?.shape || !B?.type?.shape || !isFloat(A.type.dtype)) return undefined;
  const alpha = a.float('alpha', 1),
    beta = a.float('beta', 1);
  const sa = swappedLastTwo(A),
    sb = swappedLastTwo(B);
  let acc: Expr = alpha === 1 ? $0 : call('mul', $0, num(alpha));
  const inputs = [sa ?? A, sb ?? B];
  if (C && beta !== 0) {
    acc = call('add', acc, beta === 1 ? $1 : call('mul', $1, num(beta)));
    inputs.push(C);
  }
  return new Node(
    'k.matmul',
    inputs,
    [n.outputs[0]!],
    {
      transA: { kind: 'int', value: a.int('transA', 0) ^ (sa ? 1 : 0) },
      transB: { kind: 'int', value: a.int('transB', 0) ^ (sb ? 1 : 0) },
      epilogue: { kind: 'string', value: printExpr(acc) },
    },
    n.name,
  );
}

registerOps(
  withLowering([matmul, gemm], {
    'nn.MatMul': { lower: lowerMatMul, lowersTo: ['k.matmul'] },
    'nn.Gemm': { lower: lowerGemm, lowersTo: ['k.matmul'] },
  }),
);
