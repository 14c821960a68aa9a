// GridSample (opset 16 four-dimensional, opset 20 N-dimensional) and AffineGrid (opset 20).
//
// GridSample reads X [N, C, D1..Dk] at the normalised positions of grid [N, O1..Ok, k], whose last
// axis lists coordinates innermost-axis first (x = width, y = height, z = depth), so coordinate j
// addresses spatial axis k-1-j. Positions are denormalised with align_corners (-1 and 1 are the
// centres of the corner pixels, else their outer edges), out-of-range positions are clamped
// (border) or reflected (reflection) first (not for cubic, as in PyTorch), and every tap of the
// interpolation is again mapped per axis (zeros: outside reads 0). Linear and cubic interpolation
// are separable, so a sample is the sum over the product of per-axis taps. Cubic uses Keys'
// kernel with A = -0.75; nearest rounds half to even, as PyTorch does. Opset 16's
// 'bilinear'/'bicubic' are 'linear'/'cubic'.
//
// AffineGrid builds the grid for theta [N, 2, 3] (or [N, 3, 4]) and size [N, C, H, W] (or
// [N, C, D, H, W]): the base grid's normalised coordinates (x, y[, z], 1) times theta.

import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, constInts, FLOATS, inType, numelOf } from './util.js';

type Padding = 'zeros' | 'border' | 'reflection';
const MODES: Record<string, 'nearest' | 'linear' | 'cubic'> = {
  nearest: 'nearest',
  linear: 'linear',
  cubic: 'cubic',
  bilinear: 'linear',
  bicubic: 'cubic',
};
const CUBIC_A = -0.75;

function denormalize(v: number, len: number, alignCorners: boolean): number {
  return alignCorners ? ((v + 1) / 2) * (len - 1) : ((v + 1) * len - 1) / 2;
}

/** Fold x into [lo, hi] by reflecting at the nearer border as often as needed. */
function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Round half to even, as numpy's rint. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function cubicCoeffs(t: number): number[] {
  const x = Math.abs(t);
  const A = CUBIC_A;
  return [
    ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A,
    ((A + 2) * x - (A + 3)) * x * x + 1,
    ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1,
    ((A * (2 - x) - 5 * A) * (2 - x) + 8 * A) * (2 - x) - 4 * A,
  ];
}

/** Per spatial axis: where a tap at integer position i reads (-1: a zero). */
function tapIndex(i: number, len: number, lo: number, hi: number, padding: Padding): number {
  if (padding === 'zeros') return i >= 0 && i < len ? i : -1;
  if (padding === 'border') return clamp(i, 0, len - 1);
  return clamp(Math.trunc(reflect(i, lo, hi)), 0, len - 1);
}

interface Taps {
  index: number[];
  weight: number[];
}

function axisTaps(x: number, len: number, lo: number, hi: number, mode: string, padding: Padding): Taps {
  if (mode === 'nearest') return { index: [tapIndex(x, len, lo, hi, padding)], weight: [1] };
  const x0 = Math.floor(x);
  const t = x - x0;
  if (mode === 'linear') {
    return { index: [x0, x0 + 1].map((i) => tapIndex(i, len, lo, hi, padding)), weight: [1 - t, t] };
  }
  return { index: [x0 - 1, x0, x0 + 1, x0 + 2].map((i) => tapIndex(i, len, lo, hi, padding)), weight: cubicCoeffs(t) };
}

