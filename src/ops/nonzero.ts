// NonZero: the int64 coordinates [rank, count] of every non-zero element, row-major (a
// data-dependent output shape). Compress, the other selection by a condition, is in selection.ts.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { getter, Tensor } from '../ir/tensor.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

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

registerOps([nonZero]);
