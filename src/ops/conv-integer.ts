// ConvInteger: int8/uint8 input and weights with zero points, int32 result, on the float64
// convolution kernel (exact for the sums quantized models make).

import type { DType } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { convCost, convForward, convShape, inferConvLike, WINDOW_ATTRS } from './conv.js';
import { fromF64, toF64 } from './nn-util.js';

const INT8ISH: DType[] = ['int8', 'uint8'];

/** Zero point as a per-channel array of length `n` (scalar or 1-element broadcast). */
function zeroPoints(zp: Tensor | undefined, n: number, what: string): Float64Array {
  if (!zp || zp.size === 0) return new Float64Array(n);
  const v = toF64(zp);
  if (v.length === 1) return new Float64Array(n).fill(v[0]);
  if (v.length !== n)
    throw new Error(`${what} has ${v.length} values; it must be a scalar or have ${n} (one per channel)`);
  return v;
}

const convInteger: OpDef = {
  name: 'nn.ConvInteger',
  inputs: ['x', 'w', 'x_zero_point?', 'w_zero_point?'],
  outputs: ['y'],
  attrs: WINDOW_ATTRS,
  infer(ctx) {
    const t = inferConvLike(ctx, 'int32', INT8ISH, false);
    const xz = ctx.types[2],
      wz = ctx.types[3];
    if (xz && xz.dtype !== ctx.types[0]!.dtype)
      throw new Error(`x_zero_point is ${formatType(xz)}; it must have x's element type`);
    if (wz && wz.dtype !== ctx.types[1]!.dtype)
      throw new Error(`w_zero_point is ${formatType(wz)}; it must have w's element type`);
    return [t];
  },
  run({ inputs: [x, w, xz, wz], attrs }) {
    const { shape, outDims } = convShape(x!, w!, attrs, 'ConvInteger');
    const xv = toF64(x!);
    const xzp = zeroPoints(xz, 1, 'x_zero_point');
    if (xzp[0] !== 0) for (let i = 0; i < xv.length; i++) xv[i] -= xzp[0];
    const wv = toF64(w!);
    const wzp = zeroPoints(wz, shape.M, 'w_zero_point');
    const per = wv.length / shape.M;
    for (let m = 0; m < shape.M; m++) for (let i = 0; i < per; i++) wv[m * per + i] -= wzp[m];
    return [fromF64('int32', outDims, convForward(xv, wv, undefined, shape))];
  },
  cost: convCost,
  onnx: { type: 'ConvInteger', minOpset: 10 },
};
registerOps([convInteger]);
