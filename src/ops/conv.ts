// Convolutions: Conv, ConvTranspose and ConvInteger over 1, 2 or 3 spatial axes.
//
// The kernels work on float64 copies and treat every input as 3-D (missing leading spatial axes
// have size 1), accumulate in float64 and round once when storing. Conv computes each output as
// a dot product over a zero-padded copy of the input; ConvTranspose scatters each input row into
// the output, with the range of valid positions precomputed per kernel tap, so neither inner
// loop has bounds checks.

import type { DType } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { type CostContext, type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { axisGeometry, checkAutoPad, fromF64, geometry, readWindow, to3, toF64 } from './nn-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const WINDOW_ATTRS = {
  auto_pad: { kind: 'string' as const, default: 'NOTSET' },
  dilations: { kind: 'ints' as const },
  group: { kind: 'int' as const, default: 1 },
  kernel_shape: { kind: 'ints' as const },
  pads: { kind: 'ints' as const },
  strides: { kind: 'ints' as const },
};

export interface ConvShape {
  N: number;
  C: number;
  M: number;
  group: number;
  inS: [number, number, number];
  outS: [number, number, number];
  kS: [number, number, number];
  str: [number, number, number];
  dil: [number, number, number];
  padB: [number, number, number];
}

/**
 * y[n, m, o] = bias[m] + sum over c in m's group, k: w[m, c, k] * x[n, c, o*stride + k*dilation - pad].
 * x: N×C×I, w: M×(C/group)×K, result N×M×O, all float64.
 *
 * The input is first copied into a zero-padded buffer large enough for every window, so each
 * output element is a plain dot product over a precomputed table of input offsets (one per
 * input channel and kernel tap). Four output channels are accumulated together, which reads
 * each input value once for all four.
 */
function convForward(x: Float64Array, w: Float64Array, bias: Float64Array | undefined, s: ConvShape): Float64Array {
  const { N, C, M, group, inS, outS, kS, str, dil, padB } = s;
  const Cg = C / group,
    Mg = M / group;
  const [ID, IH, IW] = inS,
    [OD, OH, OW] = outS,
    [KD, KH, KW] = kS;
  const [sd, sh, sw] = str,
    [dd, dh, dw] = dil;
  const outPlane = OD * OH * OW;
  const y = new Float64Array(N * M * outPlane);
  if (y.length === 0) return y;
  // padded input: room for the begin padding and for the last window on each axis
  const padded = (I: number, O: number, K: number, st: number, d: number, p: number) =>
    Math.max(I + p, (O - 1) * st + (K - 1) * d + 1);
  const PD = padded(ID, OD, KD, sd, dd, padB[0]),
    PH = padded(IH, OH, KH, sh, dh, padB[1]),
    PW = padded(IW, OW, KW, sw, dw, padB[2]);
  const pPlane = PD * PH * PW;
  const xp = new Float64Array(N * C * pPlane);
  for (let nc = 0; nc < N * C; nc++) {
    for (let id = 0; id < ID; id++) {
      for (let ih = 0; ih < IH; ih++) {
        const src = ((nc * ID + id) * IH + ih) * IW;
        xp.set(x.subarray(src, src + IW), nc * pPlane + ((id + padB[0]) * PH + ih + padB[1]) * PW + padB[2]);
      }
    }
  }
  // input offset of every (channel, tap) relative to the window's first element
  const K = Cg * KD * KH * KW;
  const off = new Int32Array(K);
  for (let c = 0, k = 0; c < Cg; c++) {
    for (let kd = 0; kd < KD; kd++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          off[k++] = c * pPlane + (kd * dd * PH + kh * dh) * PW + kw * dw;
        }
  }
  const wb = new Float64Array(K * 4);
  for (let g = 0; g < group; g++) {
    for (let m0 = 0; m0 < Mg; m0 += 4) {
      const nb = Math.min(4, Mg - m0);
      // weights of up to four output channels, interleaved per (channel, tap)
      wb.fill(0);
      for (let j = 0; j < nb; j++) {
        const wBase = (g * Mg + m0 + j) * K;
        for (let k = 0; k < K; k++) wb[k * 4 + j] = w[wBase + k];
      }
      const b = [0, 1, 2, 3].map((j) => (bias && j < nb ? bias[g * Mg + m0 + j] : 0));
      for (let n = 0; n < N; n++) {
        const xBase = (n * C + g * Cg) * pPlane;
        const yBase = (n * M + g * Mg + m0) * outPlane;
        let o = 0;
        for (let od = 0; od < OD; od++) {
          for (let oh = 0; oh < OH; oh++) {
            const rowBase = xBase + (od * sd * PH + oh * sh) * PW;
            for (let ow = 0; ow < OW; ow++, o++) {
              const base = rowBase + ow * sw;
              let a0 = b[0],
                a1 = b[1],
                a2 = b[2],
                a3 = b[3];
              for (let k = 0, k4 = 0; k < K; k++, k4 += 4) {
                const v = xp[base + off[k]];
                a0 += wb[k4] * v;
                a1 += wb[k4 + 1] * v;
                a2 += wb[k4 + 2] * v;
                a3 += wb[k4 + 3] * v;
              }
              y[yBase + o] = a0;
              if (nb > 1) y[yBase + outPlane + o] = a1;
              if (nb > 2) y[yBase + 2 * outPlane + o] = a2;
              if (nb > 3) y[yBase + 3 * outPlane + o] = a3;
            }
          }
        }
      }
    }
  }
  return y;
}