function gridSampleRun(X: Tensor, grid: Tensor, modeName: string, padding: Padding, alignCorners: boolean): Tensor {
  const mode = MODES[modeName];
  if (!mode) throw new Error(`mode '${modeName}' must be one of ${Object.keys(MODES).join(', ')}`);
  const [N, C] = X.dims as [number, number];
  const spatial = X.dims.slice(2);
  const k = spatial.length;
  const outSpatial = grid.dims.slice(1, -1);
  if (grid.dims[0] !== N || grid.dims[grid.dims.length - 1] !== k || outSpatial.length !== k) {
    throw new Error(
      `grid [${grid.dims.join(',')}] must be [${N}, ${k} output sizes..., ${k}] for X [${X.dims.join(',')}]`,
    );
  }
  const xs = toF64(X),
    gs = toF64(grid);
  const inSize = spatial.reduce((a, b) => a * b, 1);
  const outSize = outSpatial.reduce((a, b) => a * b, 1);
  const strides = spatial.map((_, a) => spatial.slice(a + 1).reduce((p, q) => p * q, 1));
  const lo = spatial.map(() => (alignCorners ? 0 : -0.5));
  const hi = spatial.map((d) => (alignCorners ? d - 1 : d - 0.5));
  const out = new Float64Array(N * C * outSize);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outSize; o++) {
      const g = (n * outSize + o) * k;
      const taps: Taps[] = [];
      for (let a = 0; a < k; a++) {
        let x = denormalize(gs[g + (k - 1 - a)]!, spatial[a]!, alignCorners);
        if (mode === 'nearest') x = rint(x);
        // PyTorch (and onnxruntime) map only the taps of a cubic sample, not its centre
        if (mode !== 'cubic' && (x < lo[a]! || x > hi[a]!)) {
          if (padding === 'border') x = clamp(x, 0, spatial[a]! - 1);
          else if (padding === 'reflection') x = reflect(x, lo[a]!, hi[a]!);
        }
        if (mode === 'nearest') x = Math.trunc(x);
        taps.push(axisTaps(x, spatial[a]!, lo[a]!, hi[a]!, mode, padding));
      }
      // every combination of per-axis taps: its offset into one channel and its weight
      let offs = [0],
        ws = [1];
      for (let a = 0; a < k; a++) {
        const no: number[] = [],
          nw: number[] = [];
        const { index, weight } = taps[a]!;
        for (let p = 0; p < offs.length; p++) {
          for (let q = 0; q < index.length; q++) {
            no.push(offs[p]! < 0 || index[q]! < 0 ? -1 : offs[p]! + index[q]! * strides[a]!);
            nw.push(ws[p]! * weight[q]!);
          }
        }
        offs = no;
        ws = nw;
      }
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * inSize;
        let s = 0;
        for (let p = 0; p < offs.length; p++) if (offs[p]! >= 0) s += ws[p]! * xs[base + offs[p]!]!;
        out[(n * C + c) * outSize + o] = s;
      }
    }
  }
  return fromF64(X.type, [N, C, ...outSpatial], out);
}

const gridSample: OpDef = {
  name: 'nn.GridSample',
  inputs: ['X', 'grid'],
  outputs: ['Y'],
  attrs: {
    align_corners: { kind: 'int', default: 0 },
    mode: { kind: 'string', default: 'linear' },
    padding_mode: { kind: 'string', default: 'zeros' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const g = inType(ctx, 1, 'grid');
    checkDType(x, FLOATS, 'X');
    checkDType(g, FLOATS, 'grid');
    const mode = ctx.attrs.string('mode', 'linear');
    if (!MODES[mode]) throw new Error(`mode '${mode}' must be one of ${Object.keys(MODES).join(', ')}`);
    const pad = ctx.attrs.string('padding_mode', 'zeros');
    if (!['zeros', 'border', 'reflection'].includes(pad))
      throw new Error(`padding_mode '${pad}' must be zeros, border or reflection`);
    if (x.shape && x.shape.length < 3) throw new Error(`X ${formatType(x)} must have rank >= 3 (N, C, spatial...)`);
    if (x.shape && g.shape && g.shape.length !== x.shape.length) {
      throw new Error(`grid ${formatType(g)} must have the rank of X ${formatType(x)}`);
    }
    if (!x.shape || !g.shape) return [{ dtype: x.dtype }];
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...g.shape.slice(1, -1)] }];
  },
  run({ inputs: [x, g], attrs }) {
    const pad = attrs.string('padding_mode', 'zeros') as Padding;
    return [gridSampleRun(x!, g!, attrs.string('mode', 'linear'), pad, attrs.int('align_corners', 0) !== 0)];
  },
  cost(ctx) {
    const taps = ctx.attrs.string('mode', 'linear').endsWith('cubic') ? 16 : 4;
    return {
      flops: numelOf(ctx.outTypes[0]) * taps * 2,
      bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.types[1]) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'GridSample', minOpset: 16 },
};

