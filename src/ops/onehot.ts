// OneHot: indices [...] -> [..., depth, ...] (the new axis at `axis`, default last) holding
// values[1] where the index matches and values[0] elsewhere. Negative indices count from depth;
// indices outside [-depth, depth - 1] give an all-off row. depth is a scalar of any numeric type.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { slots } from './layout.js';
import { toF64 } from './math-util.js';
import { ALL, checkDType, inType, NUMERIC, numelOf } from './util.js';

function depthOf(t: Tensor): number {
  if (t.size !== 1) throw new Error(`depth must hold one value, got shape [${t.dims.join(',')}]`);
  const d = Math.trunc(toF64(t)[0]!);
  if (!(d > 0)) throw new Error(`depth ${d} must be positive`);
  return d;
}

const oneHot: OpDef = {
  name: 'nn.OneHot',
  inputs: ['indices', 'depth', 'values'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: -1 } },
  infer(ctx) {
    const ind = inType(ctx, 0, 'indices');
    const depth = inType(ctx, 1, 'depth');
    const values = inType(ctx, 2, 'values');
    checkDType(ind, NUMERIC, 'indices');
    checkDType(depth, NUMERIC, 'depth');
    checkDType(values, ALL, 'values');
    const pair = values.shape?.length === 1 && (values.shape[0] === 2 || typeof values.shape[0] === 'string');
    if (values.shape && !pair) {
      throw new Error(`values ${formatType(values)} must hold two values [off, on]`);
    }
    if (!ind.shape) return [{ dtype: values.dtype }];
    const axis = normAxis(ctx.attrs.int('axis', -1), ind.shape.length + 1, 'axis');
    const shape = [...ind.shape];
    shape.splice(axis, 0, ctx.consts[1] ? depthOf(ctx.consts[1]) : freshDim('depth'));
    return [{ dtype: values.dtype, shape }];
  },
  run({ inputs: [it, dt, vt], attrs }) {
    const ind = toF64(it!);
    const depth = depthOf(dt!);
    const values = vt!;
    if (values.size !== 2) throw new Error(`values must hold two values [off, on], got ${values.size}`);
    const axis = normAxis(attrs.int('axis', -1), it!.dims.length + 1, 'axis');
    const outer = it!.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = it!.dims.slice(axis).reduce((a, b) => a * b, 1);
    const dims = [...it!.dims];
    dims.splice(axis, 0, depth);
    const out = Tensor.zeros(values.type, dims);
    const v = slots(values.data),
      o = slots(out.data);
    const off = v[0]!,
      on = v[1]!;
    for (let i = 0; i < out.size; i++) o[i] = off;
    for (let a = 0; a < outer; a++) {
      for (let b = 0; b < inner; b++) {
        let k = Math.trunc(ind[a * inner + b]!);
        if (k < 0) k += depth;
        if (k >= 0 && k < depth) o[(a * depth + k) * inner + b] = on;
      }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: numelOf(ctx.outTypes[0]), bytes: numelOf(ctx.outTypes[0]) * 4 }),
  onnx: { type: 'OneHot', minOpset: 9 },
};

registerOps([oneHot]);
