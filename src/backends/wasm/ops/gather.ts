// Gather on WASM (wasm/gather.ts): rows of the data tensor picked by an index tensor.

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf } from './lib/copy.js';

export const gather: OpPlanner = (ctx) => {
  const [x, idx] = ctx.node.inputs as Value[];
  const it = ctx.dtype(idx!);
  if (it !== 'int64' && it !== 'int32') return 'cpu';
  const d = ctx.dims(x!);
  const axis = normAxis(attrsOf(ctx).int('axis', 0), d.length);
  const outer = numel(d.slice(0, axis)),
    len = d[axis]!,
    inner = numel(d.slice(axis + 1));
  const n = numel(ctx.dims(idx!));
  const es = esizeOf(ctx, x!);
  const xs = ctx.slot(x!),
    is = ctx.slot(idx!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const fn = ctx.fn('gather', 'gather');
  const node = ctx.node;
  if (outer * n * inner === 0) return () => {};
  return (P) => {
    const bad = ctx.pool.call(fn, [outer, len, inner, P[xs]!, P[is]!, n, it === 'int64' ? 1 : 0, P[o]!, es]);
    if (bad) throw new Error(`${node.describe()}: index #${bad - 1} is out of range for axis ${axis} of size ${len}`);
  };
};

export const KERNELS: WasmFamily = {
  ownDtypes: ['nn.Gather'],
  planners: { 'nn.Gather': gather },
  anyDtype: ['nn.Gather'],
};
