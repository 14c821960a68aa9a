// TopK on WASM (wasm/topk.ts).

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

export const topk: OpPlanner = (ctx) => {
  const [x, kv] = ctx.node.inputs as Value[];
  if (!F32(ctx, x)) return 'cpu';
  const kc = ctx.constOf(kv);
  if (!kc) return 'cpu';
  const k = Number(kc.data[0]);
  const d = ctx.dims(x!);
  const at = attrsOf(ctx);
  const axis = normAxis(at.int('axis', -1), d.length);
  if (axis !== d.length - 1 || k > 256 || k < 1) return 'cpu';
  const n = d[axis]!,
    rows = numel(d) / n;
  const xs = ctx.slot(x!),
    vs = ctx.slot(ctx.node.outputs[0]!),
    is = ctx.slot(ctx.node.outputs[1]!);
  const largest = at.int('largest', 1);
  return run(ctx, ctx.fn('topk', 'topk'), rows * n * (rows > 1 ? 1 : 0), (P) => [
    rows,
    n,
    k,
    largest,
    P[xs]!,
    P[vs]!,
    P[is]!,
  ]);
};

export const KERNELS: WasmFamily = { ownDtypes: ['nn.TopK'], planners: { 'nn.TopK': topk } };
