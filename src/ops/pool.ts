// Pooling: MaxPool (with the optional Indices output), AveragePool, LpPool and their global forms.
//
// Windows are described per spatial axis (at most 3, treated as 3-D with leading axes of size 1):
// for every output position along an axis we precompute the input positions its window covers
// inside the input, and how many window positions fall inside the padded input (for
// count_include_pad). A window is then the product of three such lists.

import type { DType } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { type CostContext, type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import type { Dim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, geometry, readWindow, spatialDims, to3, toF64, type Window } from './nn-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const WINDOW_ATTRS = {
  auto_pad: { kind: 'string' as const, default: 'NOTSET' },
  ceil_mode: { kind: 'int' as const, default: 0 },
  dilations: { kind: 'ints' as const },
  kernel_shape: { kind: 'ints' as const, required: true },
  pads: { kind: 'ints' as const },
  strides: { kind: 'ints' as const },
};

const MAXPOOL_TYPES: DType[] = [...FLOATS, 'int8', 'uint8'];

/** Per spatial axis and output position: the covered input positions and the padded-window count. */
interface AxisWindows {
  valid: Int32Array[];
  padded: number[];
}

interface PoolPlan {
  N: number;
  C: number;
  inS: [number, number, number];
  outS: [number, number, number];
  axes: [AxisWindows, AxisWindows, AxisWindows];
  outDims: number[];
  nSpatial: number;
}

function axisWindows(len: number, out: number, k: number, s: number, d: number, pb: number, pe: number): AxisWindows {
  const valid: Int32Array[] = [];
  const padded: number[] = [];
  for (let o = 0; o < out; o++) {
    const start = o * s - pb;
    const v: number[] = [];
    let p = 0;
    for (let j = 0; j < k; j++) {
      const i = start + j * d;
      if (i >= 0 && i < len) v.push(i);
      if (i >= -pb && i < len + pe) p++;
    }
    valid.push(Int32Array.from(v));
    padded.push(p);
  }
  return { valid, padded };
}

function poolPlan(x: Tensor, w: Window): PoolPlan {
  const nS = x.dims.length - 2;
  const [N, C] = x.dims;
  const spatial = x.dims.slice(2);
  const geo = geometry(spatial, w);
  const in3 = to3(spatial, 1);
  const out3 = to3(
    geo.map((g) => g.out),
    1,
  );
  const k3 = to3(w.kernel, 1),
    s3 = to3(w.strides, 1),
    d3 = to3(w.dilations, 1);
  const pb3 = to3(
      geo.map((g) => g.padBegin),
      0,
    ),
    pe3 = to3(
      geo.map((g) => g.padEnd),
      0,
    );
  const ax = (i: number) => axisWindows(in3[i], out3[i], k3[i], s3[i], d3[i], pb3[i], pe3[i]);
  return {
    N,
    C,
    inS: in3,
    outS: out3,
    axes: [ax(0), ax(1), ax(2)],
    outDims: [N, C, ...geo.map((g) => g.out)],
    nSpatial: nS,
  };
}

function checkPoolInput(x: Tensor, what: string): void {
  if (x.dims.length < 3)
    throw new Error(`input X has shape [${x.dims.join(',')}]; ${what} needs rank >= 3 (N, C and spatial axes)`);
  if (x.dims.length > 5)
    throw new Error(`input X has shape [${x.dims.join(',')}]; ${what} supports at most 3 spatial axes`);
}

function windowOf(attrs: InferContext['attrs'], nSpatial: number, withCeil = true): Window {
  return readWindow(attrs, nSpatial, attrs.ints('kernel_shape'), { ceil: withCeil });
}

/** Visit every output position with its three lists of covered positions. */
function eachWindow(
  plan: PoolPlan,
  f: (outIndex: number, plane: number, ld: Int32Array, lh: Int32Array, lw: Int32Array, padCount: number) => void,
): void {
  const [OD, OH, OW] = plan.outS;
  const [aD, aH, aW] = plan.axes;
  const outPlane = OD * OH * OW;
  for (let p = 0; p < plan.N * plan.C; p++) {
    let o = p * outPlane;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          f(o, p, aD.valid[od], aH.valid[oh], aW.valid[ow], aD.padded[od] * aH.padded[oh] * aW.padded[ow]);
        }
      }
    }
  }
}

