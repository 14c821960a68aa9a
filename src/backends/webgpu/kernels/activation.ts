// Activation family on the shared elementwise template: parameterised activations computed in
// f32 with their attributes baked in as literals, Clip with optional bounds, PRelu's slope input.

import { lit } from '../wgsl.js';
import { f32Act, fl, litW, registerElementwise } from './lib/elementwise.js';

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

registerElementwise({
  'nn.LeakyRelu': f32Act((a) => {
    const al = lit(a.float('alpha', 0.01), 'f32');
    return (x) => `select(${al} * ${x}, ${x}, ${x} >= 0.0)`;
  }),
  'nn.Elu': f32Act((a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `select(${al} * (exp(${x}) - 1.0), ${x}, ${x} >= 0.0)`;
  }),
  'nn.Celu': f32Act((a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `(max(0.0, ${x}) + min(0.0, ${al} * (exp(${x} / ${al}) - 1.0)))`;
  }),
  'nn.Selu': f32Act((a) => {
    const al = lit(a.float('alpha', SELU_ALPHA), 'f32');
    const g = lit(a.float('gamma', SELU_GAMMA), 'f32');
    return (x) => `select(${g} * (${al} * exp(${x}) - ${al}), ${g} * ${x}, ${x} > 0.0)`;
  }),
  'nn.HardSigmoid': f32Act((a) => {
    const al = lit(a.float('alpha', 0.2), 'f32');
    const b = lit(a.float('beta', 0.5), 'f32');
    return (x) => `clamp(${al} * ${x} + ${b}, 0.0, 1.0)`;
  }),
  'nn.ThresholdedRelu': f32Act((a) => {
    const al = lit(a.float('alpha', 1), 'f32');
    return (x) => `select(0.0, ${x}, ${x} > ${al})`;
  }),
  'nn.Gelu': f32Act((a) => {
    if (a.string('approximate', 'none') === 'tanh')
      return (x) => `(0.5 * ${x} * (1.0 + tanh_s(0.7978845608028654 * (${x} + 0.044715 * ${x} * ${x} * ${x}))))`;
    return (x) => `(0.5 * ${x} * (1.0 + erf_s(${x} * 0.7071067811865476)))`;
  }),
  'nn.Softplus': fl((x) => `softplus_s(${x})`),
  'nn.Softsign': fl((x) => `(${x} / (1.0 + abs(${x})))`),
  'nn.Mish': fl((x) => `(${x} * tanh_s(softplus_s(${x})))`),
  'nn.HardSwish': fl((x) => `(${x} * clamp(${x} / 6.0 + 0.5, 0.0, 1.0))`),
  'nn.PRelu': ([x, s], w) => `select(${x!.code}, ${x!.code} * ${s!.code}, ${x!.code} < ${litW(w, 0)})`,
  'nn.Clip': (args) => {
    let r = args[0]!.code;
    if (args[1]) r = `max(${r}, ${args[1].code})`;
    if (args[2]) r = `min(${r}, ${args[2].code})`;
    return r;
  },
});
