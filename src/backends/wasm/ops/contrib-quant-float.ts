// MatMulNBits on WASM with 4-bit codes as floats, straight from the packed weights (no dequantised
// copy; wasm/contrib-quant.ts): the path of cases the integer-dot kernels do not take.

import { numel } from '../../../ir/shape.js';
import { nbits4Direct } from '../../../ops/contrib-math.js';
import { type OpPlanner, run } from '../plan.js';
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
