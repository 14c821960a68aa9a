// ConvInteger on WASM in float32 (exact for the sums quantized models make): im2col + GEMM.

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import type { Tensor } from '../../../ir/tensor.js';
import { type ConvShape, convShape } from '../../../ops/conv.js';
import { type OpPlanner, type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';

/**
 * ConvInteger computed in float32: x - x_zero_point into a float copy (im2col's zero padding is
 * then the zero point, as the spec has it), constant weights less their zero points made float
 * once, the float im2col + GEMM, and the integer result rounded back. Exact while partial sums stay
 * under 2^24 in magnitude; beyond, within float32 rounding.
 */
export const convInteger: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, w, xz, wz] = n.inputs as (Value | null)[];
  const int8 = (v: Value | null | undefined) => !!v && (ctx.dtype(v) === 'uint8' || ctx.dtype(v) === 'int8');
  const wc = ctx.constOf(w),
    wzc = wz ? ctx.constOf(wz) : undefined;
  if (!int8(x) || !int8(w) || !wc || (wz && !wzc) || (xz && (!int8(xz) || numel(ctx.dims(xz)) !== 1))) return 'cpu';
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!);
  const { shape: s } = convShape(
    { dims: xd } as unknown as Tensor,
    { dims: wd } as unknown as Tensor,
    attrsOf(ctx),
    'ConvInteger',
  );
  const M = wd[0]!,
    per = numel(wd) / M;
  const wv = wc.toNumbers(),
    wzv = wzc ? wzc.toNumbers() : [0];
  if (wzv.length !== 1 && wzv.length !== M) return 'cpu';
  const wf = new Float32Array(wv.length);
  for (let m = 0; m < M; m++) {
    const z = wzv.length === 1 ? wzv[0]! : wzv[m]!;
    for (let i = 0; i < per; i++) wf[m * per + i] = wv[m * per + i]! - z;
  }
  const wPtr = ctx.resident(wf),
    one = ctx.resident(Float32Array.of(1));
  const nx = numel(xd),
    yd = ctx.dims(n.outputs[0]!),
    ny = numel(yd);
  const xf = ctx.slot(ctx.temp(xd)),
    yf = ctx.slot(ctx.temp(yd));
  const sx = ctx.slot(x!),
    sxz = xz ? ctx.slot(xz) : -1,
    so = ctx.slot(n.outputs[0]!);
  const kind = ctx.dtype(x!) === 'int8' ? 1 : 0;
  const toFloat = run(ctx, ctx.fn('quantize', 'dequantize'), nx, (P) => [
    nx / xd[xd.length - 1]!,
    1,
    xd[xd.length - 1]!,
    P[sx]!,
    kind,
    one,
    0,
    sxz < 0 ? 0 : P[sxz]!,
    P[xf]!,
  ]);
  const conv = floatConv(
    ctx,
    s,
    (P) => P[xf]!,
    () => wPtr,
    (P) => P[yf]!,
  );
  const toInt = run(ctx, ctx.fn('conv', 'f32ToI32'), ny, (P) => [ny, P[yf]!, P[so]!]);
  if (ny === 0) return () => {};
  return async (P) => {
    await toFloat(P);
    await conv(P);
    await toInt(P);
  };
};

/** Float convolution by im2col + GEMM per image and group (no epilogue), pointers resolved per run. */
function floatConv(
  ctx: PlanCtx,
  s: ConvShape,
  xp: (P: Float64Array) => number,
  wp: (P: Float64Array) => number,
  yp: (P: Float64Array) => number,
): Step {
  const Cg = s.C / s.group,
    Mg = s.M / s.group;
  const Kk = Cg * numel(s.kS),
    Pn = numel(s.outS),
    plane = numel(s.inS);
  const desc = ctx.resident(Int32Array.from([...s.inS, ...s.kS, ...s.str, ...s.padB, ...s.dil, ...s.outS]));
  const pointwise =
    numel(s.kS) === 1 && s.str.every((v) => v === 1) && s.padB.every((v) => v === 0) && numel(s.inS) === Pn;
  const col = pointwise ? -1 : ctx.scratch(Kk * Pn * 4);
  const ws = ctx.workspace();
  const im2col = ctx.fn('conv', 'im2col'),
    gemmFn = ctx.fn('matmul', 'gemm');
  const steps: Step[] = [];
  for (let b = 0; b < s.N; b++) {
    for (let g = 0; g < s.group; g++) {
      const xOff = (b * s.C + g * Cg) * plane * 4,
        yOff = (b * s.M + g * Mg) * Pn * 4,
        wOff = g * Mg * Kk * 4;
      if (!pointwise) steps.push(run(ctx, im2col, Kk * Pn, (P) => [Cg, desc, xp(P) + xOff, P[col]!]));
      steps.push(
        run(ctx, gemmFn, 2 * Mg * Kk * Pn, (P) => [
          Mg,
          Pn,
          Kk,
          1,
          wp(P) + wOff,
          Kk,
          1,
          0,
          pointwise ? xp(P) + xOff : P[col]!,
          Pn,
          1,
          0,
          0,
          yp(P) + yOff,
          Pn,
          0,
          1,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          ws.ptr,
          ws.stride,
        ]),
      );
    }
  }
  return async (P) => {
    for (const st of steps) await st(P);
  };
}

export const KERNELS: WasmFamily = { planners: { 'nn.ConvInteger': convInteger }, anyDtype: ['nn.ConvInteger'] };
