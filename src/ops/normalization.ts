// Normalizations: InstanceNormalization, LayerNormalization, RMSNormalization, LRN and
// MeanVarianceNormalization, and the lowering of Layer/RMS to k.layernorm
// (BatchNormalization is in normalization-batch.ts).
// Statistics are computed in float64 and results rounded once when stored.

import { type DType, isFloat } from '../ir/dtype.js';
import { type Attr, Node, type TensorType } from '../ir/graph.js';
import { type LowerContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, normAxis } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { withLowering } from './kernel/lowering.js';
import { fromF64, toF64 } from './nn-util.js';
import { broadcastIndex, checkDType, elementwiseCost, FLOATS, inType, sameShape } from './util.js';

export function known(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------
// InstanceNormalization

const instanceNorm: OpDef = {
  name: 'nn.InstanceNormalization',
  inputs: ['input', 'scale', 'B'],
  outputs: ['output'],
  attrs: { epsilon: { kind: 'float', default: 1e-5 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, FLOATS, 'input');
    const C = x.shape?.[1];
    if (x.shape && x.shape.length < 2)
      throw new Error(`input has shape ${formatType(x)}; InstanceNormalization needs N x C x D1 x …`);
    for (const [i, n] of [
      [1, 'scale'],
      [2, 'B'],
    ] as const) {
      const t = inType(ctx, i, n);
      if (t.dtype !== x.dtype)
        throw new Error(`${n} is ${formatType(t)}; it must have the input's element type ${x.dtype}`);
      if (t.shape && (t.shape.length !== 1 || (known(C) && known(t.shape[0]) && t.shape[0] !== C))) {
        throw new Error(`input ${n} has shape ${formatType(t)}; it must be [C] with C = ${C}`);
      }
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs, attrs }) {
    const [x, scale, bias] = inputs as Tensor[];
    const eps = attrs.float('epsilon', 1e-5);
    if (x.dims.length < 2)
      throw new Error(`input has shape [${x.dims.join(',')}]; InstanceNormalization needs N x C x D1 x …`);
    const [N, C] = x.dims;
    const plane = product(x.dims.slice(2));
    if (scale.size !== C || bias.size !== C)
      throw new Error(`scale and B must have C = ${C} elements (got ${scale.size} and ${bias.size})`);
    const xv = toF64(x),
      sv = toF64(scale),
      bv = toF64(bias);
    const y = new Float64Array(xv.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * plane;
        let sum = 0;
        for (let p = 0; p < plane; p++) sum += xv[base + p];
        const mean = sum / plane;
        let sq = 0;
        for (let p = 0; p < plane; p++) {
          const d = xv[base + p] - mean;
          sq += d * d;
        }
        const inv = 1 / Math.sqrt(sq / plane + eps);
        for (let p = 0; p < plane; p++) y[base + p] = (xv[base + p] - mean) * inv * sv[c] + bv[c];
      }
    return [fromF64(x.type, x.dims, y)];
  },
  cost: elementwiseCost(6),
  onnx: {
    type: 'InstanceNormalization',
    import(ctx) {
      ctx.take('consumed_inputs');
    },
  },
};

// ---------------------------------------------------------------------------------------------
// LayerNormalization and RMSNormalization: statistics over the axes from `axis` to the end.

/** stash_type codes: the element type of the statistics. */
function stashDType(code: number): DType {
  switch (code) {
    case 1:
      return 'float32';
    case 10:
      return 'float16';
    case 11:
      return 'float64';
    default:
      throw new Error(`stash_type ${code} is not supported (1 = float, 10 = float16, 11 = double)`);
  }
}

/** The scale/bias input read at every position of X (unidirectional broadcast to X's shape). */
function broadcastTo(t: Tensor, dims: readonly number[], what: string): { v: Float64Array; idx?: Int32Array } {
  if (t.dims.length > dims.length)
    throw new Error(`input ${what} [${t.dims.join(',')}] has a higher rank than X [${dims.join(',')}]`);
  const off = dims.length - t.dims.length;
  t.dims.forEach((d, i) => {
    if (d !== 1 && d !== dims[i + off])
      throw new Error(`input ${what} [${t.dims.join(',')}] does not broadcast to X [${dims.join(',')}]`);
  });
  const v = toF64(t);
  return sameShape(t.dims, dims) ? { v } : { v, idx: broadcastIndex(t.dims, dims) };
}

function checkBroadcastable(t: TensorType, x: TensorType, what: string): void {
  if (!t.shape || !x.shape) return;
  if (t.shape.length > x.shape.length)
    throw new Error(`input ${what} has shape ${formatType(t)}; it must broadcast to X ${formatType(x)}`);
  const off = x.shape.length - t.shape.length;
  t.shape.forEach((d, i) => {
    const e = x.shape![i + off];
    if (known(d) && known(e) && d !== 1 && d !== e)
      throw new Error(`input ${what} has shape ${formatType(t)}; it must broadcast to X ${formatType(x)}`);
  });
}

const layerNorm: OpDef = {
  name: 'nn.LayerNormalization',
  inputs: ['X', 'Scale', 'B?'],
  outputs: ['Y', 'Mean?', 'InvStdDev?'],
  attrs: {
    axis: { kind: 'int', default: -1 },
    epsilon: { kind: 'float', default: 1e-5 },
    stash_type: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    const s = inType(ctx, 1, 'Scale');
    if (s.dtype !== x.dtype) throw new Error(`Scale is ${formatType(s)}; it must have X's element type ${x.dtype}`);
    checkBroadcastable(s, x, 'Scale');
    const b = ctx.types[2];
    if (b) {
      if (b.dtype !== x.dtype) throw new Error(`B is ${formatType(b)}; it must have X's element type ${x.dtype}`);
      checkBroadcastable(b, x, 'B');
    }
    const st = stashDType(ctx.attrs.int('stash_type', 1));
    if (!x.shape) return [{ dtype: x.dtype }, { dtype: st }, { dtype: st }];
    const axis = normAxis(ctx.attrs.int('axis', -1), x.shape.length, 'axis');
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: st, shape: statShape },
      { dtype: st, shape: statShape },
    ];
  },
  run({ inputs: [x, scale, bias], attrs }) {
    const X = x!;
    const axis = normAxis(attrs.int('axis', -1), X.dims.length, 'axis');
    const eps = attrs.float('epsilon', 1e-5);
    const st = stashDType(attrs.int('stash_type', 1));
    const rows = product(X.dims.slice(0, axis));
    const cols = product(X.dims.slice(axis));
    const xv = toF64(X);
    const S = broadcastTo(scale!, X.dims, 'Scale');
    const B = bias ? broadcastTo(bias, X.dims, 'B') : undefined;
    const y = new Float64Array(xv.length);
    const meanOut = new Float64Array(rows),
      invOut = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += xv[base + j];
      const mean = sum / cols;
      let sq = 0;
      for (let j = 0; j < cols; j++) {
        const d = xv[base + j] - mean;
        sq += d * d;
      }
      const inv = 1 / Math.sqrt(sq / cols + eps);
      meanOut[r] = mean;
      invOut[r] = inv;
      for (let j = 0; j < cols; j++) {
        const i = base + j;
        let v = (xv[i] - mean) * inv * S.v[S.idx ? S.idx[i] : i];
        if (B) v += B.v[B.idx ? B.idx[i] : i];
        y[i] = v;
      }
    }
    const statDims = X.dims.map((d, i) => (i < axis ? d : 1));
    return [fromF64(X.type, X.dims, y), fromF64(st, statDims, meanOut), fromF64(st, statDims, invOut)];
  },
  cost: elementwiseCost(8),
  onnx: { type: 'LayerNormalization', minOpset: 17 },
};

