// ArgMax / ArgMin on WASM (wasm/argmax.ts).

import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

export const argReduce: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  if (!F32(ctx, x)) return 'cpu';
  const d = ctx.dims(x);
  if (numel(d) === 0) return 'cpu';
  const at = attrsOf(ctx);
  const axis = normAxis(at.int('axis', 0), d.length);
  const outer = numel(d.slice(0, axis)),
    R = d[axis]!,
    inner = numel(d.slice(axis + 1));
  const xs = ctx.slot(x),
    o = ctx.slot(ctx.node.outputs[0]!);
  const isMax = ctx.node.op === 'nn.ArgMax' ? 1 : 0,
    last = at.int('select_last_index', 0) ? 1 : 0;
  return run(ctx, ctx.fn('argmax', 'argReduce'), numel(d), (P) => [isMax, last, outer, R, inner, P[xs]!, P[o]!]);
};

export const KERNELS: WasmFamily = {
  ownDtypes: ['nn.ArgMax', 'nn.ArgMin'],
  planners: { 'nn.ArgMax': argReduce, 'nn.ArgMin': argReduce },
};
