// k.softmax: softmax or log-softmax along one (non-negative) axis, opset-13 semantics.

import { type OpDef, registerOps } from '../../ir/op-def.js';
import type { Tensor } from '../../ir/tensor.js';
import { checkDType, elementwiseCost, FLOATS, inType } from '../util.js';
import { evalAs } from './delegate.js';

const ksoftmax: OpDef = {
  name: 'k.softmax',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { axis: { kind: 'int', required: true }, log: { kind: 'int', default: 0 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    const axis = ctx.attrs.int('axis');
    if (x.shape && (axis < 0 || axis >= x.shape.length))
      throw new Error(`axis ${axis} must be in 0..${x.shape.length - 1}`);
    return [{ ...x }];
  },
  run: ({ inputs, attrs }) =>
    evalAs(attrs.int('log', 0) ? 'nn.LogSoftmax' : 'nn.Softmax', inputs as Tensor[], {
      axis: { kind: 'int', value: attrs.int('axis') },
    }),
  cost: elementwiseCost(5),
};

registerOps([ksoftmax]);
