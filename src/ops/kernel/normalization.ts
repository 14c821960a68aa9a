// k.layernorm: layer or RMS normalisation over the trailing axes from `axis`, with scale and
// optional bias, computed in float32 (stash_type 1) as onnxruntime does.

import { type OpDef, registerOps } from '../../ir/op-def.js';
import type { Tensor } from '../../ir/tensor.js';
import { checkDType, elementwiseCost, FLOATS, inType } from '../util.js';
import { evalAs } from './delegate.js';

const klayernorm: OpDef = {
  name: 'k.layernorm',
  inputs: ['X', 'scale', 'bias?'],
  outputs: ['Y'],
  attrs: {
    axis: { kind: 'int', required: true },
    epsilon: { kind: 'float', default: 1e-5 },
    rms: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    inType(ctx, 1, 'scale');
    const axis = ctx.attrs.int('axis');
    if (x.shape && (axis < 0 || axis >= x.shape.length))
      throw new Error(`axis ${axis} must be in 0..${x.shape.length - 1}`);
    return [{ ...x }];
  },
  run({ inputs, attrs }) {
    const a = {
      axis: { kind: 'int' as const, value: attrs.int('axis') },
      epsilon: { kind: 'float' as const, value: attrs.float('epsilon', 1e-5) },
    };
    if (attrs.int('rms', 0)) return evalAs('nn.RMSNormalization', (inputs as Tensor[]).slice(0, 2), a);
    return evalAs('nn.LayerNormalization', inputs as Tensor[], a).slice(0, 1);
  },
  cost: elementwiseCost(8),
};

registerOps([klayernorm]);