/**
 * Transposed convolution: y[n, m, i*stride + k*dilation - pad] += x[n, c, i] * w[c, m', k] for c
 * in group g and m = g*Mg + m'. x: N×C×I, w: C×(M/group)×K, result N×M×O.
 */
function convTransposeForward(
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | undefined,
  s: ConvShape,
): Float64Array {
  const { N, C, M, group, inS, outS, kS, str, dil, padB } = s;
  const Cg = C / group,
    Mg = M / group;
  const [ID, IH, IW] = inS,
    [OD, OH, OW] = outS,
    [KD, KH, KW] = kS;
  const inPlane = ID * IH * IW,
    outPlane = OD * OH * OW,
    kSize = KD * KH * KW;
  const y = new Float64Array(N * M * outPlane);
  // for tap k the input position i reaches output o = i*stride + off; keep i with 0 <= o < O
  const taps = (K: number, d: number, p: number, st: number, I: number, O: number) =>
    Array.from({ length: K }, (_, k) => {
      const off = k * d - p;
      const lo = Math.min(I, Math.max(0, Math.ceil(-off / st)));
      const hi = Math.max(lo, Math.min(I, O - 1 - off < 0 ? 0 : Math.floor((O - 1 - off) / st) + 1));
      return { off, lo, hi };
    });
  const tD = taps(KD, dil[0], padB[0], str[0], ID, OD);
  const tH = taps(KH, dil[1], padB[1], str[1], IH, OH);
  const tW = taps(KW, dil[2], padB[2], str[2], IW, OW);
  const [sd, sh, sw] = str;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg),
        mg = m % Mg;
      const yBase = (n * M + m) * outPlane;
      if (bias) y.fill(bias[m], yBase, yBase + outPlane);
      for (let c = 0; c < Cg; c++) {
        const ci = g * Cg + c;
        const xBase = (n * C + ci) * inPlane;
        const wBase = (ci * Mg + mg) * kSize;
        for (let kd = 0; kd < KD; kd++) {
          const td = tD[kd];
          for (let kh = 0; kh < KH; kh++) {
            const th = tH[kh];
            for (let kw = 0; kw < KW; kw++) {
              const tw = tW[kw];
              const wv = w[wBase + (kd * KH + kh) * KW + kw];
              for (let id = td.lo; id < td.hi; id++) {
                const od = id * sd + td.off;
                for (let ih = th.lo; ih < th.hi; ih++) {
                  const oh = ih * sh + th.off;
                  const xRow = xBase + (id * IH + ih) * IW;
                  let yi = yBase + (od * OH + oh) * OW + tw.lo * sw + tw.off;
                  for (let iw = tw.lo; iw < tw.hi; iw++, yi += sw) y[yi] += wv * x[xRow + iw];
                }
              }
            }
          }
        }
      }
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Shape rules

