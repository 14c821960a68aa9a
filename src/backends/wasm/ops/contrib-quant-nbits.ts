// MatMulNBits with integer dot products (wasm/contrib-quant-nbits.ts): A's rows quantized to int8 blocks, then
// int8 × 4-bit or int8 × 8-bit block dots against the packed codes as stored. This is the path of
// GGUF Q4_0 / Q8_0 / Q6_K weights (repacked into MatMulNBits at load) and of transformers.js's
// 4-bit ONNX layout. Cases it does not take (float zero points, g_idx, blocks that do not tile K)
// go to the float 4-bit kernel of contrib-quant-float.ts, or are dequantised by decompose-contrib.

import { numel } from '../../../ir/shape.js';
import { nbitsIntDirect } from '../../../ops/contrib-math.js';
import { type OpPlanner, type PlanCtx, run, type Step } from '../plan.js';
import { matMulNBits } from './contrib-quant-float.js';
import { attrsOf } from './lib/common.js';

/** From this many rows of A on, dequantising into a transient float W and the float GEMM is faster. */
const GEMM_ROWS = 16;

/** Prefill: W [N, K] dequantised into scratch, then the GEMM with B = Wᵀ (strides) and the bias as its addend. */
function viaGemm(ctx: PlanCtx, M: number, N: number, K: number, bits: number, bs: number): Step {
  const [A, B, S, Z, , bias] = ctx.node.inputs;
  const w = ctx.scratch(N * K * 4);
  const ws = ctx.workspace();
  const sA = ctx.slot(A!),
    sB = ctx.slot(B!),
    sS = ctx.slot(S!),
    sZ = Z ? ctx.slot(Z) : -1,
    sBias = bias ? ctx.slot(bias) : -1,
    o = ctx.slot(ctx.node.outputs[0]!);
  const deq = run(ctx, ctx.fn('contrib-quant-nbits', 'nbitsDequantize'), N * K * 8, (P) => [
    bits,
    N,
    K,
    bs,
    P[sB]!,
    P[sS]!,
    sZ < 0 ? 0 : P[sZ]!,
    P[w]!,
  ]);
  // gemm(M, N, K, batch, a, rsa, csa, bsa, b, rsb, csb, bsb, packed, c, ldc, bsc, alpha, add1 (rs, cs, bs),
  // add2 (rs, cs, bs), act, workspace, stride)
  const mul = run(ctx, ctx.fn('matmul', 'gemm'), 2 * M * N * K, (P) => [
    M,
    N,
    K,
    1,
    P[sA]!,
    K,
    1,
    0,
    P[w]!,
    1,
    K,
    0,
    0,
    P[o]!,
    N,
    M * N,
    1,
    sBias < 0 ? 0 : P[sBias]!,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ws.ptr,
    ws.stride,
  ]);
  return async (P) => {
    await deq(P);
    await mul(P);
  };
}

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
  if (M >= GEMM_ROWS) return viaGemm(ctx, M, N, K, bits, bs);
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
  const quant = run(ctx, ctx.fn('contrib-quant-nbits', 'nbitsQuantizeA'), M * K * 4, (P) => [
    M,
    K,
    qb,
    bits === 4 ? 1 : 0,
    P[sA]!,
    P[qa]!,
    P[da]!,
    P[sa]!,
  ]);
  const mul = run(ctx, ctx.fn('contrib-quant-nbits', 'nbitsMatmul'), 2 * M * N * K, (P) => [
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
