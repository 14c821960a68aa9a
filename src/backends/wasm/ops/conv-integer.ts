// ConvInteger on WASM: 1-D/2-D by the integer GEMM of wasm/conv-integer.ts (tiled im2col of 16-bit
// pairs, i32x4.dot_i16x8_s, int32 result); 3-D in float32 by im2col + GEMM (exact for the sums
// quantized models make).

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import type { Tensor } from '../../../ir/tensor.js';
import { type ConvShape, convShape } from '../../../ops/conv.js';
import { type OpPlanner, type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';

/** Bytes of packed patches a thread gathers per tile: a few hundred KiB, so a tile stays in L2. */
const TILE_BYTES = 192 << 10;

/**
 * Weights less their zero points as 16-bit pairs for the kernel: [ceil(Mg/4)][Kp][4][2] per group,
 * zero past Mg and K, and the row sums Σk (w - wz) the kernel needs for the input's zero point. Pairs
 * follow im2col's rows (k, k+1), or with `taps` the stride-1 path's order: tap by tap, channel pairs.
 */
export function packIntegerWeights(w: number[], wz: number[], M: number, group: number, K: number, taps?: number) {
  const Mg = M / group,
    Cp = taps ? (K / taps + 1) >> 1 : 0,
    Kp = taps ? taps * Cp : (K + 1) >> 1,
    Mb = (Mg + 3) >> 2;
  // k = c·taps + tap in the weights' own order; its pair and half
  const at = taps
    ? (k: number) => ((k % taps) * Cp + (Math.floor(k / taps) >> 1)) * 8 + (Math.floor(k / taps) & 1)
    : (k: number) => (k >> 1) * 8 + (k & 1);
  const packed = new Int16Array(group * Mb * Kp * 8),
    rowSum = new Int32Array(group * Mb * 4);
  for (let m = 0; m < M; m++) {
    const g = Math.floor(m / Mg),
      r = m % Mg,
      z = wz.length === 1 ? wz[0]! : wz[m]!;
    const base = (g * Mb + (r >> 2)) * Kp * 8 + (r & 3) * 2;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = w[m * K + k]! - z;
      packed[base + at(k)] = v;
      sum += v;
    }
    rowSum[g * Mb * 4 + r] = sum;
  }
  return { packed, rowSum, Kp, Mb };
}

