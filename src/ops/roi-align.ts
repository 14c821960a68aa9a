// RoiAlign (opset 10, 16): average- or max-pool each region of interest of X [N, C, H, W] into an
// output_height x output_width grid by bilinear sampling, as in Mask R-CNN.
//
// rois [R, 4] are (x1, y1, x2, y2) in input coordinates times spatial_scale; batch_indices [R]
// picks the image. half_pixel (the opset-16 default) shifts coordinates by -0.5; the legacy
// output_half_pixel (opset 10's behaviour) does not, and makes every roi at least 1 x 1. Each bin
// takes sampling_ratio samples per axis (ceil(roi size / bins) when 0). A sample outside
// [-1, size] reads 0; otherwise it clamps to the image and interpolates its four neighbours.
// mode 'avg' averages the samples; 'max' takes the largest weighted neighbour value over the
// samples (ONNX Runtime's definition, which the suite's expected values follow).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

/** The four (offset, weight) taps of a bilinear sample, or undefined when it falls outside. */
function taps(y: number, x: number, H: number, W: number): [number, number][] | undefined {
  if (y < -1 || y > H || x < -1 || x > W) return undefined;
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let y0 = Math.floor(y),
    x0 = Math.floor(x),
    y1: number,
    x1: number;
  if (y0 >= H - 1) {
    y0 = y1 = H - 1;
    y = y0;
  } else y1 = y0 + 1;
  if (x0 >= W - 1) {
    x0 = x1 = W - 1;
    x = x0;
  } else x1 = x0 + 1;
  const ly = y - y0,
    lx = x - x0,
    hy = 1 - ly,
    hx = 1 - lx;
  return [
    [y0 * W + x0, hy * hx],
    [y0 * W + x1, hy * lx],
    [y1 * W + x0, ly * hx],
    [y1 * W + x1, ly * lx],
  ];
}

const roiAlign: OpDef = {
  name: 'nn.RoiAlign',
  inputs: ['X', 'rois', 'batch_indices'],
  outputs: ['Y'],
  attrs: {
    coordinate_transformation_mode: { kind: 'string', default: 'half_pixel' },
    mode: { kind: 'string', default: 'avg' },
    output_height: { kind: 'int', default: 1 },
    output_width: { kind: 'int', default: 1 },
    sampling_ratio: { kind: 'int', default: 0 },
    spatial_scale: { kind: 'float', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      r = inType(ctx, 1, 'rois');
    checkDType(x, FLOATS, 'X');
    if (r.dtype !== x.dtype) throw new Error(`rois ${formatType(r)} must have the type of X ${formatType(x)}`);
    checkDType(inType(ctx, 2, 'batch_indices'), ['int64'], 'batch_indices');
    if (x.shape && x.shape.length !== 4) throw new Error(`X ${formatType(x)} must be [N, C, H, W]`);
    if (r.shape && (r.shape.length !== 2 || (typeof r.shape[1] === 'number' && r.shape[1] !== 4)))
      throw new Error(`rois ${formatType(r)} must be [R, 4]`);
    const mode = ctx.attrs.string('mode', 'avg');
    if (mode !== 'avg' && mode !== 'max') throw new Error(`mode '${mode}' must be avg or max`);
    const ctm = ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
    if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel')
      throw new Error(`coordinate_transformation_mode '${ctm}' must be half_pixel or output_half_pixel`);
    const oh = ctx.attrs.int('output_height', 1),
      ow = ctx.attrs.int('output_width', 1);
    if (!x.shape || !r.shape) return [{ dtype: x.dtype }];
    return [{ dtype: x.dtype, shape: [r.shape[0]!, x.shape[1]!, oh, ow] }];
  },
  run({ inputs: [xt, rt, bt], attrs }) {
    const [N, C, H, W] = xt!.dims as [number, number, number, number];
    const R = rt!.dims[0]!;
    if (bt!.size !== R) throw new Error(`batch_indices has ${bt!.size} entries for ${R} rois`);
    const oh = attrs.int('output_height', 1),
      ow = attrs.int('output_width', 1);
    const ratio = attrs.int('sampling_ratio', 0),
      scale = attrs.float('spatial_scale', 1);
    const halfPixel = attrs.string('coordinate_transformation_mode', 'half_pixel') === 'half_pixel';
    const max = attrs.string('mode', 'avg') === 'max';
    const x = toF64(xt!),
      rois = toF64(rt!),
      bi = bt!.data as BigInt64Array;
    const out = new Float64Array(R * C * oh * ow);
    const off = halfPixel ? 0.5 : 0;
    for (let r = 0; r < R; r++) {
      const n = Number(bi[r]!);
      if (n < 0 || n >= N) throw new Error(`batch index ${n} of roi ${r} is outside [0, ${N})`);
      const [x1, y1, x2, y2] = [0, 1, 2, 3].map((i) => rois[r * 4 + i]! * scale - off) as [
        number,
        number,
        number,
        number,
      ];
      let rw = x2 - x1,
        rh = y2 - y1;
      if (!halfPixel) {
        rw = Math.max(rw, 1);
        rh = Math.max(rh, 1);
      }
      const bh = rh / oh,
        bw = rw / ow;
      const gh = ratio > 0 ? ratio : Math.ceil(rh / oh),
        gw = ratio > 0 ? ratio : Math.ceil(rw / ow);
      const count = Math.max(gh * gw, 1);
      for (let ph = 0; ph < oh; ph++)
        for (let pw = 0; pw < ow; pw++) {
          // the sample points of this bin, shared by every channel
          const samples: ([number, number][] | undefined)[] = [];
          for (let iy = 0; iy < gh; iy++)
            for (let ix = 0; ix < gw; ix++) {
              samples.push(taps(y1 + ph * bh + ((iy + 0.5) * bh) / gh, x1 + pw * bw + ((ix + 0.5) * bw) / gw, H, W));
            }
          for (let c = 0; c < C; c++) {
            const base = (n * C + c) * H * W;
            let acc = max ? -Infinity : 0;
            for (const t of samples) {
              if (!t) {
                acc = max ? Math.max(acc, 0) : acc;
                continue;
              }
              if (max) for (const [o, w] of t) acc = Math.max(acc, w * x[base + o]!);
              else for (const [o, w] of t) acc += w * x[base + o]!;
            }
            out[((r * C + c) * oh + ph) * ow + pw] = max ? (samples.length ? acc : 0) : acc / count;
          }
        }
    }
    return [fromF64(xt!.type, [R, C, oh, ow], out)];
  },
  cost: (ctx) => ({ flops: numelOf(ctx.outTypes[0]) * 16, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: {
    type: 'RoiAlign',
    minOpset: 10,
    import(ctx) {
      // RoiAlign-10 had no coordinate_transformation_mode and behaved as output_half_pixel
      if (ctx.opset < 16 && !ctx.node.attrs.coordinate_transformation_mode) {
        ctx.node.attrs.coordinate_transformation_mode = { kind: 'string', value: 'output_half_pixel' };
      }
    },
  },
};

registerOps([roiAlign]);