/** Normalised base-grid coordinates along an axis of `len` points. */
function baseCoords(len: number, alignCorners: boolean): number[] {
  return Array.from({ length: len }, (_, i) =>
    alignCorners ? (len > 1 ? -1 + (2 * i) / (len - 1) : -1) : (2 * i + 1) / len - 1,
  );
}

const affineGrid: OpDef = {
  name: 'nn.AffineGrid',
  inputs: ['theta', 'size'],
  outputs: ['grid'],
  attrs: { align_corners: { kind: 'int', default: 0 } },
  infer(ctx) {
    const th = inType(ctx, 0, 'theta');
    const sz = inType(ctx, 1, 'size');
    checkDType(th, FLOATS, 'theta');
    checkDType(sz, ['int64'], 'size');
    const size = constInts(ctx, 1);
    if (!size) {
      const r = sz.shape?.[0];
      if (r === 4) return [{ dtype: th.dtype, shape: [freshDim('n'), freshDim('h'), freshDim('w'), 2] }];
      if (r === 5) return [{ dtype: th.dtype, shape: [freshDim('n'), freshDim('d'), freshDim('h'), freshDim('w'), 3] }];
      return [{ dtype: th.dtype }];
    }
    if (size.length !== 4 && size.length !== 5)
      throw new Error(`size [${size.join(',')}] must have 4 or 5 values (N, C, [D,] H, W)`);
    const shape: Dim[] = [size[0]!, ...size.slice(2), size.length - 2];
    return [{ dtype: th.dtype, shape } satisfies TensorType];
  },
  run({ inputs: [th, sz], attrs }) {
    const size = Array.from(sz!.data as BigInt64Array, Number);
    const align = attrs.int('align_corners', 0) !== 0;
    const k = size.length - 2;
    if (k !== 2 && k !== 3) throw new Error(`size [${size.join(',')}] must have 4 or 5 values (N, C, [D,] H, W)`);
    const N = size[0]!;
    if (th!.dims.join(',') !== [N, k, k + 1].join(',')) {
      throw new Error(`theta [${th!.dims.join(',')}] must be [${N}, ${k}, ${k + 1}] for size [${size.join(',')}]`);
    }
    const spatial = size.slice(2); // [D,] H, W
    const coords = spatial.map((d) => baseCoords(d, align));
    const t = toF64(th!);
    const pts = spatial.reduce((a, b) => a * b, 1);
    const out = new Float64Array(N * pts * k);
    const idx = new Array<number>(k).fill(0);
    for (let n = 0; n < N; n++) {
      for (let p = 0; p < pts; p++) {
        let r = p;
        for (let a = k - 1; a >= 0; a--) {
          idx[a] = r % spatial[a]!;
          r = Math.floor(r / spatial[a]!);
        }
        // the base point (x, y[, z], 1): x runs along the last spatial axis
        const base = [...idx.map((_, j) => coords[k - 1 - j]![idx[k - 1 - j]!]!), 1];
        for (let row = 0; row < k; row++) {
          let s = 0;
          for (let col = 0; col <= k; col++) s += t[(n * k + row) * (k + 1) + col]! * base[col]!;
          out[(n * pts + p) * k + row] = s;
        }
      }
    }
    return [fromF64(th!.type, [N, ...spatial, k], out)];
  },
  onnx: { type: 'AffineGrid', minOpset: 20 },
};

registerOps([gridSample, affineGrid]);
