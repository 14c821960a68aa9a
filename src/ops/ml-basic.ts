// ai.onnx.ml element maps of scikit-learn pipelines: Binarizer (x > threshold), ArrayFeatureExtractor
// (pick columns of the last axis), LabelEncoder (a key → value table over strings or numbers, opset
// 2-4 attribute forms and the opset-4 tensor form), Scaler ((x - offset) · scale per column) and
// Normalizer (MAX, L1 or L2 per row). They run on the host; kernel backends place them on the
// reference path.

import type { DType } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, elementwiseCost, inType } from './util.js';

export const ML_DOMAIN = 'ai.onnx.ml';
const ML_NUMERIC: DType[] = ['float32', 'float64', 'int64', 'int32'];

const binarizer: OpDef = {
  name: 'ml.Binarizer',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { threshold: { kind: 'float', default: 0 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ML_NUMERIC, 'X');
    return [{ ...x }];
  },
  run({ inputs: [x], attrs }) {
    const t = attrs.float('threshold', 0);
    const v = toF64(x!);
    return [
      fromF64(
        x!.type,
        x!.dims,
        v.map((e) => (e > t ? 1 : 0)),
      ),
    ];
  },
  cost: elementwiseCost(1),
  onnx: { type: 'Binarizer', domain: ML_DOMAIN, minOpset: 1 },
};

/** The output shape rule of the reference: a 1-D X gives [1, k]; otherwise X's leading axes and k. */
function extractedShape(x: readonly (number | string)[], k: number): (number | string)[] {
  return x.length <= 1 ? [1, k] : [...x.slice(0, -1), k];
}

const arrayFeatureExtractor: OpDef = {
  name: 'ml.ArrayFeatureExtractor',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      y = inType(ctx, 1, 'Y');
    checkDType(x, [...ML_NUMERIC, 'string'], 'X');
    checkDType(y, ['int64'], 'Y');
    const k = y.shape?.reduce<number | undefined>(
      (a, d) => (typeof d === 'number' && a !== undefined ? a * d : undefined),
      1,
    );
    if (!x.shape || k === undefined) return [{ dtype: x.dtype }];
    return [{ dtype: x.dtype, shape: extractedShape(x.shape, k) as TensorType['shape'] & object }];
  },
  run({ inputs: [x, y] }) {
    const idx = Array.from(y!.data as BigInt64Array, Number);
    const last = x!.dims[x!.dims.length - 1] ?? 1;
    for (const i of idx) {
      if (i < 0 || i >= last) throw new Error(`index ${i} is out of range for the last axis of X [${x!.dims}]`);
    }
    const rows = x!.size / last;
    const src = x!.type === 'string' ? (x!.data as string[]) : Array.from(x!.data as ArrayLike<number | bigint>);
    const out: (string | number | bigint)[] = [];
    for (let r = 0; r < rows; r++) for (const i of idx) out.push(src[r * last + i]!);
    const dims = extractedShape(x!.dims, idx.length) as number[];
    if (x!.type === 'string') return [new Tensor('string', out as string[], dims)];
    return [Tensor.from(x!.type, out as (number | bigint)[], dims)];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'ArrayFeatureExtractor', domain: ML_DOMAIN, minOpset: 1 },
};

const elements = (t: Tensor): (string | number | bigint)[] =>
  t.type === 'string' ? (t.data as string[]) : Array.from(t.data as ArrayLike<number | bigint>);

// LabelEncoder: keys and values come from one of *_tensor, *_strings, *_int64s, *_floats.
type Table = { dtype: DType; items: (string | number | bigint)[] };

function readTable(attrs: import('../ir/attributes.js').AttrReader, side: 'keys' | 'values'): Table {
  const found: Table[] = [];
  const t = attrs.optTensor(`${side}_tensor`);
  if (t) found.push({ dtype: t.type, items: elements(t) });
  if (attrs.has(`${side}_strings`)) found.push({ dtype: 'string', items: attrs.strings(`${side}_strings`) });
  if (attrs.has(`${side}_int64s`)) found.push({ dtype: 'int64', items: attrs.ints(`${side}_int64s`) });
  if (attrs.has(`${side}_floats`)) found.push({ dtype: 'float32', items: attrs.floats(`${side}_floats`) });
  if (found.length !== 1) {
    throw new Error(
      `LabelEncoder needs exactly one of ${side}_tensor, ${side}_strings, ${side}_int64s, ` +
        `${side}_floats; got ${found.length}`,
    );
  }
  return found[0]!;
}

/** One lookup key for a string or a number of any width: 3, 3n and 3.0 meet; NaN matches NaN. */
const keyOf = (v: string | number | bigint, isString: boolean) => (isString ? `s${v as string}` : `n${String(v)}`);

function defaultValue(attrs: import('../ir/attributes.js').AttrReader, dtype: DType): string | number | bigint {
  const t = attrs.optTensor('default_tensor');
  if (t) {
    if (t.size !== 1) throw new Error(`LabelEncoder default_tensor must hold one element, got [${t.dims}]`);
    if (t.type !== dtype) throw new Error(`LabelEncoder default_tensor is ${t.type}, the values are ${dtype}`);
    return t.type === 'string' ? (t.data as string[])[0]! : (t.data as ArrayLike<number | bigint>)[0]!;
  }
  if (dtype === 'string') return attrs.string('default_string', '_Unused');
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'float16') return attrs.float('default_float', -0);
  return dtype === 'int64' ? BigInt(attrs.int('default_int64', -1)) : attrs.int('default_int64', -1);
}

