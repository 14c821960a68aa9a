// Reduce family: ReduceSum/Mean/Max/… over constant axes (shaders/reduce.wgsl) and the lowered
// k.reduce, which delegates to them.

import { normAxis } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { REDUCE_OPS } from '../../../ops/kernel/reduce.js';
import { registerKernels } from '../kernel.js';
import { delegate } from './lib/expr.js';
import { type Kind, reducePlan } from './lib/rows.js';

registerKernels({
  ops: [
    'nn.ReduceSum',
    'nn.ReduceMean',
    'nn.ReduceMax',
    'nn.ReduceMin',
    'nn.ReduceProd',
    'nn.ReduceL1',
    'nn.ReduceL2',
    'nn.ReduceLogSum',
    'nn.ReduceLogSumExp',
    'nn.ReduceSumSquare',
  ],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const axesList = a.ins[1]?.host ? toIntArray(a.ins[1].host) : [];
    const noop = a.attrs.int('noop_with_empty_axes', 0) === 1;
    if (!axesList.length && noop) return { alias: [0], dispatches: [] };
    const axes = new Set(axesList.length ? axesList.map((v) => normAxis(v, r, 'axes entry')) : x.dims.map((_, i) => i));
    return reducePlan(a, a.node.op.slice(9) as Kind, axes);
  },
});

registerKernels({
  ops: ['k.reduce'],
  plan: (a) =>
    delegate(
      `nn.${REDUCE_OPS[a.attrs.string('op')]}`,
      (x) => ({ keepdims: { kind: 'int', value: x.int('keepdims', 1) } }),
      true,
    )(a),
});
