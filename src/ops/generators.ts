// Ops that make tensors: Constant, ConstantOfShape, Range, EyeLike, plus the pass-through ops
// exporters emit around them (Identity; Dropout has its own file).

import { dtypeFromOnnx, isBig } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { getter, setter, Tensor, toIntArray } from '../ir/tensor.js';
import { $0, mapLowering, withLowering } from './kernel/lowering.js';
import { checkDType, constInts, elementwiseCost, inType } from './util.js';

const constant: OpDef = {
  name: 'nn.Constant',
  inputs: [],
  outputs: ['output'],
  attrs: { value: { kind: 'tensor', required: true } },
  infer(ctx) {
    const t = ctx.attrs.tensor('value');
    return [{ dtype: t.type, shape: [...t.dims] }];
  },
  run: ({ attrs }) => [attrs.tensor('value')],
  cost: () => ({ flops: 0, bytes: 0 }),
  onnx: {
    type: 'Constant',
    // value_float(s)/value_int(s) (opset 12) become the canonical `value` tensor.
    import(ctx) {
      const a = ctx.node.attrs;
      const set = (t: Tensor) => {
        ctx.node.attrs = { value: { kind: 'tensor', value: t } };
      };
      if (a.value_float?.kind === 'float' || a.value_float?.kind === 'int')
        set(Tensor.from('float32', [a.value_float.value], []));
      else if (a.value_floats?.kind === 'floats' || a.value_floats?.kind === 'ints')
        set(Tensor.from('float32', a.value_floats.value));
      else if (a.value_int?.kind === 'int') set(Tensor.from('int64', [BigInt(a.value_int.value)], []));
      else if (a.value_ints?.kind === 'ints') set(Tensor.from('int64', a.value_ints.value.map(BigInt)));
      else if (a.value_string || a.value_strings) throw new Error('string constants are not supported');
      else if (a.sparse_value) throw new Error('sparse constants are not supported');
    },
  },
};

const constantOfShape: OpDef = {
  name: 'nn.ConstantOfShape',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { value: { kind: 'tensor' } },
  infer(ctx) {
    const s = inType(ctx, 0, 'input');
    checkDType(s, ['int64'], 'input');
    const v = ctx.attrs.optTensor('value');
    if (v && v.size !== 1) throw new Error(`value must hold exactly one element, it has ${v.size}`);
    const dtype = v?.type ?? 'float32';
    const dims = constInts(ctx, 0);
    if (dims) {
      if (dims.some((d) => d < 0)) throw new Error(`input shape [${dims.join(',')}] has a negative dim`);
      return [{ dtype, shape: dims }];
    }
    const n = s.shape?.[0];
    return [{ dtype, shape: typeof n === 'number' ? Array.from({ length: n }, () => freshDim('cos')) : undefined }];
  },
  run({ inputs: [s], attrs }) {
    const v = attrs.optTensor('value') ?? Tensor.from('float32', [0], [1]);
    const dims = toIntArray(s!);
    const out = Tensor.zeros(v.type, dims);
    const x = getter(v)(0);
    const set = setter(out);
    for (let i = 0; i < out.size; i++) set(i, x);
    return [out];
  },
  cost: elementwiseCost(0),
  onnx: { type: 'ConstantOfShape' },
};

const range: OpDef = {
  name: 'nn.Range',
  inputs: ['start', 'limit', 'delta'],
  outputs: ['output'],
  infer(ctx) {
    const t = inType(ctx, 0, 'start');
    checkDType(t, ['float32', 'float64', 'int16', 'int32', 'int64'], 'start');
    for (const i of [1, 2]) {
      const u = inType(ctx, i);
      if (u.dtype !== t.dtype) throw new Error(`start, limit and delta must have one type (${t.dtype} vs ${u.dtype})`);
    }
    if (ctx.consts.every((c) => c)) return [{ dtype: t.dtype, shape: [rangeLength(ctx.consts as Tensor[])] }];
    return [{ dtype: t.dtype, shape: [freshDim('range')] }];
  },
  run({ inputs }) {
    const [s, l, d] = inputs as Tensor[];
    const n = rangeLength([s!, l!, d!]);
    const out = Tensor.zeros(s!.type, [n]);
    if (isBig(s!.type)) {
      const a = s!.data[0] as bigint,
        st = d!.data[0] as bigint;
      const o = out.data as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = a + BigInt(i) * st;
    } else {
      const a = Number(s!.data[0]),
        st = Number(d!.data[0]);
      const set = setter(out);
      for (let i = 0; i < n; i++) set(i, a + i * st);
    }
    return [out];
  },
  cost: elementwiseCost(1),
  onnx: { type: 'Range' },
};

/** max(ceil((limit - start) / delta), 0), exact for 64-bit integers. */
function rangeLength([s, l, d]: Tensor[]): number {
  if (isBig(s!.type)) {
    const a = s!.data[0] as bigint,
      b = l!.data[0] as bigint,
      st = d!.data[0] as bigint;
    if (st === 0n) throw new Error('delta must not be 0');
    const span = b - a;
    const q = span / st + (span % st !== 0n && span > 0n === st > 0n ? 1n : 0n);
    return q > 0n ? Number(q) : 0;
  }
  const a = Number(s!.data[0]),
    b = Number(l!.data[0]),
    st = Number(d!.data[0]);
  if (st === 0) throw new Error('delta must not be 0');
  return Math.max(Math.ceil((b - a) / st), 0);
}

const identity: OpDef = {
  name: 'nn.Identity',
  inputs: ['input'],
  outputs: ['output'],
  infer: (ctx) => [{ ...inType(ctx, 0, 'input') }],
  run: ({ inputs: [x] }) => [x!],
  // Identity passes any value through (sequences and optionals since opset 14/16)
  values: true,
  runValues: ({ inputs: [x] }) => [x!],
  cost: () => ({ flops: 0, bytes: 0 }),
  onnx: { type: 'Identity' },
};

const eyeLike: OpDef = {
  name: 'nn.EyeLike',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { dtype: { kind: 'int' }, k: { kind: 'int', default: 0 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    if (t.shape && t.shape.length !== 2) throw new Error('input must be 2-D');
    const dtype = ctx.attrs.has('dtype') ? dtypeFromOnnx(ctx.attrs.int('dtype')) : t.dtype;
    return [{ dtype, shape: t.shape as Dim[] | undefined }];
  },
  run({ inputs: [x], attrs }) {
    const dtype = attrs.has('dtype') ? dtypeFromOnnx(attrs.int('dtype')) : x!.type;
    const [r, c] = x!.dims as [number, number];
    const out = Tensor.zeros(dtype, [r, c]);
    const set = setter(out);
    const k = attrs.int('k', 0);
    for (let i = 0; i < r; i++) {
      const j = i + k;
      if (j >= 0 && j < c) set(i * c + j, 1);
    }
    return [out];
  },
  cost: elementwiseCost(0),
  onnx: { type: 'EyeLike' },
};

/** Identity as a k.map, so that it fuses into its neighbours' chains. */
const LOWER = { 'nn.Identity': mapLowering(() => $0) };

registerOps(withLowering([constant, constantOfShape, range, identity, eyeLike], LOWER));