interface ConvTypes {
  x: TensorType;
  w: TensorType;
  rank?: number;
  nSpatial?: number;
}

function checkConvInputs(ctx: InferContext, dtypes: readonly DType[], sameType: boolean): ConvTypes {
  const x = inType(ctx, 0, 'X');
  const w = inType(ctx, 1, 'W');
  checkDType(x, dtypes, 'X');
  checkDType(w, dtypes, 'W');
  if (sameType && x.dtype !== w.dtype)
    throw new Error(`X is ${formatType(x)} but W is ${formatType(w)}; they must have the same element type`);
  const rank = x.shape?.length ?? w.shape?.length;
  if (x.shape && x.shape.length < 3)
    throw new Error(`input X has shape ${formatType(x)}; it needs rank >= 3 (N, C and at least one spatial axis)`);
  if (x.shape && x.shape.length > 5)
    throw new Error(`input X has shape ${formatType(x)}; at most 3 spatial axes are supported`);
  if (x.shape && w.shape && w.shape.length !== x.shape.length) {
    throw new Error(`input W has shape ${formatType(w)}; it needs the rank of X (${x.shape.length})`);
  }
  return { x, w, rank, nSpatial: rank === undefined ? undefined : rank - 2 };
}

/** Kernel shape: from W where its spatial dims are known, else the kernel_shape attribute. */
function kernelOf(ctx: { attrs: InferContext['attrs'] }, w: TensorType, nSpatial: number): number[] | undefined {
  const ks = ctx.attrs.has('kernel_shape') ? ctx.attrs.ints('kernel_shape') : undefined;
  const fromW = w.shape?.slice(2);
  if (fromW && fromW.every((d) => typeof d === 'number')) {
    const k = fromW as number[];
    if (ks && (ks.length !== k.length || ks.some((v, i) => v !== k[i]))) {
      throw new Error(`kernel_shape [${ks.join(',')}] does not match W's spatial dims [${k.join(',')}]`);
    }
    return k;
  }
  return ks && ks.length === nSpatial ? ks : undefined;
}

