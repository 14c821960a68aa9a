// Convolution family on WASM: k.conv by im2col + packed GEMM with its epilogue, depthwise
// convolutions by a direct kernel.

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import { type OpPlanner, type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { planMap } from './elementwise.js';
import { attrsOf, F32 } from './lib/common.js';
import { matchEpilogue } from './lib/gemm.js';

/** k.conv: per image and group, im2col into scratch, then the weights (A, packed per thread) times the patches. */
export const kconv: OpPlanner = async (ctx) => {
  const n = ctx.node;
  const [x, w, ...extras] = n.inputs as Value[];
  if (![x, w, ...extras, n.outputs[0]].every((v) => F32(ctx, v))) return 'cpu';
  const at = attrsOf(ctx);
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!),
    yd = ctx.dims(n.outputs[0]!);
  const sp = xd.length - 2;
  if (sp < 1 || sp > 3) return 'cpu';
  const group = at.int('group', 1);
  const strides = at.ints('strides'),
    pads = at.ints('pads'),
    dil = at.ints('dilations');
  const [N, C] = xd as [number, number];
  const Mo = wd[0]!,
    Cg = C / group,
    Mg = Mo / group;
  const pad3 = (a: number[], fill: number) => [...new Array(3 - sp).fill(fill), ...a];
  const ins = pad3(xd.slice(2), 1),
    ks = pad3(wd.slice(2), 1),
    outs = pad3(yd.slice(2), 1);
  const desc = ctx.resident(
    Int32Array.from([...ins, ...ks, ...pad3(strides, 1), ...pad3(pads.slice(0, sp), 0), ...pad3(dil, 1), ...outs]),
  );
  const Kk = Cg * numel(ks),
    P = numel(outs),
    plane = numel(ins);
  if (N * Mo * P === 0) return () => {};
  const pointwise = numel(ks) === 1 && strides.every((s) => s === 1) && pads.every((p) => p === 0);
  const col = pointwise ? -1 : ctx.scratch(Kk * P * 4);
  // epilogue in registers: act(acc + per-channel bias ([M,1,…]) + a residual of the output's shape)
  const e = exprOf(at.string('epilogue', '$0'));
  const m = matchEpilogue(e);
  let bias: Value | undefined, residual: Value | undefined;
  let act = 0;
  let generic = !(m && m.alpha === 1);
  if (!generic) {
    act = m!.act;
    for (const k of m!.extras) {
      const v = extras[k - 1]!,
        vd = ctx.dims(v);
      if (!bias && numel(vd) === Mo && vd.length === yd.length - 1 && vd[0] === Mo) bias = v;
      else if (!residual && vd.join() === yd.join() && v !== x) residual = v;
      else generic = true;
    }
  }
  const acc = generic ? ctx.temp(yd) : n.outputs[0]!;
  if (generic) {
    act = 0;
    bias = undefined;
    residual = undefined;
  }
  const sx = ctx.slot(x!),
    sw = ctx.slot(w!),
    so = ctx.slot(acc),
    sb = bias ? ctx.slot(bias) : -1,
    sr = residual ? ctx.slot(residual) : -1;
  const ws = ctx.workspace();
  const im2col = ctx.fn('conv', 'im2col'),
    gemmFn = ctx.fn('matmul', 'gemm');
  const steps: Step[] = [];
  for (let b = 0; b < N; b++) {
    for (let g = 0; g < group; g++) {
      const xOff = (b * C + g * Cg) * plane * 4;
      const yOff = (b * Mo + g * Mg) * P * 4;
      const wOff = g * Mg * Kk * 4;
      if (!pointwise) steps.push(run(ctx, im2col, Kk * P, (Pp) => [Cg, desc, Pp[sx]! + xOff, Pp[col]!]));
      steps.push(
        run(ctx, gemmFn, 2 * Mg * Kk * P, (Pp) => [
          Mg,
          P,
          Kk,
          1,
          Pp[sw]! + wOff,
          Kk,
          1,
          0,
          pointwise ? Pp[sx]! + xOff : Pp[col]!,
          P,
          1,
          0,
          0,
          Pp[so]! + yOff,
          P,
          0,
          1,
          sb < 0 ? 0 : Pp[sb]! + g * Mg * 4,
          1,
          0,
          0,
          sr < 0 ? 0 : Pp[sr]! + yOff,
          P,
          1,
          0,
          act,
          ws.ptr,
          ws.stride,
        ]),
      );
    }
  }
  let epi: Step | 'cpu' | undefined;
  if (generic) {
    epi = await planMap(ctx, e, [acc, ...extras], n.outputs[0]!);
    if (epi === 'cpu') return 'cpu';
  }
  return async (Pp) => {
    for (const s of steps) await s(Pp);
    if (epi) await (epi as Step)(Pp);
  };
};

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

export const KERNELS: WasmFamily = { planners: { 'k.conv': async (ctx) => (await depthwiseConv(ctx)) ?? kconv(ctx) } };
