// Signal ops: DFT (opset 17, 20), STFT (17), the Hann/Hamming/Blackman windows and MelWeightMatrix.
//
// Complex tensors carry a trailing axis of 2 (real, imaginary); a real signal has a trailing 1.
// DFT transforms one signal axis: dft_length zero-pads or truncates it, inverse uses e^{+i} and
// divides by the length, onesided keeps the floor(n/2)+1 non-negative frequencies. An inverse
// onesided DFT (irfft) rebuilds the Hermitian spectrum of length dft_length (default 2(m-1)) and
// returns the real part, trailing axis 1. Canonical form: axis is the third input (opset 20);
// DFT-17 carried it as an attribute (default 1), moved to a constant on import.
// Transforms are direct O(n^2) sums in float64: a reference, not a fast path.

import { dtypeFromOnnx } from '../ir/dtype.js';
import { type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, scalarInt, toF64 } from './math-util.js';
import { bytesOf, checkDType, constInts, FLOATS, inType, numelOf } from './util.js';

/** One complex DFT of `n` points from `src` (m complex inputs, zero beyond), forward or inverse. */
function dft1(
  re: Float64Array,
  im: Float64Array,
  n: number,
  inverse: boolean,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const m = Math.min(re.length, n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < outRe.length; k++) {
    let sr = 0,
      si = 0;
    for (let j = 0; j < m; j++) {
      const a = (sign * 2 * Math.PI * ((k * j) % n)) / n;
      const c = Math.cos(a),
        s = Math.sin(a);
      sr += re[j]! * c - im[j]! * s;
      si += re[j]! * s + im[j]! * c;
    }
    outRe[k] = inverse ? sr / n : sr;
    outIm[k] = inverse ? si / n : si;
  }
}

function normSignalAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank - 2)
    throw new Error(`axis ${axis} must address a signal axis of the rank-${rank} input (not its complex axis)`);
  return a;
}

function dftRun(x: Tensor, dftLength: number | undefined, axis: number, inverse: boolean, onesided: boolean): Tensor {
  const dims = x.dims;
  const r = dims.length;
  const comps = dims[r - 1]!;
  if (comps !== 1 && comps !== 2) throw new Error(`input [${dims}] must end in 1 (real) or 2 (complex)`);
  const ax = normSignalAxis(axis, r);
  const m = dims[ax]!;
  const irfft = inverse && onesided;
  const n = dftLength ?? (irfft ? 2 * (m - 1) : m);
  if (n < 1) throw new Error(`dft_length ${n} must be >= 1`);
  const outLen = irfft ? n : onesided ? Math.floor(n / 2) + 1 : n;
  const outDims = [...dims];
  outDims[ax] = outLen;
  outDims[r - 1] = irfft ? 1 : 2;
  const outer = dims.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = dims.slice(ax + 1, r - 1).reduce((a, b) => a * b, 1);
  const xs = toF64(x);
  const out = new Float64Array(outer * outLen * inner * outDims[r - 1]!);
  const take = irfft ? n : Math.min(m, n);
  const re = new Float64Array(take),
    im = new Float64Array(take);
  const fullRe = new Float64Array(irfft ? n : outLen),
    fullIm = new Float64Array(irfft ? n : outLen);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => ((o * m + j) * inner + i) * comps;
      re.fill(0);
      im.fill(0);
      if (irfft) {
        // the spectrum's other half from Hermitian symmetry X[n-k] = conj(X[k])
        for (let k = 0; k < n; k++) {
          const src = k < m ? k : n - k;
          if (src >= m) continue;
          re[k] = xs[at(src)]!;
          im[k] = comps === 2 ? (k < m ? 1 : -1) * xs[at(src) + 1]! : 0;
        }
      } else {
        for (let j = 0; j < take; j++) {
          re[j] = xs[at(j)]!;
          im[j] = comps === 2 ? xs[at(j) + 1]! : 0;
        }
      }
      dft1(re, im, n, inverse, fullRe, fullIm);
      for (let k = 0; k < outLen; k++) {
        const dst = ((o * outLen + k) * inner + i) * outDims[r - 1]!;
        out[dst] = fullRe[k]!;
        if (!irfft) out[dst + 1] = fullIm[k]!;
      }
    }
  }
  return fromF64(x.type, outDims, out);
}