const labelEncoder: OpDef = {
  name: 'ml.LabelEncoder',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    keys_tensor: { kind: 'tensor' },
    keys_strings: { kind: 'strings' },
    keys_int64s: { kind: 'ints' },
    keys_floats: { kind: 'floats' },
    values_tensor: { kind: 'tensor' },
    values_strings: { kind: 'strings' },
    values_int64s: { kind: 'ints' },
    values_floats: { kind: 'floats' },
    default_tensor: { kind: 'tensor' },
    default_string: { kind: 'string', default: '_Unused' },
    default_int64: { kind: 'int', default: -1 },
    default_float: { kind: 'float', default: -0 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const keys = readTable(ctx.attrs, 'keys'),
      values = readTable(ctx.attrs, 'values');
    if (keys.items.length !== values.items.length) {
      throw new Error(`LabelEncoder has ${keys.items.length} keys and ${values.items.length} values`);
    }
    if ((keys.dtype === 'string') !== (x.dtype === 'string')) {
      throw new Error(`LabelEncoder keys are ${keys.dtype}, X is ${formatType(x)}`);
    }
    defaultValue(ctx.attrs, values.dtype);
    return [{ dtype: values.dtype, ...(x.shape ? { shape: [...x.shape] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const keys = readTable(attrs, 'keys'),
      values = readTable(attrs, 'values');
    const isStr = x!.type === 'string';
    const table = new Map<string, string | number | bigint>();
    keys.items.forEach((k, i) => table.set(keyOf(k, isStr), values.items[i]!));
    const def = defaultValue(attrs, values.dtype);
    const src = isStr ? (x!.data as string[]) : Array.from(x!.data as ArrayLike<number | bigint>);
    const out = src.map((v) => table.get(keyOf(v, isStr)) ?? def);
    if (values.dtype === 'string') return [new Tensor('string', out as string[], x!.dims)];
    if (values.dtype === 'int64' || values.dtype === 'uint64') {
      return [
        Tensor.from(
          values.dtype,
          out.map((v) => BigInt(v)),
          x!.dims,
        ),
      ];
    }
    return [fromF64(values.dtype, x!.dims, Float64Array.from(out, Number))];
  },
  cost: elementwiseCost(1),
  onnx: { type: 'LabelEncoder', domain: ML_DOMAIN, minOpset: 1 },
};

const scaler: OpDef = {
  name: 'ml.Scaler',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { offset: { kind: 'floats', default: [] }, scale: { kind: 'floats', default: [] } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ML_NUMERIC, 'X');
    return [{ dtype: 'float32', ...(x.shape ? { shape: [...x.shape] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const offset = attrs.floats('offset', []),
      scale = attrs.floats('scale', []);
    const c = x!.dims[x!.dims.length - 1] ?? 1;
    for (const [name, a] of [
      ['offset', offset],
      ['scale', scale],
    ] as const) {
      if (a.length > 1 && a.length !== c) throw new Error(`Scaler ${name} has ${a.length} values for ${c} columns`);
    }
    const pick = (a: number[], j: number, def: number) => (a.length === 0 ? def : a.length === 1 ? a[0]! : a[j]!);
    const v = toF64(x!);
    return [
      fromF64(
        'float32',
        x!.dims,
        v.map((e, i) => (e - pick(offset, i % c, 0)) * pick(scale, i % c, 1)),
      ),
    ];
  },
  cost: elementwiseCost(2),
  onnx: { type: 'Scaler', domain: ML_DOMAIN, minOpset: 1 },
};

const normalizer: OpDef = {
  name: 'ml.Normalizer',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { norm: { kind: 'string', default: 'MAX' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ML_NUMERIC, 'X');
    const norm = ctx.attrs.string('norm', 'MAX');
    if (!['MAX', 'L1', 'L2'].includes(norm)) throw new Error(`Normalizer norm '${norm}' must be MAX, L1 or L2`);
    if (x.shape && x.shape.length > 2) throw new Error(`Normalizer X ${formatType(x)} must be [C] or [N,C]`);
    return [{ dtype: 'float32', ...(x.shape ? { shape: [...x.shape] } : {}) }];
  },
  run({ inputs: [x], attrs }) {
    const norm = attrs.string('norm', 'MAX');
    const c = x!.dims[x!.dims.length - 1] ?? 1;
    const v = toF64(x!),
      out = new Float64Array(v.length);
    for (let r = 0; r < v.length / c; r++) {
      const row = v.subarray(r * c, (r + 1) * c);
      let d = 0;
      if (norm === 'MAX') d = row.reduce((a, e) => Math.max(a, e), -Infinity);
      else if (norm === 'L1') d = row.reduce((a, e) => a + Math.abs(e), 0);
      else d = Math.sqrt(row.reduce((a, e) => a + e * e, 0));
      // an all-zero row stays zero rather than becoming NaN
      for (let j = 0; j < c; j++) out[r * c + j] = d === 0 ? row[j]! : row[j]! / d;
    }
    return [fromF64('float32', x!.dims, out)];
  },
  cost: elementwiseCost(3),
  onnx: { type: 'Normalizer', domain: ML_DOMAIN, minOpset: 1 },
};

registerOps([binarizer, arrayFeatureExtractor, labelEncoder, scaler, normalizer]);