function known(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

function inferConvLike(ctx: InferContext, outDType: DType, dtypes: readonly DType[], sameType: boolean): TensorType {
  const { x, w, nSpatial } = checkConvInputs(ctx, dtypes, sameType);
  const group = ctx.attrs.int('group', 1);
  if (group < 1) throw new Error(`group must be >= 1, got ${group}`);
  if (nSpatial === undefined) return { dtype: outDType };
  const xs = x.shape,
    ws = w.shape;
  const M: Dim = ws ? ws[0] : freshDim('m');
  if (xs && ws && known(xs[1]) && known(ws[1]) && xs[1] !== ws[1] * group) {
    throw new Error(
      `X has ${xs[1]} channels but W ${formatType(w)} with group=${group} expects ${(ws[1] as number) * group} (C = W.shape[1] * group)`,
    );
  }
  if (known(M) && M % group !== 0) throw new Error(`W has ${M} output channels, not divisible by group=${group}`);
  if (!xs) return { dtype: outDType, shape: undefined };
  const kernel = kernelOf(ctx, w, nSpatial);
  if (!kernel) return { dtype: outDType, shape: [xs[0], M, ...xs.slice(2).map(() => freshDim('sp'))] };
  const win = readWindow(ctx.attrs, nSpatial, kernel);
  return {
    dtype: outDType,
    shape: [xs[0], M, ...xs.slice(2).map((d, i) => (known(d) ? axisGeometry(d, win, i).out : freshDim('sp')))],
  };
}

function convCost(ctx: CostContext): { flops: number; bytes: number } {
  const w = ctx.types[1];
  const y = ctx.outTypes[0];
  // each output element takes C/group * prod(kernel) multiply-adds = W.size / M
  const wShape = w?.shape;
  const perOut =
    wShape && wShape.every((d) => typeof d === 'number') ? numelOf(w) / Math.max(1, wShape[0] as number) : 1;
  return {
    flops: 2 * numelOf(y) * perOut,
    bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(y),
  };
}

// ---------------------------------------------------------------------------------------------
// Run-time shape resolution

export function convShape(
  x: Tensor,
  w: Tensor,
  attrs: InferContext['attrs'],
  what = 'Conv',
): { shape: ConvShape; outDims: number[] } {
  if (x.dims.length < 3 || x.dims.length > 5)
    throw new Error(`input X has shape [${x.dims.join(',')}]; ${what} needs 1 to 3 spatial axes`);
  if (w.dims.length !== x.dims.length)
    throw new Error(`input W has shape [${w.dims.join(',')}]; ${what} needs W of the rank of X (${x.dims.length})`);
  const group = attrs.int('group', 1);
  const [N, C] = x.dims;
  const M = w.dims[0];
  if (group < 1 || C !== w.dims[1] * group) {
    throw new Error(`X has ${C} channels but W [${w.dims.join(',')}] with group=${group} expects ${w.dims[1] * group}`);
  }
  if (M % group !== 0) throw new Error(`W has ${M} output channels, not divisible by group=${group}`);
  const nS = x.dims.length - 2;
  const kernel = w.dims.slice(2);
  if (attrs.has('kernel_shape')) {
    const ks = attrs.ints('kernel_shape');
    if (ks.length !== nS || ks.some((v, i) => v !== kernel[i]))
      throw new Error(`kernel_shape [${ks.join(',')}] does not match W's spatial dims [${kernel.join(',')}]`);
  }
  const win = readWindow(attrs, nS, kernel);
  const geo = geometry(x.dims.slice(2), win);
  const outS = geo.map((g) => g.out);
  return {
    shape: {
      N,
      C,
      M,
      group,
      inS: to3(x.dims.slice(2), 1),
      outS: to3(outS, 1),
      kS: to3(kernel, 1),
      str: to3(win.strides, 1),
      dil: to3(win.dilations, 1),
      padB: to3(
        geo.map((g) => g.padBegin),
        0,
      ),
    },
    outDims: [N, M, ...outS],
  };
}

function checkBias(b: Tensor | undefined, M: number): Float64Array | undefined {
  if (!b) return undefined;
  if (b.size !== M || b.dims.length !== 1)
    throw new Error(`input B has shape [${b.dims.join(',')}]; it must be [${M}] (one bias per output channel)`);
  return toF64(b);
}

const conv: OpDef = {
  name: 'nn.Conv',
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: WINDOW_ATTRS,
  infer(ctx) {
    const t = inferConvLike(ctx, inType(ctx, 0, 'X').dtype, FLOATS, true);
    const b = ctx.types[2];
    if (b) {
      if (b.dtype !== t.dtype) throw new Error(`input B is ${formatType(b)}; it must have X's element type ${t.dtype}`);
      if (b.shape && b.shape.length !== 1)
        throw new Error(`input B has shape ${formatType(b)}; it must be 1-D (one bias per output channel)`);
    }
    return [t];
  },
  run({ inputs: [x, w, b], attrs }) {
    const { shape, outDims } = convShape(x!, w!, attrs);
    const y = convForward(toF64(x!), toF64(w!), checkBias(b, shape.M), shape);
    return [fromF64(x!.type, outDims, y)];
  },
  cost: convCost,
  onnx: { type: 'Conv' },
};

const INT8ISH: DType[] = ['int8', 'uint8'];

/** Zero point as a per-channel array of length `n` (scalar or 1-element broadcast). */
function zeroPoints(zp: Tensor | undefined, n: number, what: string): Float64Array {
  if (!zp || zp.size === 0) return new Float64Array(n);
  const v = toF64(zp);
  if (v.length === 1) return new Float64Array(n).fill(v[0]);
  if (v.length !== n)
    throw new Error(`${what} has ${v.length} values; it must be a scalar or have ${n} (one per channel)`);
  return v;
}

const convInteger: OpDef = {
  name: 'nn.ConvInteger',
  inputs: ['x', 'w', 'x_zero_point?', 'w_zero_point?'],
  outputs: ['y'],
  attrs: WINDOW_ATTRS,
  infer(ctx) {
    const t = inferConvLike(ctx, 'int32', INT8ISH, false);
    const xz = ctx.types[2],
      wz = ctx.types[3];
    if (xz && xz.dtype !== ctx.types[0]!.dtype)
      throw new Error(`x_zero_point is ${formatType(xz)}; it must have x's element type`);
    if (wz && wz.dtype !== ctx.types[1]!.dtype)
      throw new Error(`w_zero_point is ${formatType(wz)}; it must have w's element type`);
    return [t];
  },
  run({ inputs: [x, w, xz, wz], attrs }) {
    const { shape, outDims } = convShape(x!, w!, attrs, 'ConvInteger');
    const xv = toF64(x!);
    const xzp = zeroPoints(xz, 1, 'x_zero_point');
    if (xzp[0] !== 0) for (let i = 0; i < xv.length; i++) xv[i] -= xzp[0];
    const wv = toF64(w!);
    const wzp = zeroPoints(wz, shape.M, 'w_zero_point');
    const per = wv.length / shape.M;
    for (let m = 0; m < shape.M; m++) for (let i = 0; i < per; i++) wv[m * per + i] -= wzp[m];
    return [fromF64('int32', outDims, convForward(xv, wv, undefined, shape))];
  },
  cost: convCost,
  onnx: { type: 'ConvInteger', minOpset: 10 },
};

// ---------------------------------------------------------------------------------------------
// ConvTranspose

interface TransposeGeometry {
  out: number[];
  padBegin: number[];
}

/** Output size and begin padding of ConvTranspose per the spec's equations. */
export function transposeGeometry(
  inS: readonly number[],
  kernel: readonly number[],
  attrs: InferContext['attrs'],
): TransposeGeometry {
  const n = inS.length;
  const autoPad = checkAutoPad(attrs.string('auto_pad', 'NOTSET'));
  const ones = (name: string, def: number) => {
    const v = attrs.ints(name, []);
    if (v.length === 0) return new Array<number>(n).fill(def);
    if (v.length !== n) throw new Error(`${name} has ${v.length} values; the input has ${n} spatial axes`);
    return v;
  };
  const strides = ones('strides', 1);
  const dilations = ones('dilations', 1);
  let outPad = attrs.ints('output_padding', []);
  if (outPad.length === 0) outPad = new Array<number>(n).fill(0);
  else if (outPad.length === 2 * n)
    outPad = outPad.slice(0, n); // some exporters write begin+end
  else if (outPad.length !== n)
    throw new Error(`output_padding has ${outPad.length} values; the input has ${n} spatial axes`);
  let outShape = attrs.ints('output_shape', []);
  if (outShape.length === n + 2) outShape = outShape.slice(2); // output_shape given with N and C
  if (outShape.length !== 0 && outShape.length !== n)
    throw new Error(`output_shape has ${outShape.length} values; the input has ${n} spatial axes`);
  const pads = attrs.ints('pads', []);
  if (pads.length !== 0 && pads.length !== 2 * n) throw new Error(`pads has ${pads.length} values; ${2 * n} expected`);
  const full = (i: number) => strides[i] * (inS[i] - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1;
  const out: number[] = [];
  const padBegin: number[] = [];
  for (let i = 0; i < n; i++) {
    if (outShape.length || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const target = outShape.length ? outShape[i] : inS[i] * strides[i];
      const total = full(i) - target;
      const half = Math.floor(total / 2);
      padBegin.push(autoPad === 'SAME_UPPER' ? half : total - half);
      out.push(target);
    } else {
      const pb = autoPad === 'VALID' ? 0 : (pads[i] ?? 0);
      const pe = autoPad === 'VALID' ? 0 : (pads[i + n] ?? 0);
      const o = full(i) - pb - pe;
      if (o < 0) throw new Error(`the output of axis ${i + 2} would have negative size ${o} (pads too large)`);
      padBegin.push(pb);
      out.push(o);
    }
  }
  return { out, padBegin };
}

const convTranspose: OpDef = {
  name: 'nn.ConvTranspose',
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: { ...WINDOW_ATTRS, output_padding: { kind: 'ints' }, output_shape: { kind: 'ints' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const w = inType(ctx, 1, 'W');
    checkDType(x, FLOATS, 'X');
    if (w.dtype !== x.dtype)
      throw new Error(`X is ${formatType(x)} but W is ${formatType(w)}; they must have the same element type`);
    const group = ctx.attrs.int('group', 1);
    if (group < 1) throw new Error(`group must be >= 1, got ${group}`);
    const b = ctx.types[2];
    if (b && b.dtype !== x.dtype) throw new Error(`input B is ${formatType(b)}; it must have X's element type`);
    const xs = x.shape,
      ws = w.shape;
    if (xs && (xs.length < 3 || xs.length > 5))
      throw new Error(`input X has shape ${formatType(x)}; ConvTranspose needs 1 to 3 spatial axes`);
    if (xs && ws && ws.length !== xs.length)
      throw new Error(`input W has shape ${formatType(w)}; it needs the rank of X (${xs.length})`);
    if (xs && ws && known(xs[1]) && known(ws[0]) && xs[1] !== ws[0]) {
      throw new Error(`X has ${xs[1]} channels but W ${formatType(w)} expects ${ws[0]} (W.shape[0] = C)`);
    }
    if (ws && known(ws[0]) && ws[0] % group !== 0)
      throw new Error(`W has ${ws[0]} input channels, not divisible by group=${group}`);
    if (!xs) return [{ dtype: x.dtype }];
    const M: Dim = ws && known(ws[1]) ? ws[1] * group : freshDim('m');
    const nS = xs.length - 2;
    const kernel = kernelOf(ctx, w, nS);
    const spatial = xs.slice(2);
    let outS: Dim[];
    if (kernel && spatial.every(known)) {
      outS = transposeGeometry(spatial as number[], kernel, ctx.attrs).out;
    } else {
      const os = ctx.attrs.ints('output_shape', []);
      outS = os.length === nS ? os : os.length === nS + 2 ? os.slice(2) : spatial.map(() => freshDim('sp'));
    }
    return [{ dtype: x.dtype, shape: [xs[0], M, ...outS] }];
  },
  run({ inputs: [x, w, b], attrs }) {
    const X = x!,
      W = w!;
    if (X.dims.length < 3 || X.dims.length > 5)
      throw new Error(`input X has shape [${X.dims.join(',')}]; ConvTranspose needs 1 to 3 spatial axes`);
    if (W.dims.length !== X.dims.length)
      throw new Error(`input W has shape [${W.dims.join(',')}]; it needs the rank of X`);
    const group = attrs.int('group', 1);
    const [N, C] = X.dims;
    if (W.dims[0] !== C) throw new Error(`X has ${C} channels but W [${W.dims.join(',')}] expects ${W.dims[0]}`);
    if (group < 1 || C % group !== 0) throw new Error(`X has ${C} channels, not divisible by group=${group}`);
    const M = W.dims[1] * group;
    const kernel = W.dims.slice(2);
    if (attrs.has('kernel_shape')) {
      const ks = attrs.ints('kernel_shape');
      if (ks.length !== kernel.length || ks.some((v, i) => v !== kernel[i]))
        throw new Error(`kernel_shape [${ks.join(',')}] does not match W's spatial dims [${kernel.join(',')}]`);
    }
    const nS = X.dims.length - 2;
    const geo = transposeGeometry(X.dims.slice(2), kernel, attrs);
    const strides = attrs.ints('strides', []);
    const dilations = attrs.ints('dilations', []);
    const shape: ConvShape = {
      N,
      C,
      M,
      group,
      inS: to3(X.dims.slice(2), 1),
      outS: to3(geo.out, 1),
      kS: to3(kernel, 1),
      str: to3(strides.length ? strides : new Array(nS).fill(1), 1),
      dil: to3(dilations.length ? dilations : new Array(nS).fill(1), 1),
      padB: to3(geo.padBegin, 0),
    };
    const y = convTransposeForward(toF64(X), toF64(W), checkBias(b, M), shape);
    return [fromF64(X.type, [N, M, ...geo.out], y)];
  },
  cost(ctx) {
    const x = ctx.types[0],
      w = ctx.types[1];
    const ws = w?.shape;
    // every input element meets every tap of its group's filters: W.size / C multiply-adds each
    const per = ws && ws.every((d) => typeof d === 'number') ? numelOf(w) / Math.max(1, ws[0] as number) : 1;
    return {
      flops: 2 * numelOf(x) * per,
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'ConvTranspose' },
};

registerOps([conv, convTranspose, convInteger]);
