// Quantized planners: MatMulInteger, QuantizeLinear, DequantizeLinear.

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import { nbits4Direct } from '../../../ops/contrib-math.js';
import { type OpPlanner, type PlanCtx, run } from '../plan.js';
import { attrsOf, F32 } from './common.js';

export const I8 = (ctx: PlanCtx, v: Value | null | undefined) =>
  !!v && (ctx.dtype(v) === 'int8' || ctx.dtype(v) === 'uint8');

export const matmulInteger: OpPlanner = (ctx) => {
  const [a, b, za, zb] = ctx.node.inputs;
  if (!I8(ctx, a) || !I8(ctx, b) || (za && !I8(ctx, za)) || (zb && !I8(ctx, zb))) return 'cpu';
  const ad = ctx.dims(a!),
    bd = ctx.dims(b!),
    od = ctx.dims(ctx.node.outputs[0]!);
  if (ad.length < 2 || bd.length < 2) return 'cpu';
  const M = ad[ad.length - 2]!,
    K = ad[ad.length - 1]!,
    N = bd[bd.length - 1]!;
  const batch = numel(od.slice(0, -2));
  const bs = (dims: number[], size: number) =>
    numel(dims.slice(0, -2)) === 1 ? 0 : numel(dims.slice(0, -2)) === batch ? size : -1;
  const bsa = bs(ad, M * K),
    bsb = bs(bd, K * N);
  if (bsa < 0 || bsb < 0 || batch * M * N === 0) return 'cpu';
  const zs = (z: Value | null | undefined, per: number) => {
    if (!z) return 0;
    const n = numel(ctx.dims(z));
    return n === 1 ? 0 : n === per ? 1 : -1;
  };
  const zas = zs(za, M),
    zbs = zs(zb, N);
  if (zas < 0 || zbs < 0) return 'cpu';
  const sa = ctx.slot(a!),
    sb = ctx.slot(b!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const sza = za ? ctx.slot(za) : -1,
    szb = zb ? ctx.slot(zb) : -1;
  const signed = (v: Value) => (ctx.dtype(v) === 'int8' ? 1 : 0);
  return run(ctx, ctx.fn('quant', 'matmulInteger'), 2 * batch * M * N * K, (P) => [
    M,
    N,
    K,
    batch,
    P[sa]!,
    signed(a!),
    bsa,
    P[sb]!,
    signed(b!),
    bsb,
    sza < 0 ? 0 : P[sza]!,
    zas,
    szb < 0 ? 0 : P[szb]!,
    zbs,
    P[o]!,
  ]);
};

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
  return run(ctx, ctx.fn('quant', 'dequantize'), g.outer * g.len * g.inner, (P) => [
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
  return run(ctx, ctx.fn('quant', 'quantize'), g.outer * g.len * g.inner, (P) => [
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
    params = ctx.fn('quant', 'dynamicQuantParams');
  const minmax = run(ctx, ctx.fn('quant', 'minMaxPartial'), n, (P) => [n, P[sx]!, P[part]!]);
  const quant = run(ctx, ctx.fn('quant', 'quantize'), n, (P) => [
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

/** MatMulNBits with 4-bit codes, straight from the packed weights (no dequantised copy). */
export const matMulNBits: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [A, B, S, Z, , bias] = n.inputs;
  if (!nbits4Direct(n)) return 'cpu';
  const at = attrsOf(ctx);
  const K = at.int('K'),
    N = at.int('N'),
    bs = at.int('block_size');
  const M = numel(ctx.dims(A!)) / K;
  if (M * N === 0) return () => {};
  // A split into even/odd elements, and per thread one dequantised column of W
  const split = ctx.scratch(M * K * 4),
    work = ctx.scratch(ctx.threads * K * 4);
  const sa = ctx.slot(A!),
    sb = ctx.slot(B!),
    ss = ctx.slot(S!),
    sz = Z ? ctx.slot(Z) : -1,
    sbias = bias ? ctx.slot(bias) : -1;
  const o = ctx.slot(n.outputs[0]!);
  const fSplit = ctx.fn('quant', 'nbitsSplitA'),
    fMul = ctx.fn('quant', 'matmulNBits4');
  const pool = ctx.pool;
  const mul = run(ctx, fMul, 2 * M * N * K, (P) => [
    M,
    N,
    K,
    bs,
    P[split]!,
    P[sb]!,
    P[ss]!,
    sz < 0 ? 0 : P[sz]!,
    sbias < 0 ? 0 : P[sbias]!,
    P[o]!,
    P[work]!,
  ]);
  return async (P) => {
    pool.call(fSplit, [M, K, P[sa]!, P[split]!]);
    await mul(P);
  };
};
