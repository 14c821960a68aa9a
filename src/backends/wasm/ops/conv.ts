// Convolution planners beyond k.conv: ConvTranspose as GEMM (Wᵀ·X into columns) + col2im, and
// ConvInteger in float32 (exact for the sums quantized models make).

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import type { Tensor } from '../../../ir/tensor.js';
import { type ConvShape, convShape, transposeGeometry } from '../../../ops/conv.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import { to3 } from '../../../ops/nn-util.js';
import { type OpPlanner, type PlanCtx, run, type Step } from '../plan.js';
import { attrsOf, F32 } from './common.js';
import { planMap } from './elementwise.js';
import { stridedStep } from './layout.js';
import { matchEpilogue } from './matmul.js';

/** ConvTranspose: per image and group, columns[Mg·k, P] = Wgᵀ[Mg·k, Cg] · Xg[Cg, P]; then col2im adds them into Y (bias first). */
export const convTranspose: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, w, b] = n.inputs as (Value | null)[];
  if (![x, w, b, n.outputs[0]].every((v) => F32(ctx, v))) return 'cpu';
  const at = attrsOf(ctx);
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!),
    yd = ctx.dims(n.outputs[0]!);
  const sp = xd.length - 2;
  if (sp < 1 || sp > 3) return 'cpu';
  const group = at.int('group', 1);
  const [N, C] = xd as [number, number];
  const Cg = C / group,
    Mg = wd[1]!,
    M = Mg * group;
  const kernel = wd.slice(2);
  const geo = transposeGeometry(xd.slice(2), kernel, at);
  const strides = at.ints('strides', []),
    dil = at.ints('dilations', []);
  const K = numel(kernel),
    Pin = numel(xd.slice(2)),
    Pout = numel(yd.slice(2));
  if (N * M * Pout === 0) return () => {};
  const desc = ctx.resident(
    Int32Array.from([
      ...to3(geo.out, 1),
      ...to3(kernel, 1),
      ...to3(strides.length ? strides : kernel.map(() => 1), 1),
      ...to3(geo.padBegin, 0),
      ...to3(dil.length ? dil : kernel.map(() => 1), 1),
      ...to3(xd.slice(2), 1),
    ]),
  );
  const col = ctx.scratch(Mg * K * Pin * 4);
  const sx = ctx.slot(x!),
    sw = ctx.slot(w!),
    so = ctx.slot(n.outputs[0]!),
    sb = b ? ctx.slot(b) : -1;
  const ws = ctx.workspace();
  const gemmFn = ctx.fn('matmul', 'gemm'),
    col2im = ctx.fn('conv', 'col2im'),
    fill = ctx.fn('elementwise', 'fill32');
  const steps: Step[] = [];
  for (let i = 0; i < N; i++) {
    for (let g = 0; g < group; g++) {
      const xOff = (i * C + g * Cg) * Pin * 4,
        yOff = (i * M + g * Mg) * Pout * 4,
        wOff = g * Cg * Mg * K * 4;
      // Y starts as the bias broadcast over positions (or zero)
      if (sb >= 0)
        steps.push(
          stridedStep(
            ctx,
            [Mg, Pout],
            [1, 0],
            [Pout, 1],
            4,
            (P) => P[sb]! + g * Mg * 4,
            (P) => P[so]! + yOff,
          ),
        );
      else steps.push(run(ctx, fill, Mg * Pout, (P) => [P[so]! + yOff, Mg * Pout, 0]));
      steps.push(
        run(ctx, gemmFn, 2 * Mg * K * Pin * Cg, (P) => [
          Mg * K,
          Pin,
          Cg,
          1,
          P[sw]! + wOff,
          1,
          Mg * K,
          0,
          P[sx]! + xOff,
          Pin,
          1,
          0,
          0,
          P[col]!,
          Pin,
          0,
          1,
          0,
          0,
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
      steps.push(run(ctx, col2im, Mg * K * Pin, (P) => [Mg, desc, P[col]!, P[so]! + yOff]));
    }
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

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
  const toFloat = run(ctx, ctx.fn('quant', 'dequantize'), nx, (P) => [
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
  const toInt = run(ctx, ctx.fn('quant', 'f32ToI32'), ny, (P) => [ny, P[yf]!, P[so]!]);
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

/**
 * k.conv with one input channel per group (depthwise), 1-D or 2-D: the direct kernel. Its epilogue
 * is a per-channel bias with an optional ReLU in the kernel, any other one a generated map after.
 * Undefined when the node is not depthwise.
 */
export async function depthwiseConv(ctx: PlanCtx): Promise<Step | 'cpu' | undefined> {
  const n = ctx.node;
  const [x, w, ...extras] = n.inputs as Value[];
  const at = attrsOf(ctx);
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!),
    yd = ctx.dims(n.outputs[0]!);
  const sp = xd.length - 2,
    group = at.int('group', 1);
  if ((sp !== 1 && sp !== 2) || wd[1] !== 1 || group !== xd[1] || group === 1) return undefined;
  const two = <T>(a: T[], fill: T) => (sp === 1 ? [fill, ...a] : a);
  const [H, W] = two(xd.slice(2), 1),
    [OH, OW] = two(yd.slice(2), 1),
    [KH, KW] = two(wd.slice(2), 1);
  const [sh, sw] = two(at.ints('strides'), 1),
    [dh, dwl] = two(at.ints('dilations'), 1);
  const pads = at.ints('pads');
  const [ph, pw] = two(pads.slice(0, sp), 0);
  const N = xd[0]!,
    C = xd[1]!,
    M = wd[0]!;
  if (N * M * OH * OW === 0) return () => {};
  const e = exprOf(at.string('epilogue', '$0'));
  const m = matchEpilogue(e);
  let bias: Value | undefined;
  let act = 0,
    generic = !m || m.alpha !== 1 || m.extras.length > 1 || (m.act !== 0 && m.act !== 1);
  if (!generic && m!.extras.length) {
    bias = extras[m!.extras[0]! - 1]!;
    const bd = ctx.dims(bias);
    if (numel(bd) !== M || bd[0] !== M) generic = true;
  }
  if (!generic) act = m!.act;
  else bias = undefined;
  const acc = generic ? ctx.temp(yd) : n.outputs[0]!;
  const desc = ctx.resident(Int32Array.from([C, H!, W!, OH!, OW!, KH!, KW!, sh!, sw!, ph!, pw!, dh!, dwl!, M / C, N]));
  const sx = ctx.slot(x!),
    sw8 = ctx.slot(w!),
    so = ctx.slot(acc),
    sb = bias ? ctx.slot(bias) : -1;
  // a few multiply-adds per output read a whole input row: split across threads only when a
  // thread's share is well above the cost of waking one (≈ 2^18 multiply-adds in all)
  const macs = N * M * OH! * OW! * KH! * KW!;
  const step = run(ctx, ctx.fn('conv', 'depthwise'), macs >> 3, (P) => [
    desc,
    P[sx]!,
    P[sw8]!,
    sb < 0 ? 0 : P[sb]!,
    P[so]!,
    act,
  ]);
  if (!generic) return step;
  const epi = await planMap(ctx, e, [acc, ...extras], n.outputs[0]!);
  if (epi === 'cpu') return 'cpu';
  return async (P) => {
    await step(P);
    await epi(P);
  };
}
