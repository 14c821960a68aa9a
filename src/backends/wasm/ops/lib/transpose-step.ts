// The strided copy that both the layout ops (Transpose) and the reductions over inner axes use.

import { numel, stridesOf } from '../../../../ir/shape.js';
import { type PlanCtx, run, type Step } from '../../plan.js';

/** Copy x into a contiguous layout permuted by perm (a transpose); returns a step. */
export function transposeStep(
  ctx: PlanCtx,
  dims: number[],
  perm: number[],
  esize: number,
  src: (P: Float64Array) => number,
  dst: (P: Float64Array) => number,
): Step {
  const inSt = stridesOf(dims);
  const outDims = perm.map((p) => dims[p]!);
  const desc = ctx.resident(Int32Array.from([...outDims, ...perm.map((p) => inSt[p]!), ...stridesOf(outDims)]));
  const fn = ctx.fn('copy', 'copyStrided');
  return run(ctx, fn, numel(dims), (P) => [outDims.length, desc, src(P), dst(P), esize]);
}