const dft: OpDef = {
  name: 'nn.DFT',
  inputs: ['input', 'dft_length?', 'axis?'],
  outputs: ['output'],
  attrs: { inverse: { kind: 'int', default: 0 }, onesided: { kind: 'int', default: 0 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, FLOATS, 'input');
    if (!x.shape) return [{ dtype: x.dtype }];
    const r = x.shape.length;
    if (r < 2) throw new Error(`input ${formatType(x)} needs a signal axis and the complex axis`);
    const inverse = ctx.attrs.int('inverse', 0) !== 0,
      onesided = ctx.attrs.int('onesided', 0) !== 0;
    const axisC = ctx.types[2] ? constInts(ctx, 2) : [-2];
    const lenC = ctx.types[1] ? constInts(ctx, 1) : [];
    const shape: Dim[] = [...x.shape];
    shape[r - 1] = inverse && onesided ? 1 : 2;
    if (!axisC) return [{ dtype: x.dtype, shape: shape.map((d, i) => (i < r - 1 ? freshDim('dft') : d)) }];
    const ax = normSignalAxis(axisC[0]!, r);
    const m = x.shape[ax]!;
    let n: Dim | undefined = lenC?.[0];
    if (lenC && lenC.length === 0) n = typeof m === 'number' ? (inverse && onesided ? 2 * (m - 1) : m) : undefined;
    shape[ax] =
      n === undefined ? freshDim('dft') : inverse && onesided ? n : onesided ? Math.floor((n as number) / 2) + 1 : n;
    return [{ dtype: x.dtype, shape }];
  },
  run({ inputs: [x, len, axisT], attrs }) {
    const n = len ? scalarInt(len, 'dft_length') : undefined;
    const axis = axisT ? scalarInt(axisT, 'axis') : -2;
    return [dftRun(x!, n, axis, attrs.int('inverse', 0) !== 0, attrs.int('onesided', 0) !== 0)];
  },
  cost(ctx) {
    const n = numelOf(ctx.types[0]);
    return { flops: n * 8 * Math.max(1, Math.sqrt(n)), bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) };
  },
  onnx: {
    type: 'DFT',
    minOpset: 17,
    import(ctx) {
      if (ctx.opset >= 20) return;
      const a = ctx.take('axis');
      const axis = a ? (a.kind === 'int' ? a.value : NaN) : 1;
      if (!Number.isInteger(axis)) throw new Error(`attribute 'axis' must be an int`);
      const ins = [...ctx.node.inputs];
      ctx.node.inputs = [ins[0]!, ins[1] ?? null, ctx.constant(Tensor.from('int64', [BigInt(axis)], []), 'axis')];
    },
  },
};

const stft: OpDef = {
  name: 'nn.STFT',
  inputs: ['signal', 'frame_step', 'window?', 'frame_length?'],
  outputs: ['output'],
  attrs: { onesided: { kind: 'int', default: 1 } },
  infer(ctx) {
    const s = inType(ctx, 0, 'signal');
    checkDType(s, FLOATS, 'signal');
    if (s.shape && s.shape.length !== 3) throw new Error(`signal ${formatType(s)} must be [batch, length, 1 or 2]`);
    const step = constInts(ctx, 1)?.[0];
    const w = ctx.types[2];
    const fl = w?.shape?.[0] ?? constInts(ctx, 3)?.[0];
    const L = s.shape?.[1];
    const onesided = ctx.attrs.int('onesided', 1) !== 0;
    const frames =
      typeof L === 'number' && typeof fl === 'number' && step ? Math.floor((L - fl) / step) + 1 : freshDim('frames');
    const bins = typeof fl === 'number' ? (onesided ? Math.floor(fl / 2) + 1 : fl) : freshDim('bins');
    return [{ dtype: s.dtype, shape: [s.shape?.[0] ?? freshDim('batch'), frames, bins, 2] }];
  },
  run({ inputs: [sig, stepT, win, flT], attrs }) {
    const [B, L, comps] = sig!.dims as [number, number, number];
    const step = scalarInt(stepT!, 'frame_step');
    const fl = win ? win.size : flT ? scalarInt(flT, 'frame_length') : NaN;
    if (!Number.isInteger(fl) || fl < 1 || fl > L)
      throw new Error(`frame length ${fl} must be in [1, ${L}] (give window or frame_length)`);
    if (win && flT && scalarInt(flT, 'frame_length') !== fl)
      throw new Error(`frame_length disagrees with the window's ${fl} points`);
    if (step < 1) throw new Error(`frame_step ${step} must be >= 1`);
    const onesided = attrs.int('onesided', 1) !== 0;
    const frames = Math.floor((L - fl) / step) + 1;
    const bins = onesided ? Math.floor(fl / 2) + 1 : fl;
    const w = win ? toF64(win) : undefined;
    const xs = toF64(sig!);
    const out = new Float64Array(B * frames * bins * 2);
    const re = new Float64Array(fl),
      im = new Float64Array(fl);
    const oRe = new Float64Array(bins),
      oIm = new Float64Array(bins);
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < frames; f++) {
        for (let j = 0; j < fl; j++) {
          const at = (b * L + f * step + j) * comps;
          const wj = w ? w[j]! : 1;
          re[j] = xs[at]! * wj;
          im[j] = comps === 2 ? xs[at + 1]! * wj : 0;
        }
        dft1(re, im, fl, false, oRe, oIm);
        for (let k = 0; k < bins; k++) {
          const dst = ((b * frames + f) * bins + k) * 2;
          out[dst] = oRe[k]!;
          out[dst + 1] = oIm[k]!;
        }
      }
    }
    return [fromF64(sig!.type, [B, frames, bins, 2], out)];
  },
  onnx: { type: 'STFT', minOpset: 17 },
};

