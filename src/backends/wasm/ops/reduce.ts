// Reduce family on WASM: ReduceSum/Mean/Max/… and the lowered k.reduce (wasm/reduce.ts).

import { normAxis, numel } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';
import { transposeStep } from './lib/transpose-step.js';

export const K_REDUCE: Record<string, number> = {
  sum: 0,
  mean: 1,
  max: 2,
  min: 3,
  prod: 4,
  sumsquare: 5,
  l1: 6,
  l2: 7,
  logsum: 8,
  logsumexp: 9,
};
export const REDUCE_OPS: Record<string, number> = {
  'nn.ReduceSum': 0,
  'nn.ReduceMean': 1,
  'nn.ReduceMax': 2,
  'nn.ReduceMin': 3,
  'nn.ReduceProd': 4,
  'nn.ReduceSumSquare': 5,
  'nn.ReduceL1': 6,
  'nn.ReduceL2': 7,
  'nn.ReduceLogSum': 8,
  'nn.ReduceLogSumExp': 9,
};

export const reduce: OpPlanner = (ctx) => {
  const n = ctx.node;
  const x = n.inputs[0]!;
  if (!F32(ctx, x)) return 'cpu';
  const dims = ctx.dims(x);
  if (numel(dims) === 0 || dims.length === 0) return 'cpu';
  const at = attrsOf(ctx);
  let axes: number[];
  if (n.op === 'k.reduce') axes = at.ints('axes');
  else if (n.inputs[1]) {
    const c = ctx.constOf(n.inputs[1]);
    if (!c) return 'cpu';
    axes = toIntArray(c);
  } else axes = at.has('axes') ? at.ints('axes') : [];
  const noop = at.int('noop_with_empty_axes', 0) !== 0;
  if (!axes.length && noop) {
    ctx.alias(n.outputs[0]!, x);
    return 'view';
  }
  const red = new Set(axes.length ? axes.map((a) => normAxis(a, dims.length)) : dims.map((_, i) => i));
  const list = [...red].sort((p, q) => p - q);
  const o = ctx.slot(n.outputs[0]!),
    xs = ctx.slot(x);
  const fn = ctx.fn('reduce', 'reduce');
  const code = n.op === 'k.reduce' ? K_REDUCE[at.string('op')]! : REDUCE_OPS[n.op]!;
  if (code === undefined) return 'cpu';
  const contiguous = list[list.length - 1]! - list[0]! + 1 === list.length;
  if (contiguous) {
    const outer = numel(dims.slice(0, list[0]!)),
      R = numel(list.map((a) => dims[a]!)),
      inner = numel(dims.slice(list[list.length - 1]! + 1));
    return run(ctx, fn, numel(dims), (P) => [code, outer, R, inner, P[xs]!, P[o]!]);
  }
  // reduced axes apart: move them last first
  const kept = dims.map((_, i) => i).filter((i) => !red.has(i));
  const tmp = ctx.scratch(numel(dims) * 4);
  const t = transposeStep(
    ctx,
    dims,
    [...kept, ...list],
    4,
    (P) => P[xs]!,
    (P) => P[tmp]!,
  );
  const outer = numel(kept.map((a) => dims[a]!)),
    R = numel(list.map((a) => dims[a]!));
  const r = run(ctx, fn, numel(dims), (P) => [code, outer, R, 1, P[tmp]!, P[o]!]);
  return async (P) => {
    await t(P);
    await r(P);
  };
};

export const kreduce: OpPlanner = (ctx) => reduce(ctx);

export const KERNELS: WasmFamily = {
  ownDtypes: Object.keys(REDUCE_OPS),
  planners: { 'k.reduce': kreduce, ...Object.fromEntries(Object.keys(REDUCE_OPS).map((k) => [k, reduce])) },
};
