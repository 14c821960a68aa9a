// Selection by a condition, with data-dependent output shapes: Compress (the slices of an axis
// whose condition entry is true; the flattened input when no axis is given; a condition shorter
// than the axis selects only among its length) and NonZero (the int64 coordinates [rank, count] of
// every non-zero element, row-major).

import { registerOps, type OpDef } from '../ir/op-def.js';
import { freshDim, normAxis } from '../ir/shape.js';
import { Tensor, getter, setter } from '../ir/tensor.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

const compress: OpDef = {
  name: 'nn.Compress',
  inputs: ['input', 'condition'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(inType(ctx, 1, 'condition'), ['bool'], 'condition');
    if (!ctx.attrs.has('axis')) return [{ dtype: x.dtype, shape: [freshDim('selected')] }];
    if (!x.shape) return [{ dtype: x.dtype }];
    const axis = normAxis(ctx.attrs.int('axis'), x.shape.length);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? freshDim('selected') : d)) }];
  },
  run({ inputs: [x, c], attrs }) {
    const cond = c!.data as Uint8Array;
    const dims = attrs.has('axis') ? x!.dims : [x!.size];
    const axis = attrs.has('axis') ? normAxis(attrs.int('axis'), dims.length) : 0;
    const len = dims[axis]!;
    if (cond.length > len)
      throw new Error(`condition has ${cond.length} entries, more than the ${len} of axis ${axis}`);
    const keep: number[] = [];
    for (let i = 0; i < cond.length; i++) if (cond[i]) keep.push(i);
    const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const outDims = dims.map((d, i) => (i === axis ? keep.length : d));
    const out = Tensor.zeros(x!.type, outDims);
    const get = getter(x!),
      set = setter(out);
    let k = 0;
    for (let o = 0; o < outer; o++)
      for (const j of keep) for (let i = 0; i < inner; i++) set(k++, get((o * len + j) * inner + i));
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) }),
  onnx: { type: 'Compress', minOpset: 9 },
};

const nonZero: OpDef = {
  name: 'nn.NonZero',
  inputs: ['X'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, ALL, 'X');
    return [{ dtype: 'int64', shape: [x.shape ? x.shape.length : freshDim('rank'), freshDim('nonzero')] }];
  },
  run({ inputs: [x] }) {
    const dims = x!.dims,
      r = dims.length;
    const get = getter(x!);
    const hits: number[] = [];
    for (let i = 0; i < x!.size; i++) {
      const v = get(i);
      if (v !== 0 && v !== 0n) hits.push(i);
    }
    const out = new BigInt64Array(r * hits.length);
    hits.forEach((flat, j) => {
      for (let a = r - 1; a >= 0; a--) {
        out[a * hits.length + j] = BigInt(flat % dims[a]!);
        flat = Math.floor(flat / dims[a]!);
      }
    });
    return [new Tensor('int64', out, [r, hits.length])];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) }),
  onnx: { type: 'NonZero', minOpset: 9 },
};

registerOps([compress, nonZero]);