/** Window functions: a cosine sum over n / N, N = size (periodic) or size - 1 (symmetric). */
function windowOp(type: string, coeffs: number[]): OpDef {
  const outType = (ctx: { attrs: InferContext['attrs'] }) => dtypeFromOnnx(ctx.attrs.int('output_datatype', 1));
  return {
    name: `nn.${type}`,
    inputs: ['size'],
    outputs: ['output'],
    attrs: { output_datatype: { kind: 'int', default: 1 }, periodic: { kind: 'int', default: 1 } },
    infer(ctx) {
      checkDType(inType(ctx, 0, 'size'), ['int32', 'int64'], 'size');
      const n = constInts(ctx, 0)?.[0];
      return [{ dtype: outType(ctx), shape: [n ?? freshDim('window')] }];
    },
    run({ inputs: [sizeT], attrs }) {
      const size = scalarInt(sizeT!, 'size');
      if (size < 0) throw new Error(`size ${size} must be >= 0`);
      const N = attrs.int('periodic', 1) !== 0 ? size : size - 1;
      const v = Float64Array.from({ length: size }, (_, n) =>
        coeffs.reduce((s, c, k) => s + (k % 2 ? -c : c) * Math.cos((2 * Math.PI * k * n) / N), 0),
      );
      return [fromF64(outType({ attrs }), [size], v)];
    },
    onnx: { type, minOpset: 17 },
  };
}

const melWeightMatrix: OpDef = {
  name: 'nn.MelWeightMatrix',
  inputs: ['num_mel_bins', 'dft_length', 'sample_rate', 'lower_edge_hertz', 'upper_edge_hertz'],
  outputs: ['output'],
  attrs: { output_datatype: { kind: 'int', default: 1 } },
  infer(ctx) {
    const mel = constInts(ctx, 0)?.[0],
      len = constInts(ctx, 1)?.[0];
    const dtype = dtypeFromOnnx(ctx.attrs.int('output_datatype', 1));
    return [{ dtype, shape: [len !== undefined ? Math.floor(len / 2) + 1 : freshDim('bins'), mel ?? freshDim('mel')] }];
  },
  run({ inputs, attrs }) {
    const [mel, len, rate] = inputs
      .slice(0, 3)
      .map((t, i) => scalarInt(t!, ['num_mel_bins', 'dft_length', 'sample_rate'][i]!));
    const lo = toF64(inputs[3]!)[0]!,
      hi = toF64(inputs[4]!)[0]!;
    const bins = Math.floor(len! / 2) + 1;
    const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    const loMel = toMel(lo),
      step = (toMel(hi) - loMel) / (mel! + 2);
    // mel_bins + 2 edges, evenly spaced in mel, as spectrogram bin indices
    const edges = Array.from({ length: mel! + 2 }, (_, i) => {
      const hz = 700 * (10 ** ((i * step + loMel) / 2595) - 1);
      return Math.trunc(Math.floor(((len! + 1) * hz) / rate!));
    });
    const out = new Float64Array(bins * mel!);
    const set = (j: number, i: number, v: number) => {
      if (j >= 0 && j < bins) out[j * mel! + i] = v;
    };
    for (let i = 0; i < mel!; i++) {
      const [l, c, h] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
      if (c === l) set(c, i, 1);
      else for (let j = l; j <= c; j++) set(j, i, (j - l) / (c - l));
      if (h > c) for (let j = c; j < h; j++) set(j, i, (h - j) / (h - c));
    }
    return [fromF64(dtypeFromOnnx(attrs.int('output_datatype', 1)), [bins, mel!], out)];
  },
  onnx: { type: 'MelWeightMatrix', minOpset: 17 },
};

registerOps([
  dft,
  stft,
  melWeightMatrix,
  windowOp('HannWindow', [0.5, 0.5]),
  windowOp('HammingWindow', [25 / 46, 21 / 46]),
  windowOp('BlackmanWindow', [0.42, 0.5, 0.08]),
]);
