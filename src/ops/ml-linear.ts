// ai.onnx.ml linear models: LinearRegressor (Y = X·Wᵀ + b, one row of W per target) and
// LinearClassifier (scores Z = X·Wᵀ + b, one row per class, post-transformed; labels Y are the
// argmax, or for one score column a threshold between the two class labels: 0 on raw scores,
// 0.5 after LOGISTIC/SOFTMAX, as ONNX Runtime does). Host only.

import type { AttrReader } from '../ir/attributes.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { ML_DOMAIN } from './ml-basic.js';
import { postTransform } from './ml-tree.js';
import { checkDType, inType, numelOf } from './util.js';

const ML_NUMERIC = ['float32', 'float64', 'int64', 'int32'] as const;

/** X [N, C] (or [C], one row) times the rows of `coefficients`, plus `intercepts`. */
function scores(x: Tensor, a: AttrReader, rowsOfW: number, op: string): { n: number; z: Float64Array } {
  const w = a.floats('coefficients'),
    b = a.floats('intercepts', []);
  const c = x.dims[x.dims.length - 1] ?? 1;
  if (w.length !== rowsOfW * c) {
    throw new Error(`${op}: coefficients has ${w.length} values, expected ${rowsOfW} × ${c} (rows × features of X)`);
  }
  if (b.length && b.length !== rowsOfW) throw new Error(`${op}: intercepts has ${b.length} values for ${rowsOfW} rows`);
  const v = toF64(x),
    n = v.length / c,
    z = new Float64Array(n * rowsOfW);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < rowsOfW; k++) {
      let s = b.length ? b[k]! : 0;
      for (let j = 0; j < c; j++) s += v[i * c + j]! * w[k * c + j]!;
      z[i * rowsOfW + k] = s;
    }
  }
  return { n, z };
}

function checkX(t: import('../ir/graph.js').TensorType, op: string) {
  checkDType(t, [...ML_NUMERIC], 'X');
  if (t.shape && t.shape.length > 2) throw new Error(`${op} X ${formatType(t)} must be [C] or [N, C]`);
}

const rowsDim = (t: import('../ir/graph.js').TensorType) =>
  t.shape ? (t.shape.length === 2 ? t.shape[0]! : 1) : undefined;

const linearRegressor: OpDef = {
  name: 'ml.LinearRegressor',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    coefficients: { kind: 'floats' },
    intercepts: { kind: 'floats' },
    post_transform: { kind: 'string', default: 'NONE' },
    targets: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkX(x, 'LinearRegressor');
    const n = rowsDim(x);
    return [{ dtype: 'float32', ...(n !== undefined ? { shape: [n, ctx.attrs.int('targets', 1)] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const targets = attrs.int('targets', 1);
    const { n, z } = scores(x!, attrs, targets, 'LinearRegressor');
    const post = attrs.string('post_transform', 'NONE');
    for (let i = 0; i < n; i++) postTransform(post, z.subarray(i * targets, (i + 1) * targets));
    return [fromF64('float32', [n, targets], z)];
  },
  cost: (ctx) => ({ flops: 2 * numelOf(ctx.types[0]) * ctx.attrs.int('targets', 1), bytes: 0 }),
  onnx: { type: 'LinearRegressor', domain: ML_DOMAIN, minOpset: 1 },
};

function classLabels(a: AttrReader): { strings: boolean; labels: (string | number)[] } {
  const s = a.has('classlabels_strings'),
    i = a.has('classlabels_ints');
  if (s === i) throw new Error('LinearClassifier needs exactly one of classlabels_strings and classlabels_ints');
  return s
    ? { strings: true, labels: a.strings('classlabels_strings') }
    : { strings: false, labels: a.ints('classlabels_ints') };
}

/** Score rows: the intercept count, else coefficients / features. */
function classRows(a: AttrReader, features: number): number {
  const b = a.floats('intercepts', []);
  return b.length || a.floats('coefficients').length / features;
}

const linearClassifier: OpDef = {
  name: 'ml.LinearClassifier',
  inputs: ['X'],
  outputs: ['Y', 'Z'],
  attrs: {
    classlabels_ints: { kind: 'ints' },
    classlabels_strings: { kind: 'strings' },
    coefficients: { kind: 'floats', required: true },
    intercepts: { kind: 'floats' },
    multi_class: { kind: 'int', default: 0 },
    post_transform: { kind: 'string', default: 'NONE' },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkX(x, 'LinearClassifier');
    const { strings, labels } = classLabels(ctx.attrs);
    const c = x.shape?.[x.shape.length - 1];
    const e = typeof c === 'number' ? classRows(ctx.attrs, c) : undefined;
    if (e === 1 && labels.length !== 2) {
      throw new Error(`LinearClassifier with one score column needs 2 class labels, got ${labels.length}`);
    }
    if (e !== undefined && e > 1 && labels.length !== e) {
      throw new Error(`LinearClassifier has ${e} score columns and ${labels.length} class labels`);
    }
    const n = rowsDim(x);
    return [
      { dtype: strings ? 'string' : 'int64', ...(n !== undefined ? { shape: [n] } : {}) },
      { dtype: 'float32', ...(n !== undefined && e !== undefined ? { shape: [n, e] } : {}) },
    ];
  },
  run({ inputs: [x], attrs }) {
    const { strings, labels } = classLabels(attrs);
    const e = classRows(attrs, x!.dims[x!.dims.length - 1] ?? 1);
    const { n, z } = scores(x!, attrs, e, 'LinearClassifier');
    const post = attrs.string('post_transform', 'NONE');
    for (let i = 0; i < n; i++) postTransform(post, z.subarray(i * e, (i + 1) * e));
    const threshold = post === 'NONE' ? 0 : 0.5;
    const picked: (string | number)[] = [];
    for (let i = 0; i < n; i++) {
      if (e === 1) {
        picked.push(labels[z[i]! > threshold ? 1 : 0]!);
        continue;
      }
      let best = 0;
      for (let k = 1; k < e; k++) if (z[i * e + k]! > z[i * e + best]!) best = k;
      picked.push(labels[best]!);
    }
    const y = strings
      ? new Tensor('string', picked as string[], [n])
      : Tensor.from(
          'int64',
          picked.map((v) => BigInt(v)),
          [n],
        );
    return [y, fromF64('float32', [n, e], z)];
  },
  cost: (ctx) => ({ flops: 2 * numelOf(ctx.types[0]) * ((ctx.outTypes[1]?.shape?.[1] as number) ?? 1), bytes: 0 }),
  onnx: { type: 'LinearClassifier', domain: ML_DOMAIN, minOpset: 1 },
};

registerOps([linearRegressor, linearClassifier]);
