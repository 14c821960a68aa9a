// CausalConvWithState (opset 27): the depthwise causal 1-D convolution of Mamba and gated-delta
// layers, carrying the last kernel-1 input columns between calls.
//
// input [N, C, L], weight [C, 1, K], bias [C]?, past_state [N, C, K-1]? (zeros when absent).
// The padded sequence is past_state followed by input; output[n, c, l] = bias[c] +
// sum_j weight[c, 0, j] * padded[n, c, l + j], optionally through SiLU (activation 'silu' or its
// alias 'swish'); present_state is the last K-1 columns of the padded sequence.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const ACTIVATIONS = ['none', 'silu', 'swish'];

const causalConvWithState: OpDef = {
  name: 'nn.CausalConvWithState',
  inputs: ['input', 'weight', 'bias?', 'past_state?'],
  outputs: ['output', 'present_state'],
  attrs: { activation: { kind: 'string', default: 'none' } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input'),
      w = inType(ctx, 1, 'weight');
    checkDType(x, FLOATS, 'input');
    if (w.dtype !== x.dtype) throw new Error(`weight ${formatType(w)} must have the type of input ${formatType(x)}`);
    const act = ctx.attrs.string('activation', 'none');
    if (!ACTIVATIONS.includes(act)) throw new Error(`activation '${act}' must be one of ${ACTIVATIONS.join(', ')}`);
    if (x.shape && x.shape.length !== 3) throw new Error(`input ${formatType(x)} must be 3-D [N, C, L]`);
    if (w.shape && (w.shape.length !== 3 || w.shape[1] !== 1))
      throw new Error(`weight ${formatType(w)} must be [C, 1, K] (depthwise)`);
    if (!x.shape || !w.shape) return [{ dtype: x.dtype, shape: x.shape }, { dtype: x.dtype }];
    const K = w.shape[2]!;
    const state: Dim = typeof K === 'number' ? K - 1 : freshDim('state');
    return [
      { dtype: x.dtype, shape: [...x.shape] },
      { dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, state] },
    ];
  },
  run({ inputs: [xt, wt, bt, pt], attrs }) {
    const [N, C, L] = xt!.dims as [number, number, number];
    const [wc, w1, K] = wt!.dims as [number, number, number];
    if (wc !== C || w1 !== 1) throw new Error(`weight [${wt!.dims}] must be [${C}, 1, K] for input [${xt!.dims}]`);
    if (bt && bt.size !== C) throw new Error(`bias [${bt.dims}] must hold ${C} values`);
    const S = K - 1,
      P = S + L;
    if (pt && pt.dims.join(',') !== [N, C, S].join(','))
      throw new Error(`past_state [${pt.dims}] must be [${N}, ${C}, ${S}]`);
    const x = toF64(xt!),
      w = toF64(wt!);
    const bias = bt ? toF64(bt) : undefined;
    const past = pt ? toF64(pt) : undefined;
    const silu = attrs.string('activation', 'none') !== 'none';
    const out = new Float64Array(N * C * L);
    const present = new Float64Array(N * C * S);
    const padded = new Float64Array(P);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const row = n * C + c;
        for (let i = 0; i < S; i++) padded[i] = past ? past[row * S + i]! : 0;
        for (let i = 0; i < L; i++) padded[S + i] = x[row * L + i]!;
        for (let l = 0; l < L; l++) {
          let s = bias ? bias[c]! : 0;
          for (let j = 0; j < K; j++) s += w[c * K + j]! * padded[l + j]!;
          out[row * L + l] = silu ? s / (1 + Math.exp(-s)) : s;
        }
        for (let i = 0; i < S; i++) present[row * S + i] = padded[P - S + i]!;
      }
    }
    return [fromF64(xt!.type, [N, C, L], out), fromF64(xt!.type, [N, C, S], present)];
  },
  cost(ctx) {
    const K = ctx.types[1]?.shape?.[2];
    return {
      flops: numelOf(ctx.outTypes[0]) * 2 * (typeof K === 'number' ? K : 4),
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0),
    };
  },
  onnx: { type: 'CausalConvWithState', minOpset: 27 },
};

registerOps([causalConvWithState]);
