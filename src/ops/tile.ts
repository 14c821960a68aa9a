// Tile: repeat a tensor along each axis.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { forEachIndex, offsetOf, slots, stridesOf } from './layout.js';
import { bytesOf, checkDType, constInts, inType } from './util.js';

const tile: OpDef = {
  name: 'nn.Tile',
  inputs: ['input', 'repeats'],
  outputs: ['output'],
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    checkDType(inType(ctx, 1, 'repeats'), ['int64'], 'repeats');
    if (!t.shape) return [{ dtype: t.dtype }];
    const reps = constInts(ctx, 1);
    if (!reps) return [{ dtype: t.dtype, shape: t.shape.map(() => freshDim('tile')) }];
    if (reps.length !== t.shape.length)
      throw new Error(`repeats has ${reps.length} entries, input has rank ${t.shape.length}`);
    if (reps.some((r) => r < 0)) throw new Error(`repeats [${reps.join(',')}] has a negative entry`);
    return [
      {
        dtype: t.dtype,
        shape: t.shape.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i]! : freshDim('tile'))),
      },
    ];
  },
  run({ inputs: [x, r] }) {
    const reps = toIntArray(r!);
    const dims = x!.dims;
    if (reps.length !== dims.length)
      throw new Error(`repeats has ${reps.length} entries, input has rank ${dims.length}`);
    const outDims = dims.map((d, i) => d * reps[i]!);
    const out = Tensor.zeros(x!.type, outDims);
    const strides = stridesOf(dims);
    const src = slots(x!.data),
      dst = slots(out.data);
    const srcIdx = new Array<number>(dims.length);
    forEachIndex(outDims, (idx, flat) => {
      for (let k = 0; k < idx.length; k++) srcIdx[k] = idx[k]! % dims[k]!;
      dst[flat] = src[offsetOf(srcIdx, strides)]!;
    });
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'Tile' },
};

registerOps([tile]);
