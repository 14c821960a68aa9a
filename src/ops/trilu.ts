// Trilu: keep the upper (upper=1) or lower (upper=0) triangle of the last two dims of every
// matrix in a batch, zeroing the rest. The optional int64 scalar k shifts the diagonal: upper
// keeps j - i >= k, lower keeps j - i <= k. Any k is valid (beyond the matrix: all or nothing).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { scalarInt } from './math-util.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

const trilu: OpDef = {
  name: 'nn.Trilu',
  inputs: ['input', 'k?'],
  outputs: ['output'],
  attrs: { upper: { kind: 'int', default: 1 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, ALL, 'input');
    if (x.shape && x.shape.length < 2) throw new Error(`input ${formatType(x)} must have rank >= 2`);
    const k = ctx.types[1];
    if (k) {
      checkDType(k, ['int64'], 'k');
      if (k.shape && !(k.shape.length === 0 || (k.shape.length === 1 && k.shape[0] === 1)))
        throw new Error(`k ${formatType(k)} must be a scalar`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [xt, kt], attrs }) {
    const x = xt!;
    const r = x.dims.length;
    if (r < 2) throw new Error(`input must have rank >= 2, got [${x.dims.join(',')}]`);
    const k = kt ? scalarInt(kt, 'k') : 0;
    const upper = attrs.int('upper', 1) !== 0;
    const R = x.dims[r - 2]!,
      C = x.dims[r - 1]!;
    const out = Tensor.zeros(x.type, x.dims);
    const src = x.data as Float64Array,
      dst = out.data as Float64Array; // same-typed: copies are exact
    const mats = R * C === 0 ? 0 : x.size / (R * C);
    for (let m = 0; m < mats; m++) {
      const base = m * R * C;
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < C; j++) {
          if (upper ? j - i >= k : j - i <= k) dst[base + i * C + j] = src[base + i * C + j]!;
        }
      }
    }
    return [out];
  },
  cost(ctx) {
    return { flops: 0, bytes: bytesOf(ctx.types[0]) * 2 };
  },
  onnx: { type: 'Trilu', minOpset: 14 },
};

registerOps([trilu]);
