// Quantize family on WASM: QuantizeLinear, DequantizeLinear (per tensor, per axis) and
// DynamicQuantizeLinear (wasm/quantize.ts).

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, type PlanCtx, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

/** Per-tensor or per-axis scale (and zero point): [outer, len, inner] around the axis. */
export function quantAxis(
  ctx: PlanCtx,
  x: Value,
  scale: Value,
): { outer: number; len: number; inner: number; stride: number } | undefined {
  const at = attrsOf(ctx);
  if (at.int('block_size', 0) !== 0) return undefined;
  const d = ctx.dims(x);
  const sn = numel(ctx.dims(scale));
  if (sn === 1) return { outer: numel(d), len: 1, inner: 1, stride: 0 };
  if (ctx.dims(scale).length !== 1 || !d.length) return undefined;
  const axis = normAxis(at.int('axis', 1), d.length);
  if (d[axis] !== sn) return undefined;
  return { outer: numel(d.slice(0, axis)), len: d[axis]!, inner: numel(d.slice(axis + 1)), stride: 1 };
}

export const dequantize: OpPlanner = (ctx) => {
  const [x, s, z] = ctx.node.inputs;
  const xt = ctx.dtype(x!);
  if (
    !(xt === 'int8' || xt === 'uint8' || xt === 'int32') ||
    ctx.dtype(s!) !== 'float32' ||
    !F32(ctx, ctx.node.outputs[0])
  )
    return 'cpu';
  if (z && ctx.dtype(z) !== xt) return 'cpu';
  const g = quantAxis(ctx, x!, s!);
  if (!g || g.outer * g.len * g.inner === 0) return 'cpu';
  const kind = xt === 'int32' ? 2 : xt === 'int8' ? 1 : 0;
  const sx = ctx.slot(x!),
    ss = ctx.slot(s!),
    sz = z ? ctx.slot(z) : -1,
    o = ctx.slot(ctx.node.outputs[0]!);
  return run(ctx, ctx.fn('quantize', 'dequantize'), g.outer * g.len * g.inner, (P) => [
    g.outer,
    g.len,
    g.inner,
    P[sx]!,
    kind,
    P[ss]!,
    g.stride,
    sz < 0 ? 0 : P[sz]!,
    P[o]!,
  ]);
};

export const quantize: OpPlanner = (ctx) => {
  const [x, s, z] = ctx.node.inputs;
  const yt = ctx.dtype(ctx.node.outputs[0]!);
  const at = attrsOf(ctx);
  if (!F32(ctx, x) || ctx.dtype(s!) !== 'float32' || !(yt === 'int8' || yt === 'uint8') || at.int('precision', 0) !== 0)
    return 'cpu';
  const g = quantAxis(ctx, x!, s!);
  if (!g || g.outer * g.len * g.inner === 0) return 'cpu';
  const sx = ctx.slot(x!),
    ss = ctx.slot(s!),
    sz = z ? ctx.slot(z) : -1,
    o = ctx.slot(ctx.node.outputs[0]!);
  return run(ctx, ctx.fn('quantize', 'quantize'), g.outer * g.len * g.inner, (P) => [
    g.outer,
    g.len,
    g.inner,
    P[sx]!,
    P[ss]!,
    g.stride,
    sz < 0 ? 0 : P[sz]!,
    yt === 'int8' ? 1 : 0,
    P[o]!,
  ]);
};

/** DynamicQuantizeLinear: per-thread min/max, the scale and zero point from them, then QuantizeLinear's kernel. */
export const dynamicQuantize: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  const [y, ys, yz] = ctx.node.outputs;
  if (!F32(ctx, x) || !y || !ys || !yz) return 'cpu';
  const d = ctx.dims(x);
  const n = numel(d);
  const inner = d.length ? d[d.length - 1]! : 1,
    outer = inner ? n / inner : 0;
  const parts = Math.max(1, ctx.threads);
  const part = ctx.scratch(parts * 8);
  const sx = ctx.slot(x),
    sy = ctx.slot(y),
    ss = ctx.slot(ys),
    sz = ctx.slot(yz);
  const clear = ctx.fn('elementwise', 'fill32'),
    params = ctx.fn('quantize', 'dynamicQuantParams');
  const minmax = run(ctx, ctx.fn('quantize', 'minMaxPartial'), n, (P) => [n, P[sx]!, P[part]!]);
  const quant = run(ctx, ctx.fn('quantize', 'quantize'), n, (P) => [
    outer,
    1,
    inner,
    P[sx]!,
    P[ss]!,
    0,
    P[sz]!,
    0,
    P[sy]!,
  ]);
  return async (P) => {
    ctx.pool.call(clear, [P[part]!, parts * 2, 0]);
    await minmax(P);
    ctx.pool.call(params, [parts, P[part]!, P[ss]!, P[sz]!]);
    if (n) await quant(P);
  };
};

export const KERNELS: WasmFamily = {
  planners: {
    'nn.DequantizeLinear': dequantize,
    'nn.QuantizeLinear': quantize,
    'nn.DynamicQuantizeLinear': dynamicQuantize,
  },
  anyDtype: ['nn.DequantizeLinear', 'nn.QuantizeLinear', 'nn.DynamicQuantizeLinear'],
};
