// MatMulNBits with integer dot products (wasm/nbits.ts): A's rows quantized to int8 blocks, then
// int8 × 4-bit or int8 × 8-bit block dots against the packed codes as stored. This is the path of
// GGUF Q4_0 / Q8_0 / Q6_K weights (repacked into MatMulNBits at load) and of transformers.js's
// 4-bit ONNX layout. Cases it does not take (float zero points, g_idx, blocks that do not tile K)
// go to the float 4-bit kernel of int8.ts, or are dequantised by decompose-contrib.

import { numel } from '../../../ir/shape.js';
import { nbitsIntDirect } from '../../../ops/contrib-math.js';
import { type OpPlanner, run } from '../plan.js';
import { attrsOf } from './common.js';
import { matMulNBits } from './int8.js';

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
