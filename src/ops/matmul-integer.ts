// MatMulInteger: int8/uint8 operands with zero points (per tensor, per row of A or per column of
// B), int32 result, on the wrapping int32 reference kernel.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatDims } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { batchedMatMul, matmulCost, matmulShape } from './matmul.js';
import { broadcastDims, broadcastIndex, checkDType, inType, sameDType } from './util.js';

/**
 * x - zero_point as int32, with the zero point per tensor (one element), per row of A (a 1-D
 * vector of length M, `rowAxis` = -2) or per column of B (length N, last axis), or an N-D tensor
 * broadcast numpy-style against x.
 */
function subtractZeroPoint(x: Tensor, zp: Tensor | undefined, perRow: boolean, what: string): Int32Array {
  const xv = new Int32Array(x.data as Int8Array);
  if (!zp) return xv;
  const z = new Int32Array(zp.data as Int8Array);
  if (zp.size === 1) {
    const z0 = z[0]!;
    for (let i = 0; i < xv.length; i++) xv[i] = xv[i]! - z0;
    return xv;
  }
  let zDims: number[] = [...zp.dims];
  if (zDims.length === 1) {
    if (x.dims.length < 2 && perRow) throw new Error(`${what} has ${zp.size} values but A is a vector (one row)`);
    const axisLen = perRow ? x.dims[x.dims.length - 2]! : x.dims[x.dims.length - 1]!;
    if (zp.size !== axisLen) {
      throw new Error(
        `${what} has ${zp.size} values; a 1-D zero point needs one per ${perRow ? 'row of A' : 'column of B'} ` +
          `(${axisLen})`,
      );
    }
    zDims = perRow ? [axisLen, 1] : [axisLen];
  }
  const out = broadcastDims(x.dims, zDims);
  if (out.length !== x.dims.length || out.some((d, i) => d !== x.dims[i])) {
    throw new Error(`${what} ${formatDims(zp.dims)} does not broadcast to the input's shape ${formatDims(x.dims)}`);
  }
  const idx = broadcastIndex(zDims, x.dims);
  for (let i = 0; i < xv.length; i++) xv[i] = xv[i]! - z[idx[i]!]!;
  return xv;
}

const matmulInteger: OpDef = {
  name: 'nn.MatMulInteger',
  inputs: ['A', 'B', 'a_zero_point?', 'b_zero_point?'],
  outputs: ['Y'],
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, ['int8', 'uint8'], 'A');
    checkDType(b, ['int8', 'uint8'], 'B');
    const az = ctx.types[2],
      bz = ctx.types[3];
    if (az) sameDType(a, az, 'A and a_zero_point');
    if (bz) sameDType(b, bz, 'B and b_zero_point');
    if (!a.shape || !b.shape) return [{ dtype: 'int32' }];
    return [{ dtype: 'int32', shape: matmulShape(a.shape, b.shape, 'MatMulInteger') }];
  },
  run({ inputs: [a, b, az, bz] }) {
    const ai = subtractZeroPoint(a!, az, true, 'a_zero_point');
    const bi = subtractZeroPoint(b!, bz, false, 'b_zero_point');
    return [batchedMatMul(a!, b!, 'int32', 'MatMulInteger', ai, bi)];
  },
  cost: matmulCost,
  onnx: { type: 'MatMulInteger', minOpset: 10 },
};
registerOps([matmulInteger]);
