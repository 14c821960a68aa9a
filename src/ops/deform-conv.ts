// DeformConv (opset 19): 2-D deformable convolution (v1 with offsets, v2 with a mask), as in
// torchvision's deform_conv2d.
//
// X [N, C, H, W], W [M, C/group, kH, kW], offset [N, offset_group*kH*kW*2, oH, oW] (for each
// offset group and kernel tap a (dy, dx) pair), B [M]?, mask [N, offset_group*kH*kW, oH, oW]?.
// Each kernel tap samples X bilinearly at its regular conv position plus its offset, scaled by
// the mask; positions at or beyond one pixel outside the image read 0, and corners outside it
// count as 0. Channel c uses offset group c / (C / offset_group). Output geometry is Conv's.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

function bilinear(x: Float64Array, base: number, H: number, W: number, h: number, w: number): number {
  if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
  const h0 = Math.floor(h),
    w0 = Math.floor(w),
    h1 = h0 + 1,
    w1 = w0 + 1;
  const lh = h - h0,
    lw = w - w0;
  const at = (y: number, xx: number) => (y >= 0 && y < H && xx >= 0 && xx < W ? x[base + y * W + xx]! : 0);
  return (
    (1 - lh) * (1 - lw) * at(h0, w0) + (1 - lh) * lw * at(h0, w1) + lh * (1 - lw) * at(h1, w0) + lh * lw * at(h1, w1)
  );
}

interface Geometry {
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  pT: number;
  pL: number;
  oH: number;
  oW: number;
}

function geometry(
  attrs: { ints(n: string, d?: number[]): number[] },
  H: Dim,
  W: Dim,
  kH: number,
  kW: number,
): Geometry {
  const [sH, sW] = attrs.ints('strides', [1, 1]) as [number, number];
  const [dH, dW] = attrs.ints('dilations', [1, 1]) as [number, number];
  const [pT, pL, pB, pR] = attrs.ints('pads', [0, 0, 0, 0]) as [number, number, number, number];
  const out = (n: Dim, k: number, s: number, d: number, p: number) =>
    typeof n === 'number' ? Math.floor((n + p - (d * (k - 1) + 1)) / s) + 1 : NaN;
  return { kH, kW, sH, sW, dH, dW, pT, pL, oH: out(H, kH, sH, dH, pT + pB), oW: out(W, kW, sW, dW, pL + pR) };
}

const deformConv: OpDef = {
  name: 'nn.DeformConv',
  inputs: ['X', 'W', 'offset', 'B?', 'mask?'],
  outputs: ['Y'],
  attrs: {
    dilations: { kind: 'ints' },
    group: { kind: 'int', default: 1 },
    kernel_shape: { kind: 'ints' },
    offset_group: { kind: 'int', default: 1 },
    pads: { kind: 'ints' },
    strides: { kind: 'ints' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      w = inType(ctx, 1, 'W');
    checkDType(x, FLOATS, 'X');
    for (const i of [1, 2, 3, 4]) {
      const t = ctx.types[i];
      if (t && t.dtype !== x.dtype)
        throw new Error(`input #${i} ${formatType(t)} must have the type of X ${formatType(x)}`);
    }
    if (x.shape && x.shape.length !== 4)
      throw new Error(`X ${formatType(x)} must be [N, C, H, W] (2-D DeformConv only)`);
    if (!x.shape || !w.shape || typeof w.shape[2] !== 'number' || typeof w.shape[3] !== 'number')
      return [{ dtype: x.dtype }];
    const g = geometry(ctx.attrs, x.shape[2]!, x.shape[3]!, w.shape[2], w.shape[3]);
    const dim = (v: number): Dim => (Number.isNaN(v) ? freshDim('out') : v);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, w.shape[0]!, dim(g.oH), dim(g.oW)] }];
  },
  run({ inputs: [xt, wt, ot, bt, mt], attrs }) {
    if (xt!.dims.length !== 4) throw new Error(`X [${xt!.dims}] must be [N, C, H, W] (2-D DeformConv only)`);
    const [N, C, H, W] = xt!.dims as [number, number, number, number];
    const [M, Cg, kH, kW] = wt!.dims as [number, number, number, number];
    const group = attrs.int('group', 1),
      og = attrs.int('offset_group', 1);
    if (Cg * group !== C || M % group)
      throw new Error(`W [${wt!.dims}] with group ${group} does not fit X [${xt!.dims}]`);
    if (C % og) throw new Error(`offset_group ${og} must divide the ${C} channels`);
    const g = geometry(attrs, H, W, kH, kW);
    const K = kH * kW;
    if (ot!.dims.join(',') !== [N, og * K * 2, g.oH, g.oW].join(',')) {
      throw new Error(`offset [${ot!.dims}] must be [${N}, ${og * K * 2}, ${g.oH}, ${g.oW}]`);
    }
    if (mt && mt.dims.join(',') !== [N, og * K, g.oH, g.oW].join(','))
      throw new Error(`mask [${mt.dims}] must be [${N}, ${og * K}, ${g.oH}, ${g.oW}]`);
    const x = toF64(xt!),
      w = toF64(wt!),
      off = toF64(ot!);
    const mask = mt ? toF64(mt) : undefined,
      bias = bt ? toF64(bt) : undefined;
    const plane = g.oH * g.oW;
    const out = new Float64Array(N * M * plane);
    const cols = new Float64Array(C * K); // the sampled (and masked) inputs of one output position
    const perOg = C / og,
      Mg = M / group;
    for (let n = 0; n < N; n++) {
      for (let oy = 0; oy < g.oH; oy++)
        for (let ox = 0; ox < g.oW; ox++) {
          const p = oy * g.oW + ox;
          for (let c = 0; c < C; c++) {
            const gi = Math.floor(c / perOg);
            for (let k = 0; k < K; k++) {
              const ky = Math.floor(k / kW),
                kx = k % kW;
              const oc = ((n * og + gi) * K + k) * 2;
              const h = oy * g.sH - g.pT + ky * g.dH + off[oc * plane + p]!;
              const ww = ox * g.sW - g.pL + kx * g.dW + off[(oc + 1) * plane + p]!;
              const m = mask ? mask[((n * og + gi) * K + k) * plane + p]! : 1;
              cols[c * K + k] = m * bilinear(x, (n * C + c) * H * W, H, W, h, ww);
            }
          }
          for (let o = 0; o < M; o++) {
            const c0 = Math.floor(o / Mg) * Cg;
            let s = bias ? bias[o]! : 0;
            for (let c = 0; c < Cg; c++)
              for (let k = 0; k < K; k++) s += w[(o * Cg + c) * K + k]! * cols[(c0 + c) * K + k]!;
            out[(n * M + o) * plane + p] = s;
          }
        }
    }
    return [fromF64(xt!.type, [N, M, g.oH, g.oW], out)];
  },
  cost: (ctx) => ({
    flops: (2 * numelOf(ctx.outTypes[0]) * numelOf(ctx.types[1])) / Math.max(1, Number(ctx.types[1]?.shape?.[0]) || 1),
    bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
  }),
  onnx: { type: 'DeformConv', minOpset: 19 },
};

registerOps([deformConv]);