const rmsNorm: OpDef = {
  name: 'nn.RMSNormalization',
  inputs: ['X', 'scale'],
  outputs: ['Y'],
  attrs: {
    axis: { kind: 'int', default: -1 },
    epsilon: { kind: 'float', default: 1e-5 },
    stash_type: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    const s = inType(ctx, 1, 'scale');
    checkDType(s, FLOATS, 'scale');
    checkBroadcastable(s, x, 'scale');
    stashDType(ctx.attrs.int('stash_type', 1));
    if (x.shape) normAxis(ctx.attrs.int('axis', -1), x.shape.length, 'axis');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x, scale], attrs }) {
    const X = x!;
    const axis = normAxis(attrs.int('axis', -1), X.dims.length, 'axis');
    const eps = attrs.float('epsilon', 1e-5);
    const rows = product(X.dims.slice(0, axis));
    const cols = product(X.dims.slice(axis));
    const xv = toF64(X);
    const S = broadcastTo(scale!, X.dims, 'scale');
    const y = new Float64Array(xv.length);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sq = 0;
      for (let j = 0; j < cols; j++) sq += xv[base + j] * xv[base + j];
      const inv = 1 / Math.sqrt(sq / cols + eps);
      for (let j = 0; j < cols; j++) {
        const i = base + j;
        y[i] = xv[i] * inv * S.v[S.idx ? S.idx[i] : i];
      }
    }
    return [fromF64(X.type, X.dims, y)];
  },
  cost: elementwiseCost(4),
  onnx: { type: 'RMSNormalization', minOpset: 23 },
};

// ---------------------------------------------------------------------------------------------
// LRN: y = x / (bias + alpha/size * sum of x^2 over the neighbouring channels)^beta

