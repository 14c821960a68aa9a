// ConvTranspose over 1, 2 or 3 spatial axes: each input row scattered into the output, with the
// range of valid positions precomputed per kernel tap (no bounds checks in the inner loop);
// output size and padding per the spec's equations (output_shape, output_padding, auto_pad).

import { type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { type ConvShape, checkBias, kernelOf, known, WINDOW_ATTRS } from './conv.js';
import { checkAutoPad, fromF64, to3, toF64 } from './nn-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

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
registerOps([convTranspose]);
