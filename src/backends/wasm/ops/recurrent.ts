// RNN / GRU / LSTM on the WASM kernel (wasm/recurrent.ts): float32, layout 0 and the default
// activations; other cases (custom activations, layout 1, other dtypes) run on the reference path.
// The input projection X·Wᵀ of every step and gate is one GEMM up front (the matmul family's
// packed kernel); the recurrent kernel then adds H·Rᵀ and the biases step by step.

import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';
import { planMatmulCore } from './lib/gemm.js';

const KIND: Record<string, [number, string[]]> = {
  'nn.RNN': [0, ['tanh']],
  'nn.GRU': [1, ['sigmoid', 'tanh']],
  'nn.LSTM': [2, ['sigmoid', 'tanh', 'tanh']],
};

export const recurrent: OpPlanner = async (ctx) => {
  const n = ctx.node;
  const [kind, defaults] = KIND[n.op]!;
  const [x, w, r, b, lens, h0, c0, p] = n.inputs;
  if (![x, w, r, b, h0, c0, p, ...n.outputs].every((v) => F32(ctx, v))) return 'cpu';
  if (lens && ctx.dtype(lens) !== 'int32') return 'cpu';
  const at = attrsOf(ctx);
  if (at.int('layout', 0) !== 0) return 'cpu';
  const direction = at.string('direction', 'forward');
  const D = direction === 'bidirectional' ? 2 : 1;
  const acts = at.strings('activations', []).map((s) => s.toLowerCase());
  const expected = D === 2 ? [...defaults, ...defaults] : defaults;
  if (acts.length && acts.join() !== expected.join()) return 'cpu';
  const [T, B, I] = ctx.dims(x!) as [number, number, number];
  const H = ctx.dims(r!)[2]!;
  const G = kind === 2 ? 4 : kind === 1 ? 3 : 1;
  if (T * B * I * H === 0) return 'cpu';
  const clip = at.has('clip') ? at.float('clip') : 0;
  if (clip < 0 || (at.has('clip') && clip === 0)) return 'cpu';
  const flag = kind === 1 ? at.int('linear_before_reset', 0) : kind === 2 ? at.int('input_forget', 0) : 0;
  const slot = (v: typeof x) => (v ? ctx.slot(v) : -1);
  const s = [x, w, r, b, lens, h0, c0, p, n.outputs[0], n.outputs[1], n.outputs[2]].map(slot);
  // xw [D, T*B, G*H] = X [T*B, I] · W[d]ᵀ for each direction d
  const xw = ctx.temp([D, T * B, G * H]);
  const proj = await planMatmulCore(
    ctx,
    {
      M: T * B,
      N: G * H,
      K: I,
      batch: D,
      alpha: 1,
      a: x!,
      rsa: I,
      csa: 1,
      bsa: 0,
      b: w!,
      rsb: 1,
      csb: I,
      bsb: D === 1 ? 0 : G * H * I,
    },
    0,
    xw,
  );
  const sxw = ctx.slot(xw);
  // the scratch block after the tensors' slots, so that the arena keeps it apart from the outputs
  const scratch = ctx.scratch(D * B * (G * H + 3 * H) * 4);
  const ptr = (P: Float64Array, i: number) => (s[i]! < 0 ? 0 : P[s[i]!]!);
  const work = 2 * T * B * D * G * H * (I + H);
  const steps = run(ctx, ctx.fn('recurrent', 'recurrent'), work, (P) => [
    kind,
    T,
    B,
    I,
    H,
    D,
    direction === 'reverse' ? 1 : 0,
    P[sxw]!,
    ...Array.from({ length: 9 }, (_, i) => ptr(P, i + 2)),
    P[scratch]!,
    clip,
    flag ? 1 : 0,
  ]);
  return (P) => {
    const p = proj(P);
    return p ? p.then(() => steps(P)) : steps(P);
  };
};

export const KERNELS: WasmFamily = {
  ownDtypes: ['nn.RNN', 'nn.GRU', 'nn.LSTM'],
  planners: { 'nn.RNN': recurrent, 'nn.GRU': recurrent, 'nn.LSTM': recurrent },
};
