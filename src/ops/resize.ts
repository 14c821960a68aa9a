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
import { type Dim, freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { oneOf, planResize, type ResizeAttrs, readAttrs, resizedAxes, runResize, values } from './resize-taps.js';
import { ALL, bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

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
