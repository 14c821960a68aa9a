// The ai.onnx.preview.training optimizers: Adagrad, Momentum (standard and Nesterov) and Adam.
// Each takes a learning rate R and step count T (scalars), then n tensors to optimise X, their
// gradients G and optimiser states, and returns the updated tensors followed by the new states:
//   Adagrad:  r = R / (1 + T·decay_factor); g = λX + G; H' = H + g²; X' = X - r·g / (sqrt(H') + ε)
//   Momentum: g = λX + G; V' = αV + β'g (β' = 1 at T = 0); X' = X - R·V' (standard)
//             or X' = X - R·(g + αV') (nesterov)
//   Adam:     g = λX + G; V' = αV + (1-α)g; H' = βH + (1-β)g²;
//             R' = R·sqrt(1-β^T)/(1-α^T) for T > 0; X' = (1 - λ_post)(X - R'·V'/(sqrt(H') + ε))
// with λ = norm_coefficient. Work is in float64, rounded to each tensor's type.

import { type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, scalarInt, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType } from './util.js';

const DOMAIN = 'ai.onnx.preview.training';

type Update = (x: number, g: number, states: number[]) => [number, ...number[]];

/** An optimiser with `nStates` state tensors per optimised tensor. */
function optimizer(
  type: string,
  nStates: number,
  attrs: OpDef['attrs'],
  make: (r: number, t: number, a: RunContext['attrs']) => Update,
): OpDef {
  const groups = 2 + nStates; // X, G and the states
  return {
    name: `nn.${type}`,
    inputs: ['R', 'T', 'inputs...'],
    outputs: ['outputs...'],
    attrs,
    infer(ctx) {
      checkDType(inType(ctx, 0, 'R'), FLOATS, 'R');
      checkDType(inType(ctx, 1, 'T'), ['int64'], 'T');
      const rest = ctx.types.slice(2);
      if (rest.length === 0 || rest.length % groups) {
        throw new Error(
          `${type} takes R, T and ${groups} tensors per optimised tensor ` +
            `(X, G${nStates ? ', states' : ''}), got ${rest.length}`,
        );
      }
      const n = rest.length / groups;
      for (let i = 0; i < rest.length; i++) {
        const x = rest[i % n]!,
          t = rest[i]!;
        checkDType(t, FLOATS, `input #${i + 2}`);
        if (t.dtype !== x.dtype)
          throw new Error(`input #${i + 2} ${formatType(t)} must have the type of X #${i % n} ${formatType(x)}`);
      }
      // outputs: X' for each tensor, then each state in input order
      return [...rest.slice(0, n), ...rest.slice(2 * n)].map((t) => ({ dtype: t!.dtype, shape: t!.shape }));
    },
    run({ inputs, attrs: a }) {
      const r = toF64(inputs[0]!)[0]!,
        t = scalarInt(inputs[1]!, 'T');
      const rest = inputs.slice(2) as Tensor[];
      const n = rest.length / groups;
      const update = make(r, t, a);
      const xs: Tensor[] = [],
        st: Tensor[][] = Array.from({ length: nStates }, () => []);
      for (let k = 0; k < n; k++) {
        const X = rest[k]!,
          G = rest[n + k]!;
        const S = Array.from({ length: nStates }, (_, s) => rest[(2 + s) * n + k]!);
        for (const o of [G, ...S])
          if (o.size !== X.size)
            throw new Error(`tensor ${k}: X [${X.dims}] and its gradient/state [${o.dims}] differ in shape`);
        const x = toF64(X),
          g = toF64(G),
          sv = S.map(toF64);
        const nx = new Float64Array(x.length),
          ns = sv.map((v) => new Float64Array(v.length));
        for (let i = 0; i < x.length; i++) {
          const [xi, ...si] = update(
            x[i]!,
            g[i]!,
            sv.map((v) => v[i]!),
          );
          nx[i] = xi;
          si.forEach((v, s) => {
            ns[s]![i] = v;
          });
        }
        xs.push(fromF64(X.type, X.dims, nx));
        ns.forEach((v, s) => st[s]!.push(fromF64(S[s]!.type, S[s]!.dims, v)));
      }
      return [...xs, ...st.flat()];
    },
    cost: (ctx) => ({
      flops: ctx.types.reduce((a, t) => a + bytesOf(t), 0),
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) * 2,
    }),
    onnx: { type, domain: DOMAIN, minOpset: 1 },
  };
}

const adagrad = optimizer(
  'Adagrad',
  1,
  {
    decay_factor: { kind: 'float', default: 0 },
    epsilon: { kind: 'float', default: 1e-6 },
    norm_coefficient: { kind: 'float', default: 0 },
  },
  (R, T, a) => {
    const r = R / (1 + T * a.float('decay_factor', 0));
    const eps = a.float('epsilon', 1e-6),
      lambda = a.float('norm_coefficient', 0);
    return (x, g0, [h]) => {
      const g = lambda * x + g0;
      const hn = h! + g * g;
      return [x - (r * g) / (Math.sqrt(hn) + eps), hn];
    };
  },
);

const momentum = optimizer(
  'Momentum',
  1,
  {
    alpha: { kind: 'float', required: true },
    beta: { kind: 'float', required: true },
    mode: { kind: 'string', required: true },
    norm_coefficient: { kind: 'float', required: true },
  },
  (R, T, a) => {
    const alpha = a.float('alpha'),
      beta = T > 0 ? a.float('beta') : 1,
      lambda = a.float('norm_coefficient');
    const mode = a.string('mode');
    if (mode !== 'standard' && mode !== 'nesterov') throw new Error(`mode '${mode}' must be standard or nesterov`);
    return (x, g0, [v]) => {
      const g = lambda * x + g0;
      const vn = alpha * v! + beta * g;
      return [mode === 'standard' ? x - R * vn : x - R * (g + alpha * vn), vn];
    };
  },
);

const adam = optimizer(
  'Adam',
  2,
  {
    alpha: { kind: 'float', default: 0.9 },
    beta: { kind: 'float', default: 0.999 },
    epsilon: { kind: 'float', default: 1e-6 },
    norm_coefficient: { kind: 'float', default: 0 },
    norm_coefficient_post: { kind: 'float', default: 0 },
  },
  (R, T, a) => {
    const alpha = a.float('alpha', 0.9),
      beta = a.float('beta', 0.999),
      eps = a.float('epsilon', 1e-6);
    const lambda = a.float('norm_coefficient', 0),
      post = a.float('norm_coefficient_post', 0);
    const r = T > 0 ? (R * Math.sqrt(1 - beta ** T)) / (1 - alpha ** T) : R;
    return (x, g0, [v, h]) => {
      const g = lambda * x + g0;
      const vn = alpha * v! + (1 - alpha) * g;
      const hn = beta * h! + (1 - beta) * g * g;
      return [(1 - post) * (x - (r * vn) / (Math.sqrt(hn) + eps)), vn, hn];
    };
  },
);

registerOps([adagrad, momentum, adam]);
