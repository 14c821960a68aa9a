// Resize's interpolation as separable taps: attributes, output sizes and scales, the coordinate
// transformation and the mode's kernel per output position, applied one axis at a time in
// float64 (the reference semantics; the WASM planner reuses the taps).

import type { AttrReader } from '../ir/attributes.js';
import { normAxis } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { fromF64, toF64 } from './nn-util.js';

export const MODES = ['nearest', 'linear', 'cubic'];
export const TRANSFORMS = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_crop_and_resize',
  'tf_half_pixel_for_nn',
];
// 'simple' is the canonical form of Resize-10 and Upsample: floor when upsampling, ceil when
// downsampling (what onnxruntime does for those versions, and what their tests expect).
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'];
export const POLICIES = ['stretch', 'not_larger', 'not_smaller'];

export interface ResizeAttrs {
  mode: string;
  transform: string;
  nearestMode: string;
  cubicA: number;
  excludeOutside: boolean;
  extrapolation: number;
  antialias: boolean;
  axes?: number[];
  policy: string;
}

export function oneOf(v: string, allowed: string[], name: string): string {
  if (!allowed.includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}; got '${v}'`);
  return v;
}

export function readAttrs(a: AttrReader): ResizeAttrs {
  return {
    mode: oneOf(a.string('mode', 'nearest'), MODES, 'mode'),
    transform: oneOf(
      a.string('coordinate_transformation_mode', 'half_pixel'),
      TRANSFORMS,
      'coordinate_transformation_mode',
    ),
    nearestMode: oneOf(a.string('nearest_mode', 'round_prefer_floor'), NEAREST_MODES, 'nearest_mode'),
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) !== 0,
    extrapolation: a.float('extrapolation_value', 0),
    antialias: a.int('antialias', 0) !== 0,
    axes: a.has('axes') ? a.ints('axes') : undefined,
    policy: oneOf(a.string('keep_aspect_ratio_policy', 'stretch'), POLICIES, 'keep_aspect_ratio_policy'),
  };
}

export function resizedAxes(a: ResizeAttrs, rank: number): number[] {
  if (!a.axes) return Array.from({ length: rank }, (_, i) => i);
  const axes = a.axes.map((x) => normAxis(x, rank, 'axes entry'));
  if (new Set(axes).size !== axes.length) throw new Error(`axes [${a.axes.join(',')}] repeats an axis`);
  return axes;
}

/** One resized axis: lengths, the scale of the coordinate transform and the fractional output length. */
export interface AxisPlan {
  axis: number;
  inLen: number;
  outLen: number;
  scale: number;
  outWidth: number;
}

/** Output sizes and per-axis scales from `scales` or `sizes` (exactly one of them given). */
export function planResize(
  dims: readonly number[],
  a: ResizeAttrs,
  scales?: number[],
  sizes?: number[],
): { outDims: number[]; plans: AxisPlan[] } {
  const axes = resizedAxes(a, dims.length);
  if (scales && sizes) throw new Error('only one of scales and sizes may be given');
  if (!scales && !sizes) throw new Error('one of scales and sizes must be given (a non-empty tensor)');
  const n = (scales ?? sizes)!.length;
  if (n !== axes.length) {
    throw new Error(`${scales ? 'scales' : 'sizes'} has ${n} values; it needs one per resized axis (${axes.length})`);
  }
  const outDims = [...dims];
  const plans: AxisPlan[] = [];
  if (scales) {
    axes.forEach((ax, i) => {
      const s = scales[i];
      if (!(s > 0)) throw new Error(`scales[${i}] = ${s}; scales must be positive`);
      const outWidth = s * dims[ax];
      const outLen = Math.floor(outWidth);
      outDims[ax] = outLen;
      plans.push({ axis: ax, inLen: dims[ax], outLen, scale: s, outWidth });
    });
  } else {
    const sz = sizes!;
    sz.forEach((v, i) => {
      if (!(v >= 0) || !Number.isInteger(v)) throw new Error(`sizes[${i}] = ${v}; sizes must be non-negative integers`);
    });
    if (a.policy === 'stretch') {
      axes.forEach((ax, i) => {
        outDims[ax] = sz[i];
        plans.push({ axis: ax, inLen: dims[ax], outLen: sz[i], scale: sz[i] / dims[ax], outWidth: sz[i] });
      });
    } else {
      const ratios = axes.map((ax, i) => sz[i] / dims[ax]);
      const s = a.policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((ax) => {
        const outLen = Math.floor(s * dims[ax] + 0.5);
        outDims[ax] = outLen;
        plans.push({ axis: ax, inLen: dims[ax], outLen, scale: s, outWidth: s * dims[ax] });
      });
    }
  }
  return { outDims, plans };
}

/** Source coordinate of output position y along one axis. */
function sourceCoord(y: number, a: ResizeAttrs, p: AxisPlan, roiStart: number, roiEnd: number): number {
  const { inLen, outLen, scale, outWidth } = p;
  switch (a.transform) {
    case 'half_pixel':
      return (y + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outLen / outWidth;
      const offset = (inLen / 2) * (1 - adjustment);
      return offset + (y + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return outLen > 1 ? (y + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outWidth === 1 ? 0 : (y * (inLen - 1)) / (outWidth - 1);
    case 'asymmetric':
      return y / scale;
    case 'tf_half_pixel_for_nn':
      return (y + 0.5) / scale;
    case 'tf_crop_and_resize': {
      const start = roiStart * (inLen - 1);
      return outWidth === 1
        ? ((roiEnd - roiStart) * (inLen - 1)) / 2 + start
        : (y * (roiEnd - roiStart) * (inLen - 1)) / (outWidth - 1) + start;
    }
    default:
      throw new Error(`coordinate_transformation_mode '${a.transform}' is not supported`);
  }
}

function nearestIndex(x: number, mode: string, scale: number): number {
  const f = Math.floor(x);
  switch (mode) {
    case 'round_prefer_floor':
      return x === f ? f : x - f <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil':
      return x - f < 0.5 ? f : f + 1;
    case 'floor':
      return f;
    case 'ceil':
      return Math.ceil(x);
    default:
      return scale < 1 ? Math.ceil(x) : Math.trunc(x); // simple
  }
}

function cubicKernel(u: number, A: number): number {
  const x = Math.abs(u);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

/** Taps per output position along one axis: n (index, weight) pairs each, and extrapolation flags. */
export interface Taps {
  n: number;
  idx: Int32Array;
  w: Float64Array;
  extrapolated?: Uint8Array;
}

export function axisTaps(p: AxisPlan, a: ResizeAttrs, roiStart: number, roiEnd: number): Taps {
  const { inLen, outLen } = p;
  const crop = a.transform === 'tf_crop_and_resize';
  const extrapolated = crop ? new Uint8Array(outLen) : undefined;
  const clamp = (i: number) => (i < 0 ? 0 : i >= inLen ? inLen - 1 : i);
  if (a.mode === 'nearest') {
    const idx = new Int32Array(outLen);
    for (let y = 0; y < outLen; y++) {
      const x = sourceCoord(y, a, p, roiStart, roiEnd);
      if (extrapolated && (x < 0 || x > inLen - 1)) extrapolated[y] = 1;
      idx[y] = clamp(nearestIndex(x, a.nearestMode, p.scale));
    }
    return { n: 1, idx, w: new Float64Array(outLen).fill(1), extrapolated };
  }
  // linear / cubic, possibly antialiased: window of n taps starting at x0 + start, weights
  // kernel((k - ratio) * s); an integer x is treated as the right end of the interval (ratio 1)
  const cubic = a.mode === 'cubic';
  const s = a.antialias ? Math.min(p.scale, 1) : 1;
  const support = cubic ? 2 : 1;
  const start = Math.floor(-support / s) + 1;
  const n = 2 - 2 * start;
  const kernel = cubic ? (u: number) => cubicKernel(u, a.cubicA) : (u: number) => Math.max(0, 1 - Math.abs(u));
  const idx = new Int32Array(outLen * n);
  const w = new Float64Array(outLen * n);
  for (let y = 0; y < outLen; y++) {
    const x = sourceCoord(y, a, p, roiStart, roiEnd);
    if (extrapolated && (x < 0 || x > inLen - 1)) extrapolated[y] = 1;
    const isInt = Number.isInteger(x);
    const x0 = isInt ? x - 1 : Math.floor(x);
    const ratio = isInt ? 1 : x - x0;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const k = start + j;
      const v = kernel((k - ratio) * s);
      w[y * n + j] = v;
      idx[y * n + j] = x0 + k;
      sum += v;
    }
    if (a.antialias && sum !== 0) for (let j = 0; j < n; j++) w[y * n + j] /= sum;
    if (a.excludeOutside) {
      let kept = 0;
      for (let j = 0; j < n; j++) {
        const i = idx[y * n + j];
        if (i < 0 || i >= inLen) w[y * n + j] = 0;
        kept += w[y * n + j];
      }
      if (kept !== 0) for (let j = 0; j < n; j++) w[y * n + j] /= kept;
    }
    for (let j = 0; j < n; j++) idx[y * n + j] = clamp(idx[y * n + j]);
  }
  return { n, idx, w, extrapolated };
}

/** Apply taps along `axis` of a float64 tensor with dims `dims`. */
function resizeAxis(
  v: Float64Array,
  dims: number[],
  axis: number,
  outLen: number,
  t: Taps,
  extrapolation: number,
): Float64Array {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const inLen = dims[axis];
  const out = new Float64Array(outer * outLen * inner);
  const { n, idx, w, extrapolated } = t;
  for (let o = 0; o < outer; o++) {
    const inBase = o * inLen * inner;
    for (let y = 0; y < outLen; y++) {
      const ob = (o * outLen + y) * inner;
      if (extrapolated?.[y]) {
        out.fill(extrapolation, ob, ob + inner);
        continue;
      }
      for (let j = 0; j < n; j++) {
        const wt = w[y * n + j];
        if (wt === 0) continue;
        const ib = inBase + idx[y * n + j] * inner;
        for (let i = 0; i < inner; i++) out[ob + i] += wt * v[ib + i];
      }
    }
  }
  return out;
}

/** Values of an optional float/int input, or undefined when it is absent or empty. */
export function values(t: Tensor | undefined): number[] | undefined {
  if (!t || t.size === 0) return undefined;
  return Array.from(toF64(t));
}

export function runResize(x: Tensor, a: ResizeAttrs, roiT?: Tensor, scalesT?: Tensor, sizesT?: Tensor): Tensor {
  const dims = [...x.dims];
  const { outDims, plans } = planResize(dims, a, values(scalesT), values(sizesT));
  const roi = a.transform === 'tf_crop_and_resize' ? values(roiT) : undefined;
  if (a.transform === 'tf_crop_and_resize' && !roi)
    throw new Error("coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input");
  if (roi && roi.length !== 2 * plans.length)
    throw new Error(`roi has ${roi.length} values; it needs a start and an end per resized axis (${2 * plans.length})`);
  let v = toF64(x);
  const cur = [...dims];
  plans.forEach((p, i) => {
    const rs = roi ? roi[i] : 0,
      re = roi ? roi[i + plans.length] : 1;
    if (p.outLen === p.inLen && p.scale === 1 && rs === 0 && re === 1) return; // identity along this axis
    if (p.inLen === 0 && p.outLen > 0) throw new Error(`cannot resize axis ${p.axis} of length 0 to ${p.outLen}`);
    v = resizeAxis(v, cur, p.axis, p.outLen, axisTaps(p, a, rs, re), a.extrapolation);
    cur[p.axis] = p.outLen;
  });
  return fromF64(x.type, outDims, v, true);
}
