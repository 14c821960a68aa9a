// Conv over 1, 2 or 3 spatial axes, the shape rules shared with ConvTranspose and ConvInteger,
// and the lowering to k.conv.
//
// The kernels work on float64 copies and treat every input as 3-D (missing leading spatial axes
// have size 1), accumulate in float64 and round once when storing. Conv computes each output as
// a dot product over a zero-padded copy of the input; ConvTranspose scatters each input row into
// the output, with the range of valid positions precomputed per kernel tap, so neither inner
// loop has bounds checks.

import type { AttrReader } from '../ir/attributes.js';
import { type DType, isFloat } from '../ir/dtype.js';
import { Node, type TensorType, Value } from '../ir/graph.js';
import { type CostContext, type InferContext, type LowerContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, isStatic } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { call, type Expr, printExpr } from './kernel/expr.js';
import { $0, $1, withLowering } from './kernel/lowering.js';
import { axisGeometry, fromF64, geometry, readWindow, to3, toF64 } from './nn-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

export const WINDOW_ATTRS = {
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
export function convForward(
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

// ---------------------------------------------------------------------------------------------
// Shape rules

export interface ConvTypes {
  x: TensorType;
  w: TensorType;
  rank?: number;
  nSpatial?: number;
}

export function checkConvInputs(ctx: InferContext, dtypes: readonly DType[], sameType: boolean): ConvTypes {
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
export function kernelOf(ctx: { attrs: InferContext['attrs'] }, w: TensorType, nSpatial: number): number[] | undefined {
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

export function known(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

export function inferConvLike(
  ctx: InferContext,
  outDType: DType,
  dtypes: readonly DType[],
  sameType: boolean,
): TensorType {
  const { x, w, nSpatial } = checkConvInputs(ctx, dtypes, sameType);
  const group = ctx.attrs.int('group', 1);
  if (group < 1) throw new Error(`group must be >= 1, got ${group}`);
  if (nSpatial === undefined) return { dtype: outDType };
  const xs = x.shape,
    ws = w.shape;
  const M: Dim = ws ? ws[0] : freshDim('m');
  if (xs && ws && known(xs[1]) && known(ws[1]) && xs[1] !== ws[1] * group) {
    throw new Error(
      `X has ${xs[1]} channels but W ${formatType(w)} with group=${group} expects ${(ws[1] as number) * group} ` +
        `(C = W.shape[1] * group)`,
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

export function convCost(ctx: CostContext): { flops: number; bytes: number } {
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

export function checkBias(b: Tensor | undefined, M: number): Float64Array | undefined {
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

// ---------------------------------------------------------------------------------------------
// Lowering to k.conv

/** Explicit pads from auto_pad, for static spatial shapes. */
function convPads(a: AttrReader, x: number[], k: number[], strides: number[], dil: number[]): number[] {
  const sp = k.length;
  const mode = a.string('auto_pad', 'NOTSET');
  if (mode === 'NOTSET') return a.ints('pads', new Array(2 * sp).fill(0));
  if (mode === 'VALID') return new Array(2 * sp).fill(0);
  const pads = new Array(2 * sp).fill(0);
  for (let i = 0; i < sp; i++) {
    const out = Math.ceil(x[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (k[i]! - 1) * dil[i]! + 1 - x[i]!);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_UPPER' ? small : total - small;
    pads[i + sp] = total - pads[i]!;
  }
  return pads;
}

/** Float Conv with static weights: pads resolved, a constant bias as the epilogue's second input. */
function lowerConv({ node: n, attrs: a }: LowerContext): Node | undefined {
  const [X, W, B] = n.inputs;
  const xs = X?.type?.shape,
    ws = W?.type?.shape;
  if (!xs || !ws || !isFloat(X!.type!.dtype) || !isStatic(ws)) return undefined;
  const sp = ws.length - 2;
  const k = ws.slice(2);
  const strides = a.ints('strides', new Array(sp).fill(1));
  const dil = a.ints('dilations', new Array(sp).fill(1));
  const spatial = xs.slice(2);
  if (a.string('auto_pad', 'NOTSET') !== 'NOTSET' && !isStatic(spatial)) return undefined;
  const pads = convPads(a, spatial as number[], k, strides, dil);
  const inputs: Value[] = [X!, W!];
  let epi: Expr = $0;
  if (B) {
    const b = B.const;
    if (!b) return undefined;
    const bias = new Value(`${B.name}.kbias`, { dtype: b.type, shape: [b.size, ...new Array(sp).fill(1)] });
    bias.const = b.reshape([b.size, ...new Array(sp).fill(1)]);
    inputs.push(bias);
    epi = call('add', $0, $1);
  }
  return new Node(
    'k.conv',
    inputs,
    [n.outputs[0]!],
    {
      strides: { kind: 'ints', value: strides },
      pads: { kind: 'ints', value: pads },
      dilations: { kind: 'ints', value: dil },
      group: { kind: 'int', value: a.int('group', 1) },
      epilogue: { kind: 'string', value: printExpr(epi) },
    },
    n.name,
  );
}

registerOps(withLowering([conv], { 'nn.Conv': { lower: lowerConv, lowersTo: ['k.conv'] } }));
