// MaxUnpool: the partial inverse of MaxPool. Every value of X goes to the flat position its
// index in I names (MaxPool's Indices: offsets into the whole N x C x spatial tensor); the rest of
// Y is zero. Y's spatial size is (in - 1) * stride + kernel - pad_begin - pad_end, or the
// output_shape input when given (which can undo the rounding of a strided pool); the indices
// then keep their coordinates in the default-sized result, as the ONNX reference places them.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { getter, setter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { bytesOf, checkDType, constInts, FLOATS, inType } from './util.js';

function defaultSpatial(inS: readonly Dim[], attrs: { ints(n: string, d?: number[]): number[] }): Dim[] {
  const n = inS.length;
  const k = attrs.ints('kernel_shape');
  const s = attrs.ints('strides', new Array(n).fill(1));
  const p = attrs.ints('pads', new Array(2 * n).fill(0));
  if (k.length !== n) throw new Error(`kernel_shape [${k}] must have one entry per spatial axis (${n})`);
  return inS.map((d, i) => (typeof d === 'number' ? (d - 1) * s[i]! + k[i]! - p[i]! - p[i + n]! : freshDim('unpool')));
}

const maxUnpool: OpDef = {
  name: 'nn.MaxUnpool',
  inputs: ['X', 'I', 'output_shape?'],
  outputs: ['output'],
  attrs: { kernel_shape: { kind: 'ints', required: true }, pads: { kind: 'ints' }, strides: { kind: 'ints' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    checkDType(inType(ctx, 1, 'I'), ['int64'], 'I');
    if (!x.shape) return [{ dtype: x.dtype }];
    if (x.shape.length < 3) throw new Error(`X ${formatType(x)} must have rank >= 3 (N, C, spatial...)`);
    if (ctx.types[2]) {
      const s = constInts(ctx, 2);
      return [{ dtype: x.dtype, shape: s ?? x.shape.map(() => freshDim('unpool')) }];
    }
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...defaultSpatial(x.shape.slice(2), ctx.attrs)] }];
  },
  run({ inputs: [x, ind, os], attrs }) {
    const dims = os
      ? Array.from(os.data as BigInt64Array, Number)
      : [x!.dims[0]!, x!.dims[1]!, ...(defaultSpatial(x!.dims.slice(2), attrs) as number[])];
    if (dims.length !== x!.dims.length) throw new Error(`output_shape [${dims}] must have the rank of X [${x!.dims}]`);
    if (ind!.size !== x!.size) throw new Error(`I [${ind!.dims}] must have the shape of X [${x!.dims}]`);
    const out = Tensor.zeros(x!.type, dims);
    const get = getter(x!),
      set = setter(out);
    const idx = ind!.data as BigInt64Array;
    // indices address the unpadded result; a larger output_shape keeps each value's coordinates
    const natural = [x!.dims[0]!, x!.dims[1]!, ...(defaultSpatial(x!.dims.slice(2), attrs) as number[])];
    const total = natural.reduce((a, b) => a * b, 1);
    for (let i = 0; i < x!.size; i++) {
      let rest = Number(idx[i]!);
      if (rest < 0 || rest >= total) throw new Error(`index ${rest} in I is outside the unpooled tensor [${natural}]`);
      let at = 0,
        scale = 1;
      for (let a = natural.length - 1; a >= 0; a--) {
        const c = rest % natural[a]!;
        rest = Math.floor(rest / natural[a]!);
        if (c >= dims[a]!) throw new Error(`index ${Number(idx[i]!)} in I falls outside output_shape [${dims}]`);
        at += c * scale;
        scale *= dims[a]!;
      }
      set(at, get(i));
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) * 2 + bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'MaxUnpool', minOpset: 9 },
};

registerOps([maxUnpool]);
