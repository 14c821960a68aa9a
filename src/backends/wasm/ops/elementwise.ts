// Elementwise planners: k.map through run-time generated WASM code.

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { mapGeometry } from '../elementwise.js';
import { exprSupported } from '../codegen.js';
import { input, num, substitute, type Expr } from '../../../ops/kernel/expr.js';
import { exprOf } from '../../../ops/kernel/map.js';
import { attrsOf } from './common.js';
import { run, type OpPlanner, type PlanCtx, type Step } from '../plan.js';

export async function planMap(ctx: PlanCtx, expr: Expr, ins: (Value | null)[], out: Value = ctx.node.outputs[0]!): Promise<Step | 'cpu'> {
  const outDims = ctx.dims(out);
  if (!exprSupported(expr)) return 'cpu';
  if (numel(outDims) === 0) return () => {};
  // scalar constants become literals in the code; the rest are streamed
  const subs: Expr[] = [];
  const streamed: Value[] = [];
  ins.forEach((v, i) => {
    if (!v) { subs[i] = num(0); return; }
    const c = ctx.constOf(v);
    if (c && c.size === 1 && c.type === 'float32') subs[i] = num((c.data as Float32Array)[0]!);
    else { subs[i] = input(streamed.length); streamed.push(v); }
  });
  const e = substitute(expr, subs);
  const geo = mapGeometry(outDims, streamed.map((v) => ctx.dims(v)), streamed.map((v) => ctx.dtype(v) === 'bool'));
  if (!geo) return 'cpu';
  const fn = await ctx.mapFn(e, geo.modes, ctx.dtype(out) === 'bool');
  const slots = streamed.map((v) => ctx.slot(v));
  const o = ctx.slot(out);
  return run(ctx, fn, numel(outDims), (P) => {
    const a = [geo.rows, geo.len, geo.d1, geo.d2];
    slots.forEach((s, i) => { const st = geo.strides[i]!; a.push(P[s]!, st[0], st[1], st[2]); });
    a.push(P[o]!);
    return a;
  });
}

export const F32B = (ctx: PlanCtx, v: Value | null | undefined) => !v || ctx.dtype(v) === 'float32' || ctx.dtype(v) === 'bool';
export const kmap: OpPlanner = (ctx) => {
  const n = ctx.node;
  if (!n.inputs.every((v) => F32B(ctx, v)) || !F32B(ctx, n.outputs[0])) return 'cpu';
  return planMap(ctx, exprOf(attrsOf(ctx).string('expr')), n.inputs);
};

