// Elementwise planners: k.map through run-time generated WASM code.

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import { type Expr, input, num, substitute } from '../../../ops/kernel/expr.js';
import { exprSupported } from '../codegen.js';
import { mapGeometry } from '../elementwise.js';
import { type OpPlanner, type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';

export async function planMap(
  ctx: PlanCtx,
  expr: Expr,
  ins: (Value | null)[],
  out: Value = ctx.node.outputs[0]!,
): Promise<Step | 'cpu'> {
  const outDims = ctx.dims(out);
  if (!exprSupported(expr)) return 'cpu';
  if (numel(outDims) === 0) return () => {};
  // scalar constants become literals in the code; the rest are streamed
  const subs: Expr[] = [];
  const streamed: Value[] = [];
  ins.forEach((v, i) => {
    if (!v) {
      subs[i] = num(0);
      return;
    }
    const c = ctx.constOf(v);
    if (c && c.size === 1 && c.type === 'float32') subs[i] = num((c.data as Float32Array)[0]!);
    else {
      subs[i] = input(streamed.length);
      streamed.push(v);
    }
  });
  const e = substitute(expr, subs);
  const geo = mapGeometry(
    outDims,
    streamed.map((v) => ctx.dims(v)),
    streamed.map((v) => ctx.dtype(v) === 'bool'),
  );
  if (!geo) return 'cpu';
  const fn = await ctx.mapFn(e, geo.modes, ctx.dtype(out) === 'bool');
  const slots = streamed.map((v) => ctx.slot(v));
  const o = ctx.slot(out);
  return run(ctx, fn, numel(outDims), (P) => {
    const a = [geo.rows, geo.len, geo.d1, geo.d2];
    slots.forEach((s, i) => {
      const st = geo.strides[i]!;
      a.push(P[s]!, st[0], st[1], st[2]);
    });
    a.push(P[o]!);
    return a;
  });
}

export const F32B = (ctx: PlanCtx, v: Value | null | undefined) =>
  !v || ctx.dtype(v) === 'float32' || ctx.dtype(v) === 'bool';
export const kmap: OpPlanner = async (ctx) => {
  const n = ctx.node;
  const conv = halfConversion(ctx);
  if (conv) return conv;
  const half = (v: Value | null | undefined) => !!v && ctx.dtype(v) === 'float16';
  if (!n.inputs.every((v) => F32B(ctx, v) || half(v)) || !(F32B(ctx, n.outputs[0]) || half(n.outputs[0]))) return 'cpu';
  if (!n.inputs.some(half) && !half(n.outputs[0])) return planMap(ctx, exprOf(attrsOf(ctx).string('expr')), n.inputs);
  // float16 operands (a widened model's boundary casts fused into a chain): widened into float32
  // copies, the map computed in float32, the result narrowed
  const steps: Step[] = [];
  const widened = n.inputs.map((v) => {
    if (!half(v)) return v;
    const t = ctx.temp(ctx.dims(v!));
    steps.push(convertStep(ctx, 'f16ToF32', v!, t));
    return t;
  });
  const out = n.outputs[0]!;
  const acc = half(out) ? ctx.temp(ctx.dims(out)) : out;
  const m = await planMap(ctx, exprOf(attrsOf(ctx).string('expr')), widened, acc);
  if (m === 'cpu') return 'cpu';
  steps.push(m);
  if (acc !== out) steps.push(convertStep(ctx, 'f32ToF16', acc, out));
  return async (P) => {
    for (const st of steps) await st(P);
  };
};

function convertStep(ctx: PlanCtx, name: 'f16ToF32' | 'f32ToF16', x: Value, y: Value): Step {
  const count = numel(ctx.dims(y)),
    sx = ctx.slot(x),
    sy = ctx.slot(y);
  return run(ctx, ctx.fn('cast', name), count, (P) => [count, P[sx]!, P[sy]!]);
}

/** A k.map that is only a float16 <-> float32 cast (the boundaries of a widened float16 model): a conversion kernel. */
function halfConversion(ctx: PlanCtx): Step | undefined {
  const n = ctx.node;
  const x = n.inputs[0],
    y = n.outputs[0];
  if (n.inputs.length !== 1 || !x || !y || attrsOf(ctx).string('expr') !== '$0') return undefined;
  const from = ctx.dtype(x),
    to = ctx.dtype(y);
  const name =
    from === 'float16' && to === 'float32'
      ? 'f16ToF32'
      : from === 'float32' && to === 'float16'
        ? 'f32ToF16'
        : undefined;
  return name ? convertStep(ctx, name, x, y) : undefined;
}

export const KERNELS: WasmFamily = { planners: { 'k.map': kmap } };