function inferPool(ctx: InferContext, types: readonly DType[], what: string): TensorType {
  const x = inType(ctx, 0, 'X');
  checkDType(x, types, 'X');
  if (!x.shape) return { dtype: x.dtype };
  if (x.shape.length < 3)
    throw new Error(`input X has shape ${formatType(x)}; ${what} needs rank >= 3 (N, C and spatial axes)`);
  if (x.shape.length > 5)
    throw new Error(`input X has shape ${formatType(x)}; ${what} supports at most 3 spatial axes`);
  const w = windowOf(ctx.attrs, x.shape.length - 2, true);
  return { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...spatialDims(x.shape.slice(2), w)] };
}

function poolCost(ctx: CostContext): { flops: number; bytes: number } {
  const k = ctx.attrs.ints('kernel_shape', []).reduce((a, b) => a * b, 1);
  return {
    flops: numelOf(ctx.outTypes[0]) * k,
    bytes: bytesOf(ctx.types[0]) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0),
  };
}

const maxPool: OpDef = {
  name: 'nn.MaxPool',
  inputs: ['X'],
  outputs: ['Y', 'Indices?'],
  attrs: { ...WINDOW_ATTRS, storage_order: { kind: 'int', default: 0 } },
  infer(ctx) {
    const y = inferPool(ctx, MAXPOOL_TYPES, 'MaxPool');
    const so = ctx.attrs.int('storage_order', 0);
    if (so !== 0 && so !== 1) throw new Error(`storage_order must be 0 (row major) or 1 (column major), got ${so}`);
    return [y, { dtype: 'int64', shape: y.shape }];
  },
  run({ inputs: [x], attrs, node }) {
    const X = x!;
    checkPoolInput(X, 'MaxPool');
    const plan = poolPlan(X, windowOf(attrs, X.dims.length - 2));
    const xv = toF64(X);
    const n = plan.outDims.reduce((a, b) => a * b, 1);
    const y = new Float64Array(n);
    const wantIdx = node.outputs.length > 1 && node.outputs[1] !== null;
    const idx = wantIdx ? new BigInt64Array(n) : undefined;
    const [ID, IH, IW] = plan.inS;
    const inPlane = ID * IH * IW;
    // strides of the flat Indices value: row major, or column major over the real spatial axes
    const colMajor = attrs.int('storage_order', 0) === 1;
    const sp = X.dims.slice(2);
    const cs = plan.nSpatial === 3 ? [1, sp[0], sp[0] * sp[1]] : plan.nSpatial === 2 ? [0, 1, sp[0]] : [0, 0, 1];
    const [sD, sH, sW] = colMajor ? cs : [IH * IW, IW, 1];
    eachWindow(plan, (o, p, ld, lh, lw) => {
      const base = p * inPlane;
      let best = NaN;
      let bi = -1;
      for (let a = 0; a < ld.length; a++) {
        const rd = base + ld[a] * IH * IW;
        for (let b = 0; b < lh.length; b++) {
          const rh = rd + lh[b] * IW;
          for (let c = 0; c < lw.length; c++) {
            const v = xv[rh + lw[c]];
            // first maximum wins; NaN only where every value is NaN
            if (bi < 0 || v > best || (best !== best && v === v)) {
              best = v;
              bi = ld[a] * sD + lh[b] * sH + lw[c] * sW;
            }
          }
        }
      }
      y[o] = bi < 0 ? 0 : best;
      if (idx) idx[o] = BigInt(bi < 0 ? -1 : p * inPlane + bi);
    });
    const out = [fromF64(X.type, plan.outDims, y)];
    if (idx) out.push(new Tensor('int64', idx, plan.outDims));
    return out;
  },
  cost: poolCost,
  onnx: { type: 'MaxPool' },
};

const averagePool: OpDef = {
  name: 'nn.AveragePool',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...WINDOW_ATTRS, count_include_pad: { kind: 'int', default: 0 } },
  infer(ctx) {
    return [inferPool(ctx, FLOATS, 'AveragePool')];
  },
  run({ inputs: [x], attrs }) {
    const X = x!;
    checkPoolInput(X, 'AveragePool');
    const plan = poolPlan(X, windowOf(attrs, X.dims.length - 2));
    const includePad = attrs.int('count_include_pad', 0) !== 0;
    const xv = toF64(X);
    const y = new Float64Array(plan.outDims.reduce((a, b) => a * b, 1));
    const [ID, IH, IW] = plan.inS;
    const inPlane = ID * IH * IW;
    eachWindow(plan, (o, p, ld, lh, lw, padCount) => {
      const base = p * inPlane;
      let sum = 0;
      for (let a = 0; a < ld.length; a++) {
        const rd = base + ld[a] * IH * IW;
        for (let b = 0; b < lh.length; b++) {
          const rh = rd + lh[b] * IW;
          for (let c = 0; c < lw.length; c++) sum += xv[rh + lw[c]];
        }
      }
      y[o] = sum / (includePad ? padCount : ld.length * lh.length * lw.length);
    });
    return [fromF64(X.type, plan.outDims, y)];
  },
  cost: poolCost,
  onnx: { type: 'AveragePool' },
};

