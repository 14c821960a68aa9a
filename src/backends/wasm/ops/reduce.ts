// Reduction planners: reductions, ArgMax/ArgMin, softmax, layer/RMS norm, CumSum.

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { type OpPlanner, run } from '../plan.js';
import { attrsOf, F32 } from './common.js';
import { transposeStep } from './transpose-step.js';

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
  return run(ctx, ctx.fn('reduce', 'softmax'), numel(dims) * 8, (P) => [log, outer, R, inner, P[xs]!, P[o]!]);
};

export const ksoftmax: OpPlanner = (ctx) => softmax(ctx);
export const kreduce: OpPlanner = (ctx) => reduce(ctx);
export const klayernorm: OpPlanner = (ctx) => layerNorm(ctx);

export const layerNorm: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, scale, bias] = n.inputs;
  if (![x, scale, bias, ...n.outputs].every((v) => F32(ctx, v))) return 'cpu';
  const dims = ctx.dims(x!);
  const at = attrsOf(ctx);
  const axis = normAxis(at.int('axis', -1), dims.length);
  const rows = numel(dims.slice(0, axis)),
    len = numel(dims.slice(axis));
  if (rows * len === 0) return 'cpu';
  const cs = (v: Value | null | undefined) => {
    if (!v) return 0;
    const k = numel(ctx.dims(v));
    return k === len ? 1 : k === 1 ? 0 : -1;
  };
  const scs = cs(scale),
    bcs = cs(bias);
  if (scs < 0 || bcs < 0) return 'cpu';
  const rms = n.op === 'nn.RMSNormalization' || (n.op === 'k.layernorm' && at.int('rms', 0)) ? 1 : 0;
  const eps = at.float('epsilon', 1e-5);
  const sx = ctx.slot(x!),
    ss = ctx.slot(scale!),
    sb = bias ? ctx.slot(bias) : -1,
    o = ctx.slot(n.outputs[0]!);
  const sm = !rms && n.outputs[1] ? ctx.slot(n.outputs[1]) : -1;
  const si = n.outputs[rms ? 1 : 2] ? ctx.slot(n.outputs[rms ? 1 : 2]!) : -1;
  return run(ctx, ctx.fn('norm', 'layerNorm'), rows * len * 4, (P) => [
    rms,
    rows,
    len,
    P[sx]!,
    P[ss]!,
    scs,
    sb < 0 ? 0 : P[sb]!,
    bcs,
    P[o]!,
    eps,
    sm < 0 ? 0 : P[sm]!,
    si < 0 ? 0 : P[si]!,
  ]);
};

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
  return run(ctx, ctx.fn('reduce', 'argReduce'), numel(d), (P) => [isMax, last, outer, R, inner, P[xs]!, P[o]!]);
};

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
  return run(ctx, ctx.fn('reduce', 'cumsum'), numel(d), (P) => [
    at.int('exclusive', 0) ? 1 : 0,
    at.int('reverse', 0) ? 1 : 0,
    outer,
    R,
    inner,
    P[xs]!,
    P[o]!,
  ]);
};
