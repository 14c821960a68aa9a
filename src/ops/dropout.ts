// Dropout. At inference (training_mode absent or false, or ratio 0) it is the identity and the
// mask is all true. In training mode each element is kept when a uniform draw in [0, 1) is at
// least `ratio`, and kept elements are scaled by 1 / (1 - ratio). Draws come from MT19937 seeded
// with the `seed` attribute, in numpy's order, so a seeded Dropout reproduces the ONNX
// reference's mask; without a seed every run draws a fresh seed (the spec leaves it free).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { MT19937 } from './mt19937.js';
import { checkDType, elementwiseCost, FLOATS, inType } from './util.js';

const dropout: OpDef = {
  name: 'nn.Dropout',
  inputs: ['data', 'ratio?', 'training_mode?'],
  outputs: ['output', 'mask?'],
  attrs: { seed: { kind: 'int' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    checkDType(t, FLOATS, 'data');
    const r = ctx.types[1],
      m = ctx.types[2];
    if (r) checkDType(r, FLOATS, 'ratio');
    if (m && m.dtype !== 'bool') throw new Error(`training_mode ${formatType(m)} must be bool`);
    return [{ ...t }, { dtype: 'bool', shape: t.shape }];
  },
  run({ inputs: [x, ratioT, training], attrs }) {
    const ratio = ratioT ? toF64(ratioT)[0]! : 0.5;
    const mask = Tensor.zeros('bool', x!.dims);
    const m = mask.data as Uint8Array;
    if (!(training && training.data[0]) || ratio === 0) {
      m.fill(1);
      return [x!, mask];
    }
    if (!(ratio >= 0 && ratio < 1)) throw new Error(`ratio ${ratio} must be in [0, 1) in training mode`);
    const seed = attrs.has('seed') ? attrs.int('seed') >>> 0 : Math.floor(Math.random() * 2 ** 32);
    const rng = new MT19937(seed);
    const xv = toF64(x!);
    const y = new Float64Array(xv.length);
    const scale = 1 / (1 - ratio);
    for (let i = 0; i < xv.length; i++) {
      const keep = rng.nextDouble() >= ratio;
      m[i] = keep ? 1 : 0;
      y[i] = keep ? xv[i]! * scale : 0;
    }
    return [fromF64(x!.type, x!.dims, y), mask];
  },
  cost: elementwiseCost(2),
  onnx: {
    type: 'Dropout',
    // before opset 12, ratio was an attribute and is_test selected inference; both are moot here.
    import(ctx) {
      ctx.take('ratio');
      ctx.take('is_test');
      ctx.take('consumed_inputs');
    },
  },
};

registerOps([dropout]);
