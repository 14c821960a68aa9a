// Data movement shared by the layout families: strided copies (wasm/copy.ts) and views (the
// output aliases the input's storage).

import { dtypeBytes } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import { numel } from '../../../../ir/shape.js';
import { type OpPlanner, type PlanCtx, run, type Step } from '../../plan.js';

/** Strided copy with explicit source and destination strides (elements); src/dst offsets in elements. */
export function stridedStep(
  ctx: PlanCtx,
  dims: number[],
  sst: number[],
  dst: number[],
  esize: number,
  src: (P: Float64Array) => number,
  dstp: (P: Float64Array) => number,
): Step {
  if (numel(dims) === 0) return () => {};
  const d = dims.length ? dims : [1];
  const desc = ctx.resident(Int32Array.from([...d, ...(dims.length ? sst : [1]), ...(dims.length ? dst : [1])]));
  const fn = ctx.fn('copy', 'copyStrided');
  return run(ctx, fn, numel(dims), (P) => [d.length, desc, src(P), dstp(P), esize]);
}

export const esizeOf = (ctx: PlanCtx, v: Value) => dtypeBytes(ctx.dtype(v));

/** A view: the output is the input's storage with other dims (reshape-like ops), no copy. */
export const view: OpPlanner = (ctx) => {
  ctx.alias(ctx.node.outputs[0]!, ctx.node.inputs[0]!);
  return 'view';
};