const lrn: OpDef = {
  name: 'nn.LRN',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    alpha: { kind: 'float', default: 1e-4 },
    beta: { kind: 'float', default: 0.75 },
    bias: { kind: 'float', default: 1 },
    size: { kind: 'int', required: true },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    if (x.shape && x.shape.length < 2) throw new Error(`input X has shape ${formatType(x)}; LRN needs N x C x D1 x …`);
    const size = ctx.attrs.int('size');
    if (size < 1) throw new Error(`size must be >= 1, got ${size}`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x], attrs }) {
    const X = x!;
    const alpha = attrs.float('alpha', 1e-4),
      beta = attrs.float('beta', 0.75),
      bias = attrs.float('bias', 1);
    const size = attrs.int('size');
    if (X.dims.length < 2) throw new Error(`input X has shape [${X.dims.join(',')}]; LRN needs N x C x D1 x …`);
    const [N, C] = X.dims;
    const plane = product(X.dims.slice(2));
    const before = Math.floor((size - 1) / 2),
      after = Math.ceil((size - 1) / 2);
    const xv = toF64(X);
    const y = new Float64Array(xv.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const lo = Math.max(0, c - before),
          hi = Math.min(C - 1, c + after);
        for (let p = 0; p < plane; p++) {
          let sq = 0;
          for (let k = lo; k <= hi; k++) {
            const v = xv[(n * C + k) * plane + p];
            sq += v * v;
          }
          const i = (n * C + c) * plane + p;
          y[i] = xv[i] / (bias + (alpha / size) * sq) ** beta;
        }
      }
    return [fromF64(X.type, X.dims, y)];
  },
  cost: (ctx) => elementwiseCost(2 * ctx.attrs.int('size', 1) + 4)(ctx),
  onnx: { type: 'LRN' },
};

// ---------------------------------------------------------------------------------------------
// MeanVarianceNormalization: (X - mean) / (sqrt(E[X^2] - mean^2) + 1e-9) over `axes`.

const mvn: OpDef = {
  name: 'nn.MeanVarianceNormalization',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { axes: { kind: 'ints', default: [0, 2, 3] } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    if (x.shape) {
      const axes = ctx.attrs.ints('axes', [0, 2, 3]).map((a) => normAxis(a, x.shape!.length, 'axes entry'));
      if (new Set(axes).size !== axes.length) throw new Error(`axes [${axes.join(',')}] repeats an axis`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x], attrs }) {
    const X = x!;
    const r = X.dims.length;
    const axes = new Set(attrs.ints('axes', [0, 2, 3]).map((a) => normAxis(a, r, 'axes entry')));
    // reduced shape: reduced axes become 1; each element maps to its group through broadcastIndex
    const groupDims = X.dims.map((d, i) => (axes.has(i) ? 1 : d));
    const groups = product(groupDims);
    const gi = broadcastIndex(groupDims, X.dims);
    const xv = toF64(X);
    const count = product(X.dims) / Math.max(1, groups);
    const s1 = new Float64Array(groups),
      s2 = new Float64Array(groups);
    for (let i = 0; i < xv.length; i++) {
      s1[gi[i]] += xv[i];
      s2[gi[i]] += xv[i] * xv[i];
    }
    const mean = s1.map((s) => s / count);
    const std = s2.map((s, g) => Math.sqrt(s / count - mean[g] * mean[g]));
    const y = new Float64Array(xv.length);
    for (let i = 0; i < xv.length; i++) y[i] = (xv[i] - mean[gi[i]]) / (std[gi[i]] + 1e-9);
    return [fromF64(X.type, X.dims, y)];
  },
  cost: elementwiseCost(6),
  onnx: { type: 'MeanVarianceNormalization', minOpset: 9 },
};

/** Layer and RMS normalization (no extra outputs, float statistics) become k.layernorm. */
function lowerLayerNorm({ node: n, attrs: a }: LowerContext): Node | undefined {
  const x = n.inputs[0]?.type;
  if (!x?.shape || !isFloat(x.dtype) || n.outputs.slice(1).some((o) => o) || a.int('stash_type', 1) !== 1)
    return undefined;
  const rms = n.op === 'nn.RMSNormalization';
  const attrs: Record<string, Attr> = {
    axis: { kind: 'int', value: normAxis(a.int('axis', -1), x.shape.length) },
    epsilon: { kind: 'float', value: a.float('epsilon', 1e-5) },
    rms: { kind: 'int', value: rms ? 1 : 0 },
  };
  return new Node('k.layernorm', n.inputs.slice(0, rms ? 2 : 3), [n.outputs[0]!], attrs, n.name);
}

registerOps(
  withLowering([instanceNorm, layerNorm, rmsNorm, lrn, mvn], {
    'nn.LayerNormalization': { lower: lowerLayerNorm, lowersTo: ['k.layernorm'] },
    'nn.RMSNormalization': { lower: lowerLayerNorm, lowersTo: ['k.layernorm'] },
  }),
);
