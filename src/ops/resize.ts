// Resize (opsets 10-19) and Upsample (1, 7, 9, rewritten to Resize on import).
//
// Every interpolation mode is separable, so the op resizes one axis at a time: for each axis it
// builds a table of (source index, weight) taps per output position, from the coordinate
// transformation and the mode's kernel, then applies it along that axis in float64. Following
// the ONNX reference: source indices outside the input are clamped to the edge (unless
// exclude_outside drops them), tf_crop_and_resize writes extrapolation_value where the source
// coordinate leaves the input, and antialiasing stretches the linear/cubic kernel by 1/scale
// when downsampling.

import type { AttrReader } from '../ir/attributes.js';
import type { TensorType } from '../ir/graph.js';
import { type ImportContext, type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './nn-util.js';
import { ALL, bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const MODES = ['nearest', 'linear', 'cubic'];
const TRANSFORMS = [
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
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'];
const POLICIES = ['stretch', 'not_larger', 'not_smaller'];

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

function oneOf(v: string, allowed: string[], name: string): string {
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

function resizedAxes(a: ResizeAttrs, rank: number): number[] {
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

function runResize(x: Tensor, a: ResizeAttrs, roiT?: Tensor, scalesT?: Tensor, sizesT?: Tensor): Tensor {
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

// ---------------------------------------------------------------------------------------------
// Shape rule

function constValues(ctx: InferContext, i: number): number[] | undefined | null {
  // undefined: input absent or empty; null: present but not known before running
  const t = ctx.types[i];
  if (!t) return undefined;
  const c = ctx.consts[i];
  if (!c) return t.shape && t.shape.length === 1 && t.shape[0] === 0 ? undefined : null;
  return values(c);
}

function inferResize(
  x: TensorType,
  a: ResizeAttrs,
  scales: number[] | undefined | null,
  sizes: number[] | undefined | null,
): TensorType {
  if (!x.shape) {
    // without axes, constant scales/sizes tell the rank (and sizes the dims, when stretched)
    const vals = scales ?? sizes;
    if (a.axes || !vals) return { dtype: x.dtype };
    return { dtype: x.dtype, shape: sizes && a.policy === 'stretch' ? [...sizes] : vals.map(() => freshDim('rs')) };
  }
  const rank = x.shape.length;
  const axes = resizedAxes(a, rank);
  const shape: Dim[] = [...x.shape];
  const dims = x.shape;
  const fresh = () => {
    axes.forEach((ax) => {
      shape[ax] = freshDim('rs');
    });
    return { dtype: x.dtype, shape };
  };
  if (scales === null || sizes === null) return fresh();
  if (scales === undefined && sizes === undefined) return fresh();
  const vals = (scales ?? sizes)!;
  if (vals.length !== axes.length)
    throw new Error(
      `${scales ? 'scales' : 'sizes'} has ${vals.length} values; it needs one per resized axis (${axes.length})`,
    );
  if (scales) {
    axes.forEach((ax, i) => {
      const d = dims[ax];
      if (scales[i] === 1) return;
      shape[ax] = typeof d === 'number' ? Math.floor(scales[i] * d) : freshDim('rs');
    });
    return { dtype: x.dtype, shape };
  }
  if (a.policy === 'stretch') {
    axes.forEach((ax, i) => {
      shape[ax] = sizes![i];
    });
    return { dtype: x.dtype, shape };
  }
  if (!axes.every((ax) => typeof dims[ax] === 'number')) return fresh();
  const { outDims } = planResize(
    axes.map((ax) => dims[ax] as number),
    { ...a, axes: undefined },
    undefined,
    sizes,
  );
  axes.forEach((ax, i) => {
    shape[ax] = outDims[i];
  });
  return { dtype: x.dtype, shape };
}

const RESIZE_ATTRS: OpDef['attrs'] = {
  antialias: { kind: 'int', default: 0 },
  axes: { kind: 'ints' },
  coordinate_transformation_mode: { kind: 'string', default: 'half_pixel' },
  cubic_coeff_a: { kind: 'float', default: -0.75 },
  exclude_outside: { kind: 'int', default: 0 },
  extrapolation_value: { kind: 'float', default: 0 },
  keep_aspect_ratio_policy: { kind: 'string', default: 'stretch' },
  mode: { kind: 'string', default: 'nearest' },
  nearest_mode: { kind: 'string', default: 'round_prefer_floor' },
};

function checkResizeTypes(ctx: InferContext, a: ResizeAttrs): TensorType {
  const x = inType(ctx, 0, 'X');
  checkDType(x, ALL, 'X');
  if (x.dtype === 'bool' && a.mode !== 'nearest')
    throw new Error(`X is ${formatType(x)}; bool inputs only resize with mode 'nearest'`);
  const roi = ctx.types[1],
    scales = ctx.types[2],
    sizes = ctx.types[3];
  if (roi) checkDType(roi, FLOATS, 'roi');
  if (scales && scales.dtype !== 'float32') throw new Error(`scales is ${formatType(scales)}; it must be float32`);
  if (sizes && sizes.dtype !== 'int64') throw new Error(`sizes is ${formatType(sizes)}; it must be int64`);
  for (const [t, n] of [
    [roi, 'roi'],
    [scales, 'scales'],
    [sizes, 'sizes'],
  ] as const) {
    if (t?.shape && t.shape.length !== 1) throw new Error(`input ${n} has shape ${formatType(t)}; it must be 1-D`);
  }
  return x;
}

function resizeCost(ctx: {
  outTypes: (TensorType | undefined)[];
  types: (TensorType | undefined)[];
  attrs: AttrReader;
}) {
  const mode = ctx.attrs.string('mode', 'nearest');
  const taps = mode === 'cubic' ? 8 : mode === 'linear' ? 4 : 1;
  return { flops: numelOf(ctx.outTypes[0]) * taps, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) };
}

const resize: OpDef = {
  name: 'nn.Resize',
  inputs: ['X', 'roi?', 'scales?', 'sizes?'],
  outputs: ['Y'],
  attrs: RESIZE_ATTRS,
  infer(ctx) {
    const a = readAttrs(ctx.attrs);
    const x = checkResizeTypes(ctx, a);
    return [inferResize(x, a, constValues(ctx, 2), constValues(ctx, 3))];
  },
  run({ inputs: [x, roi, scales, sizes], attrs }) {
    return [runResize(x!, readAttrs(attrs), roi, scales, sizes)];
  },
  cost: resizeCost,
  onnx: {
    type: 'Resize',
    minOpset: 10,
    import(ctx) {
      if (ctx.opset >= 11) return;
      // Resize-10: (X, scales), asymmetric coordinates, onnxruntime's nearest rounding
      const [x, scales] = ctx.node.inputs;
      ctx.node.inputs = [x, null, scales];
      legacyAttrs(ctx);
    },
  },
};

function legacyAttrs(ctx: ImportContext): void {
  const mode = ctx.attrs.string('mode', 'nearest').toLowerCase();
  ctx.node.attrs.mode = { kind: 'string', value: mode === 'bilinear' ? 'linear' : mode };
  ctx.node.attrs.coordinate_transformation_mode = { kind: 'string', value: 'asymmetric' };
  ctx.node.attrs.nearest_mode = { kind: 'string', value: 'simple' };
}

/** Upsample imports as Resize with scales as an input. Its own rule and run serve hand-built graphs. */
const upsample: OpDef = {
  name: 'nn.Upsample',
  inputs: ['X', 'scales'],
  outputs: ['Y'],
  attrs: { mode: { kind: 'string', default: 'nearest' } },
  infer(ctx) {
    const a = upsampleAttrs(ctx.attrs);
    const x = inType(ctx, 0, 'X');
    checkDType(x, ALL, 'X');
    const s = inType(ctx, 1, 'scales');
    if (s.dtype !== 'float32') throw new Error(`scales is ${formatType(s)}; it must be float32`);
    return [inferResize(x, a, constValues(ctx, 1), undefined)];
  },
  run({ inputs: [x, scales], attrs }) {
    return [runResize(x!, upsampleAttrs(attrs), undefined, scales, undefined)];
  },
  cost: resizeCost,
  onnx: {
    type: 'Upsample',
    import(ctx) {
      const x = ctx.node.inputs[0];
      let scales = ctx.node.inputs[1] ?? null;
      const attrScales = ctx.take('scales');
      const hs = ctx.take('height_scale'),
        ws = ctx.take('width_scale');
      if (!scales) {
        let s: number[] | undefined;
        if (attrScales && (attrScales.kind === 'floats' || attrScales.kind === 'ints')) s = attrScales.value;
        else if (hs || ws) {
          // Upsample-1 (experimental): NCHW with height_scale and width_scale
          const num = (v: typeof hs) => (v && (v.kind === 'float' || v.kind === 'int') ? v.value : 1);
          s = [1, 1, num(hs), num(ws)];
        }
        if (!s) throw new Error('Upsample needs scales (an attribute before opset 9, an input from 9)');
        scales = ctx.constant(Tensor.from('float32', s), 'scales');
      }
      legacyAttrs(ctx);
      ctx.node.op = 'nn.Resize';
      ctx.node.inputs = [x, null, scales];
    },
  },
};

function upsampleAttrs(attrs: AttrReader): ResizeAttrs {
  const mode = attrs.string('mode', 'nearest').toLowerCase();
  return {
    mode: oneOf(mode === 'bilinear' ? 'linear' : mode, ['nearest', 'linear'], 'mode'),
    transform: 'asymmetric',
    nearestMode: 'simple',
    cubicA: -0.75,
    excludeOutside: false,
    extrapolation: 0,
    antialias: false,
    policy: 'stretch',
  };
}

registerOps([resize, upsample]);