/** ConvInteger with 1 or 2 spatial dims: per image and group, the integer tiled-GEMM kernel. */
function integerConv(ctx: PlanCtx, s: ConvShape, x: Value, xz: Value | null, wv: number[], wzv: number[]): Step {
  // the shape's spatial lists are padded to 3 axes at the front: the last two are H and W
  const [, H, W] = s.inS,
    [, OH, OW] = s.outS,
    [, KH, KW] = s.kS;
  const [, sh, sw] = s.str,
    [, ph, pw] = s.padB,
    [, dh, dw] = s.dil;
  const Cg = s.C / s.group,
    Mg = s.M / s.group,
    K = Cg * KH! * KW!,
    P = OH! * OW!;
  const sx = ctx.slot(x),
    sxz = xz ? ctx.slot(xz) : -1,
    so = ctx.slot(ctx.node.outputs[0]!);
  const signed = ctx.dtype(x) === 'int8' ? 1 : 0;
  const steps: Step[] = [];
  const xzArg = (Q: Float64Array) => (sxz < 0 ? 0 : Q[sxz]!);
  if (sh === 1 && sw === 1) {
    // stride 1: padded channel-pair planes once, every tap read from them in place
    const taps = KH! * KW!,
      Cp = (Cg + 1) >> 1;
    const Hp = OH! + (KH! - 1) * dh!,
      Wp = OW! + (KW! - 1) * dw!,
      plane = Math.ceil((Hp * Wp + 8) / 4) * 4; // whole 16-byte stores, 8 pixels of slack for the last panel
    const { packed, rowSum, Kp, Mb } = packIntegerWeights(wv, wzv, s.M, s.group, K, taps);
    const offs: number[] = [];
    for (let ky = 0; ky < KH!; ky++) for (let kx = 0; kx < KW!; kx++) offs.push((ky * dh! * Wp + kx * dw!) * 4);
    const head = [Cg, H!, W!, OH!, OW!, KH!, KW!, sh!, sw!, ph!, pw!, dh!, dw!, K, Kp, Mg, 0, P, 0];
    const desc = ctx.resident(Int32Array.from([...head, Hp, Wp, plane, Cp, taps, ...offs]));
    const wPtr = ctx.resident(new Int32Array(packed.buffer)),
      rsPtr = ctx.resident(rowSum);
    const xp = ctx.scratch(Cp * plane * 4);
    const pad = ctx.fn('conv-integer', 'padPairs'),
      fn = ctx.fn('conv-integer', 'convIntegerShifted');
    for (let b = 0; b < s.N; b++) {
      for (let g = 0; g < s.group; g++) {
        const xOff = (b * s.C + g * Cg) * H! * W!,
          yOff = (b * s.M + g * Mg) * P * 4;
        const wOff = g * Mb * Kp * 16,
          rOff = g * Mb * 16;
        steps.push(run(ctx, pad, Cg * Hp * Wp, (Q) => [desc, Q[sx]! + xOff, signed, xzArg(Q), Q[xp]!]));
        steps.push(
          run(ctx, fn, 2 * Mg * K * P, (Q) => [
            desc,
            Q[xp]!,
            signed,
            xzArg(Q),
            wPtr + wOff,
            rsPtr + rOff,
            Q[so]! + yOff,
          ]),
        );
      }
    }
    return async (Q) => {
      for (const st of steps) await st(Q);
    };
  }
  const { packed, rowSum, Kp, Mb } = packIntegerWeights(wv, wzv, s.M, s.group, K);
  // tiles: at most TILE_BYTES of patches, and at least two per thread so threads share the work
  const round8 = (v: number) => Math.max(8, Math.floor(v / 8) * 8);
  const T = Math.min(round8(TILE_BYTES / (Kp * 4)), 512, round8(Math.ceil(P / (2 * ctx.threads)) + 7));
  const desc = ctx.resident(
    Int32Array.from([Cg, H!, W!, OH!, OW!, KH!, KW!, sh!, sw!, ph!, pw!, dh!, dw!, K, Kp, Mg, T, P, 0]),
  );
  const wPtr = ctx.resident(new Int32Array(packed.buffer)),
    rsPtr = ctx.resident(rowSum);
  // per thread: the tile's packed patches and a 16-byte lane buffer (the kernel's layout)
  const stride = Math.ceil((Kp * 4 * T + 64) / 64) * 64;
  const buf = ctx.scratch(stride * ctx.threads);
  const fn = ctx.fn('conv-integer', 'convInteger');
  for (let b = 0; b < s.N; b++) {
    for (let g = 0; g < s.group; g++) {
      const xOff = (b * s.C + g * Cg) * H! * W!,
        yOff = (b * s.M + g * Mg) * P * 4;
      const wOff = g * Mb * Kp * 16,
        rOff = g * Mb * 16;
      steps.push(
        run(ctx, fn, 2 * Mg * K * P, (Q) => [
          desc,
          Q[sx]! + xOff,
          signed,
          xzArg(Q),
          wPtr + wOff,
          rsPtr + rOff,
          Q[so]! + yOff,
          Q[buf]!,
          stride,
        ]),
      );
    }
  }
  return async (Q) => {
    for (const st of steps) await st(Q);
  };
}

/**
 * ConvInteger: 1-D and 2-D on the integer kernel; 3-D computed in float32: x - x_zero_point into a
 * float copy (im2col's zero padding is
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
  if (numel(ctx.dims(n.outputs[0]!)) === 0) return () => {};
  if (xd.length <= 4 && per <= 1 << 14) return integerConv(ctx, s, x!, xz ?? null, wv, wzv);
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
