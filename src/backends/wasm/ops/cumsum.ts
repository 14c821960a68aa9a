// CumSum on WASM (wasm/cumsum.ts): exclusive and reverse along one axis.

import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

export const cumsum: OpPlanner = (ctx) => {
  const [x, ax] = ctx.node.inputs;
  if (!F32(ctx, x)) return 'cpu';
  const c = ctx.constOf(ax);
  if (!c) return 'cpu';
  const d = ctx.dims(x!);
  if (numel(d) === 0 || d.length === 0) return 'cpu';
  const axis = normAxis(Number(c.data[0]), d.length);
  const at = attrsOf(ctx);
  const outer = numel(d.slice(0, axis)),
    R = d[axis]!,
    inner = numel(d.slice(axis + 1));
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return run(ctx, ctx.fn('cumsum', 'cumsum'), numel(d), (P) => [
    at.int('exclusive', 0) ? 1 : 0,
    at.int('reverse', 0) ? 1 : 0,
    outer,
    R,
    inner,
    P[xs]!,
    P[o]!,
  ]);
};

export const KERNELS: WasmFamily = { ownDtypes: ['nn.CumSum'], planners: { 'nn.CumSum': cumsum } };
