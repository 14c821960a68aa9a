// k.reduce: a reduction over explicit, sorted, non-negative axes.

import { type OpDef, registerOps } from '../../ir/op-def.js';
import { Tensor } from '../../ir/tensor.js';
import { bytesOf, inType, numelOf } from '../util.js';
import { evalAs } from './delegate.js';

export const REDUCE_OPS: Record<string, string> = {
  sum: 'ReduceSum',
  mean: 'ReduceMean',
  max: 'ReduceMax',
  min: 'ReduceMin',
  prod: 'ReduceProd',
  l1: 'ReduceL1',
  l2: 'ReduceL2',
  logsum: 'ReduceLogSum',
  logsumexp: 'ReduceLogSumExp',
  sumsquare: 'ReduceSumSquare',
};

const kreduce: OpDef = {
  name: 'k.reduce',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {
    op: { kind: 'string', required: true },
    axes: { kind: 'ints', required: true },
    keepdims: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const op = ctx.attrs.string('op');
    if (!REDUCE_OPS[op]) throw new Error(`op '${op}' is not one of ${Object.keys(REDUCE_OPS).join(', ')}`);
    const axes = ctx.attrs.ints('axes');
    if (!x.shape) return [{ dtype: x.dtype }];
    if (axes.some((a, i) => a < 0 || a >= x.shape!.length || (i > 0 && a <= axes[i - 1]!))) {
      throw new Error(`axes [${axes.join(',')}] must be sorted, distinct and in 0..${x.shape.length - 1}`);
    }
    const keep = ctx.attrs.int('keepdims', 1) === 1;
    const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
    return [{ dtype: x.dtype, shape }];
  },
  run({ inputs: [x], attrs }) {
    const axes = Tensor.from('int64', attrs.ints('axes').map(BigInt));
    return evalAs(`nn.${REDUCE_OPS[attrs.string('op')]}`, [x, axes], {
      keepdims: { kind: 'int', value: attrs.int('keepdims', 1) },
    });
  },
  cost: (ctx) => ({ flops: numelOf(ctx.types[0]), bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
};

registerOps([kreduce]);
