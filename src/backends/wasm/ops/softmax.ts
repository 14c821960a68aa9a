// Softmax family on WASM: softmax, log-softmax and k.softmax (wasm/softmax.ts).

import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

export const softmax: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  if (!F32(ctx, x)) return 'cpu';
  const dims = ctx.dims(x);
  if (numel(dims) === 0) return () => {};
  const at = attrsOf(ctx);
  const coerce = at.int('coerce_2d', 0) !== 0;
  const axis = coerce
    ? at.int('axis', 1) < 0
      ? at.int('axis', 1) + dims.length
      : at.int('axis', 1)
    : normAxis(at.int('axis', -1), dims.length);
  const outer = numel(dims.slice(0, axis));
  const R = coerce ? numel(dims.slice(axis)) : dims[axis]!;
  const inner = coerce ? 1 : numel(dims.slice(axis + 1));
  const xs = ctx.slot(x),
    o = ctx.slot(ctx.node.outputs[0]!);
  const log = ctx.node.op === 'nn.LogSoftmax' || (ctx.node.op === 'k.softmax' && at.int('log', 0)) ? 1 : 0;
  return run(ctx, ctx.fn('softmax', 'softmax'), numel(dims) * 8, (P) => [log, outer, R, inner, P[xs]!, P[o]!]);
};

export const ksoftmax: OpPlanner = (ctx) => softmax(ctx);

export const KERNELS: WasmFamily = {
  planners: { 'k.softmax': ksoftmax, 'nn.Softmax': softmax, 'nn.LogSoftmax': softmax },
};