/** LpPool-1 carried p as a float; it is an int from LpPool-2. Either is accepted. */
function readP(attrs: InferContext['attrs']): number {
  const p = attrs.float('p', 2);
  if (!(p > 0)) throw new Error(`p must be positive, got ${p}`);
  return p;
}

const lpPool: OpDef = {
  name: 'nn.LpPool',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...WINDOW_ATTRS, p: { kind: 'float', default: 2 } },
  infer(ctx) {
    readP(ctx.attrs);
    return [inferPool(ctx, FLOATS, 'LpPool')];
  },
  run({ inputs: [x], attrs }) {
    const X = x!;
    checkPoolInput(X, 'LpPool');
    const p = readP(attrs);
    const plan = poolPlan(X, windowOf(attrs, X.dims.length - 2));
    const xv = toF64(X);
    const y = new Float64Array(plan.outDims.reduce((a, b) => a * b, 1));
    const [ID, IH, IW] = plan.inS;
    const inPlane = ID * IH * IW;
    eachWindow(plan, (o, pl, ld, lh, lw) => {
      const base = pl * inPlane;
      let sum = 0;
      for (let a = 0; a < ld.length; a++) {
        const rd = base + ld[a] * IH * IW;
        for (let b = 0; b < lh.length; b++) {
          const rh = rd + lh[b] * IW;
          for (let c = 0; c < lw.length; c++) sum += Math.abs(xv[rh + lw[c]]) ** p;
        }
      }
      y[o] = sum ** (1 / p);
    });
    return [fromF64(X.type, plan.outDims, y)];
  },
  cost: poolCost,
  onnx: { type: 'LpPool' },
};

// ---------------------------------------------------------------------------------------------
// Global pooling: one window covering all spatial axes; the output keeps them with size 1.

function globalPool(
  type: string,
  types: DType[],
  reduce: (v: Float64Array, start: number, n: number, attrs: InferContext['attrs']) => number,
  attrs?: OpDef['attrs'],
  check?: (a: InferContext['attrs']) => void,
): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['X'],
    outputs: ['Y'],
    attrs,
    infer(ctx) {
      const x = inType(ctx, 0, 'X');
      checkDType(x, types, 'X');
      check?.(ctx.attrs);
      if (!x.shape) return [{ dtype: x.dtype }];
      if (x.shape.length < 2)
        throw new Error(`input X has shape ${formatType(x)}; ${type} needs rank >= 2 (N, C, spatial axes)`);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map((): Dim => 1)] }];
    },
    run({ inputs: [x], attrs: a }) {
      const X = x!;
      if (X.dims.length < 2) throw new Error(`input X has shape [${X.dims.join(',')}]; ${type} needs rank >= 2`);
      const planes = X.dims[0] * X.dims[1];
      const n = X.dims.slice(2).reduce((p, q) => p * q, 1);
      const xv = toF64(X);
      const y = new Float64Array(planes);
      for (let p = 0; p < planes; p++) y[p] = reduce(xv, p * n, n, a);
      return [fromF64(X.type, [X.dims[0], X.dims[1], ...X.dims.slice(2).map(() => 1)], y)];
    },
    cost: (ctx) => ({ flops: numelOf(ctx.types[0]), bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
    onnx: { type },
  };
}

const globalAveragePool = globalPool('GlobalAveragePool', FLOATS, (v, s, n) => {
  let sum = 0;
  for (let i = s; i < s + n; i++) sum += v[i];
  return sum / n;
});

const globalMaxPool = globalPool('GlobalMaxPool', FLOATS, (v, s, n) => {
  let best = NaN;
  for (let i = s; i < s + n; i++) if (i === s || v[i] > best || (best !== best && v[i] === v[i])) best = v[i];
  return best;
});

const globalLpPool = globalPool(
  'GlobalLpPool',
  FLOATS,
  (v, s, n, a) => {
    const p = readP(a);
    let sum = 0;
    for (let i = s; i < s + n; i++) sum += Math.abs(v[i]) ** p;
    return sum ** (1 / p);
  },
  { p: { kind: 'float', default: 2 } },
  readP,
);

registerOps([maxPool, averagePool, lpPool, globalAveragePool, globalMaxPool, globalLpPool]);
