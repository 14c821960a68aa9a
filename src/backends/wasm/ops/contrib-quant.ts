// MatMulNBits on WASM: the float 4-bit kernel (wasm/contrib-quant.ts) straight from the packed weights, and
// the integer-dot kernels (wasm/nbits.ts) that GGUF Q4_0 / Q8_0 / Q6_K weights take.

import { numel } from '../../../ir/shape.js';
import { nbits4Direct, nbitsIntDirect } from '../../../ops/contrib-math.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';

/** MatMulNBits with 4-bit codes, straight from the packed weights (no dequantised copy). */
export const matMulNBits: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [A, B, S, Z, , bias] = n.inputs;
  if (!nbits4Direct(n)) return 'cpu';
  const at = attrsOf(ctx);
  const K = at.int('K'),
    N = at.int('N'),
    bs = at.int('block_size');
  const M = numel(ctx.dims(A!)) / K;
  if (M * N === 0) return () => {};
  // A split into even/odd elements, and per thread one dequantised column of W
  const split = ctx.scratch(M * K * 4),
    work = ctx.scratch(ctx.threads * K * 4);
  const sa = ctx.slot(A!),
    sb = ctx.slot(B!),
    ss = ctx.slot(S!),
    sz = Z ? ctx.slot(Z) : -1,
    sbias = bias ? ctx.slot(bias) : -1;
  const o = ctx.slot(n.outputs[0]!);
  const fSplit = ctx.fn('contrib-quant', 'nbitsSplitA'),
    fMul = ctx.fn('contrib-quant', 'matmulNBits4');
  const pool = ctx.pool;
  const mul = run(ctx, fMul, 2 * M * N * K, (P) => [
    M,
    N,
    K,
    bs,
    P[split]!,
    P[sb]!,
    P[ss]!,
    sz < 0 ? 0 : P[sz]!,
    sbias < 0 ? 0 : P[sbias]!,
    P[o]!,
    P[work]!,
  ]);
  return async (P) => {
    pool.call(fSplit, [M, K, P[sa]!, P[split]!]);
    await mul(P);
  };
};

// MatMulNBits with integer dot products (wasm/nbits.ts): A's rows quantized to int8 blocks, then
// int8 × 4-bit or int8 × 8-bit block dots against the packed codes as stored. This is the path of
// GGUF Q4_0 / Q8_0 / Q6_K weights (repacked into MatMulNBits at load) and of transformers.js's
// 4-bit ONNX layout. Cases it does not take (float zero points, g_idx, blocks that do not tile K)
// go to the float 4-bit kernel of contrib-quant.ts, or are dequantised by decompose-contrib.
export const matMulNBitsInt: OpPlanner = (ctx) => {
  const n = ctx.node;
  if (!nbitsIntDirect(n)) return matMulNBits(ctx);
  const [A, B, S, Z, , bias] = n.inputs;
  const at = attrsOf(ctx);
  const K = at.int('K'),
    N = at.int('N'),
    bits = at.int('bits', 4),
    bs = at.int('block_size');
  const M = numel(ctx.dims(A!)) / K;
  if (M * N === 0) return () => {};
  const qb = bs % 32 === 0 ? 32 : 16;
  const nq = K / qb;
  const qa = ctx.scratch(Math.ceil((M * K) / 16) * 16),
    da = ctx.scratch(M * nq * 4),
    sa = ctx.scratch(M * nq * 4);
  const sA = ctx.slot(A!),
    sB = ctx.slot(B!),
    sS = ctx.slot(S!),
    sZ = Z ? ctx.slot(Z) : -1,
    sBias = bias ? ctx.slot(bias) : -1,
    o = ctx.slot(n.outputs[0]!);
  const quant = run(ctx, ctx.fn('nbits', 'nbitsQuantizeA'), M * K * 4, (P) => [
    M,
    K,
    qb,
    bits === 4 ? 1 : 0,
    P[sA]!,
    P[qa]!,
    P[da]!,
    P[sa]!,
  ]);
  const mul = run(ctx, ctx.fn('nbits', 'nbitsMatmul'), 2 * M * N * K, (P) => [
    bits,
    M,
    N,
    K,
    bs,
    qb,
    P[qa]!,
    P[da]!,
    P[sa]!,
    P[sB]!,
    P[sS]!,
    sZ < 0 ? 0 : P[sZ]!,
    sBias < 0 ? 0 : P[sBias]!,
    P[o]!,
  ]);
  return async (P) => {
    await quant(P);
    await mul(P);
  };
};

export const KERNELS: WasmFamily = {
  planners: { 'ms.MatMulNBits': (ctx) => matMulNBitsInt(ctx) },
  anyDtype: ['ms.MatMulNBits'],
};
