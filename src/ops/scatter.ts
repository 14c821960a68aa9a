// Indexed writes: ScatterElements (and its old name Scatter) and ScatterND (with reductions), which exporters emit for
// in-place updates such as KV-cache writes.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis, numel } from '../ir/shape.js';
import { getter, type Scalar, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { checkIndex } from './gather.js';
import { forEachIndex, stridesOf } from './layout.js';
import { bytesOf, checkDType, inType, sameDType } from './util.js';

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'];

function combiner(mode: string): (old: Scalar, v: Scalar) => Scalar {
  switch (mode) {
    case 'add':
      return (a, b) => (typeof a === 'bigint' ? a + (b as bigint) : a + (b as number));
    case 'mul':
      return (a, b) => (typeof a === 'bigint' ? a * (b as bigint) : a * (b as number));
    case 'max':
      return (a, b) => (b > a ? b : a);
    case 'min':
      return (a, b) => (b < a ? b : a);
    case 'none':
      return (_a, b) => b;
    default:
      throw new Error(`reduction '${mode}' is not one of ${REDUCTIONS.join(', ')}`);
  }
}

const scatterElements: OpDef = {
  name: 'nn.ScatterElements',
  inputs: ['data', 'indices', 'updates'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: 0 }, reduction: { kind: 'string', default: 'none' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const ix = inType(ctx, 1, 'indices');
    const u = inType(ctx, 2, 'updates');
    checkDType(ix, ['int32', 'int64'], 'indices');
    sameDType(t, u, 'data and updates');
    if (ix.shape && u.shape && ix.shape.join() !== u.shape.join())
      throw new Error(`updates ${formatType(u)} must have the shape of indices ${formatType(ix)}`);
    combiner(ctx.attrs.string('reduction', 'none'));
    return [{ ...t }];
  },
  run({ inputs: [x, ind, upd], attrs }) {
    const dims = x!.dims;
    const axis = normAxis(attrs.int('axis', 0), dims.length);
    const out = new Tensor(x!.type, x!.data.slice(), dims);
    const f = combiner(attrs.string('reduction', 'none'));
    const strides = stridesOf(dims);
    const get = getter(out),
      set = setter(out),
      gu = getter(upd!);
    forEachIndex(ind!.dims, (idx, flat) => {
      let off = 0;
      for (let k = 0; k < idx.length; k++)
        off += (k === axis ? checkIndex(Number(ind!.data[flat]!), dims[k]!, 'index') : idx[k]!) * strides[k]!;
      set(off, f(get(off), gu(flat)));
    });
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) + 2 * bytesOf(ctx.types[2]) }),
  onnx: { type: 'ScatterElements' },
};

const scatterND: OpDef = {
  name: 'nn.ScatterND',
  inputs: ['data', 'indices', 'updates'],
  outputs: ['output'],
  attrs: { reduction: { kind: 'string', default: 'none' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    checkDType(inType(ctx, 1, 'indices'), ['int64'], 'indices');
    sameDType(t, inType(ctx, 2, 'updates'), 'data and updates');
    combiner(ctx.attrs.string('reduction', 'none'));
    return [{ ...t }];
  },
  run({ inputs: [x, ind, upd], attrs }) {
    const dims = x!.dims;
    const out = new Tensor(x!.type, x!.data.slice(), dims);
    const f = combiner(attrs.string('reduction', 'none'));
    const q = ind!.dims.length;
    const last = ind!.dims[q - 1]!;
    const rows = numel(ind!.dims.slice(0, -1));
    const inner = numel(dims.slice(last));
    const strides = stridesOf(dims);
    const get = getter(out),
      set = setter(out),
      gu = getter(upd!);
    for (let r = 0; r < rows; r++) {
      let off = 0;
      for (let j = 0; j < last; j++)
        off += checkIndex(Number(ind!.data[r * last + j]!), dims[j]!, 'index') * strides[j]!;
      for (let i = 0; i < inner; i++) set(off + i, f(get(off + i), gu(r * inner + i)));
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) + 2 * bytesOf(ctx.types[2]) }),
  onnx: { type: 'ScatterND' },
};

// Scatter (opset 9/10, deprecated in 11) is ScatterElements without a reduction.
const scatterOld: OpDef = {
  ...scatterElements,
  name: 'nn.Scatter',
  attrs: { axis: { kind: 'int', default: 0 } },
  onnx: { type: 'Scatter', minOpset: 9 },
};

registerOps([scatterElements, scatterND, scatterOld]);
