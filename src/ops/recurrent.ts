// Recurrent layers: RNN, GRU and LSTM (opset 7+, layout from 14), every direction, activation
// list, clip, sequence_lens, initial states, LSTM peepholes and input_forget, GRU
// linear_before_reset.
//
// Shapes (layout 0; layout 1 swaps the sequence/batch axes of X and Y and puts batch first in the
// states): X [T, B, I], W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (input then recurrent biases),
// sequence_lens [B], initial_h/initial_c [D, B, H], P [D, 3*H]; Y [T, D, B, H], Y_h/Y_c [D, B, H].
// Gate order in W/R/B: LSTM i, o, f, c; GRU z, r, h; RNN one gate; peepholes P: i, o, f.
//
// Each step computes all gates with one GEMM against the stacked weights (X·Wᵀ for every step up
// front, H·Rᵀ per step), then the per-gate element-wise update. The GRU with
// linear_before_reset = 0 multiplies r into H before the h-gate's recurrent product, so that
// gate's block is recomputed from r ⊙ H. A batch entry stops at its sequence length: later Y rows
// are zero and Y_h/Y_c hold its last valid state. Work is in float64, stored once.

import type { TensorType } from '../ir/graph.js';
import { type InferContext, type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import type { Dim } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { activationFn } from './recurrent-activations.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';
const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTS: Record<Kind, string[]> = {
  RNN: ['Tanh'],
  GRU: ['Sigmoid', 'Tanh'],
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
};
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'];

const COMMON_ATTRS = {
  activation_alpha: { kind: 'floats' as const },
  activation_beta: { kind: 'floats' as const },
  activations: { kind: 'strings' as const },
  clip: { kind: 'float' as const },
  direction: { kind: 'string' as const, default: 'forward' },
  hidden_size: { kind: 'int' as const },
  layout: { kind: 'int' as const, default: 0 },
};

function numDirections(attrs: InferContext['attrs']): number {
  const d = attrs.string('direction', 'forward');
  if (!DIRECTIONS.includes(d)) throw new Error(`direction '${d}' must be one of ${DIRECTIONS.join(', ')}`);
  return d === 'bidirectional' ? 2 : 1;
}

function inferRecurrent(kind: Kind, ctx: InferContext): TensorType[] {
  const x = inType(ctx, 0, 'X'),
    w = inType(ctx, 1, 'W'),
    r = inType(ctx, 2, 'R');
  checkDType(x, FLOATS, 'X');
  for (const [t, n] of [
    [w, 'W'],
    [r, 'R'],
  ] as const) {
    if (t.dtype !== x.dtype) throw new Error(`${n} ${formatType(t)} must have the type of X ${formatType(x)}`);
    if (t.shape && t.shape.length !== 3)
      throw new Error(`${n} ${formatType(t)} must be 3-D [directions, gates*hidden, size]`);
  }
  if (x.shape && x.shape.length !== 3) throw new Error(`X ${formatType(x)} must be 3-D`);
  const sl = ctx.types[4];
  if (sl) checkDType(sl, ['int32'], 'sequence_lens');
  const D = numDirections(ctx.attrs);
  const layout = ctx.attrs.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw new Error(`layout ${layout} must be 0 or 1`);
  const H: Dim | undefined = ctx.attrs.has('hidden_size')
    ? ctx.attrs.int('hidden_size')
    : typeof r.shape?.[2] === 'number'
      ? r.shape[2]
      : undefined;
  if (!x.shape || H === undefined) return Array.from({ length: kind === 'LSTM' ? 3 : 2 }, () => ({ dtype: x.dtype }));
  const [T, B] = layout === 0 ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
  const y: Dim[] = layout === 0 ? [T, D, B, H] : [B, T, D, H];
  const state: Dim[] = layout === 0 ? [D, B, H] : [B, D, H];
  const outs: TensorType[] = [
    { dtype: x.dtype, shape: y },
    { dtype: x.dtype, shape: state },
  ];
  if (kind === 'LSTM') outs.push({ dtype: x.dtype, shape: [...state] });
  return outs;
}

/** dst[m, n] = sum_k a[m, k] * w[rowOff + n, k] for m < M, n < N (w row-major with K columns). */
function gemmTransB(
  a: Float64Array,
  aOff: number,
  M: number,
  K: number,
  w: Float64Array,
  wOff: number,
  N: number,
  dst: Float64Array,
  dOff: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      const ar = aOff + m * K,
        wr = wOff + n * K;
      for (let k = 0; k < K; k++) s += a[ar + k]! * w[wr + k]!;
      dst[dOff + m * N + n] = s;
    }
  }
}

/** Permute a [A, B, C] buffer to [B, A, C] (layout 1 <-> layout 0 for X and states). */
function swap01(v: Float64Array, A: number, B: number, C: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++) {
      out.set(v.subarray((a * B + b) * C, (a * B + b + 1) * C), (b * A + a) * C);
    }
  return out;
}

/** Y [T, D, B, H] as [B, T, D, H] (layout 1). */
function batchFirst(y: Float64Array, T: number, D: number, B: number, H: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let t = 0; t < T; t++)
    for (let d = 0; d < D; d++)
      for (let b = 0; b < B; b++) {
        out.set(y.subarray(((t * D + d) * B + b) * H, ((t * D + d) * B + b + 1) * H), ((b * T + t) * D + d) * H);
      }
  return out;
}

function runRecurrent(kind: Kind, { inputs, attrs }: RunContext): Tensor[] {
  const [xt, wt, rt, bt, slt, h0t, c0t, pt] = inputs;
  const layout = attrs.int('layout', 0);
  const D = numDirections(attrs);
  const reverseOnly = attrs.string('direction', 'forward') === 'reverse';
  const G = GATES[kind];
  const [T, Bn, I] = (layout === 0 ? xt!.dims : [xt!.dims[1], xt!.dims[0], xt!.dims[2]]) as [number, number, number];
  const H = attrs.has('hidden_size') ? attrs.int('hidden_size') : rt!.dims[2]!;
  const GH = G * H;
  const expect = (t: Tensor | undefined, dims: number[], what: string) => {
    if (t && t.dims.join(',') !== dims.join(',')) throw new Error(`${what} [${t.dims}] must be [${dims}]`);
  };
  expect(wt, [D, GH, I], 'W');
  expect(rt, [D, GH, H], 'R');
  expect(bt, [D, 2 * GH], 'B');
  const stateDims = layout === 0 ? [D, Bn, H] : [Bn, D, H];
  expect(h0t, stateDims, 'initial_h');
  expect(c0t, stateDims, 'initial_c');
  expect(pt, [D, 3 * H], 'P');
  expect(slt, [Bn], 'sequence_lens');
  const lens = slt ? Array.from(slt.data as Int32Array) : new Array<number>(Bn).fill(T);
  if (lens.some((l) => l < 0 || l > T)) throw new Error(`sequence_lens [${lens}] must lie in [0, ${T}]`);
  const x = layout === 0 ? toF64(xt!) : swap01(toF64(xt!), Bn, T, I);
  const W = toF64(wt!),
    R = toF64(rt!);
  const Bias = bt ? toF64(bt) : new Float64Array(D * 2 * GH);
  const P = pt ? toF64(pt) : undefined;
  const state0 = (t: Tensor | undefined) =>
    t ? (layout === 0 ? toF64(t) : swap01(toF64(t), Bn, D, H)) : new Float64Array(D * Bn * H);
  const hAll = state0(h0t),
    cAll = state0(c0t);
  const clip = attrs.has('clip') ? attrs.float('clip') : Infinity;
  const cl = (v: number) => (v > clip ? clip : v < -clip ? -clip : v);
  const actNames = attrs.strings('activations', []);
  const nActs = DEFAULT_ACTS[kind].length;
  if (actNames.length && actNames.length !== nActs * D) {
    throw new Error(
      `activations lists ${actNames.length} functions; ${kind} with ${D} direction(s) needs ${nActs * D}`,
    );
  }
  const alphas = [...attrs.floats('activation_alpha', [])],
    betas = [...attrs.floats('activation_beta', [])];
  const acts = (actNames.length ? actNames : [...DEFAULT_ACTS[kind], ...(D === 2 ? DEFAULT_ACTS[kind] : [])]).map((n) =>
    activationFn(n, alphas, betas),
  );
  const lbr = kind === 'GRU' && attrs.int('linear_before_reset', 0) !== 0;
  const inputForget = kind === 'LSTM' && attrs.int('input_forget', 0) !== 0;
  const Y = new Float64Array(T * D * Bn * H);
  const xw = new Float64Array(T * Bn * GH),
    hr = new Float64Array(Bn * GH),
    rh = new Float64Array(Bn * H);
  for (let d = 0; d < D; d++) {
    const reverse = reverseOnly || d === 1;
    const [f, g, h] = acts.slice(d * nActs, (d + 1) * nActs);
    const wb = Bias.subarray(d * 2 * GH, d * 2 * GH + GH),
      rb = Bias.subarray(d * 2 * GH + GH, (d + 1) * 2 * GH);
    gemmTransB(x, 0, T * Bn, I, W, d * GH * I, GH, xw, 0); // X·Wᵀ for every step and gate
    const hs = hAll.subarray(d * Bn * H, (d + 1) * Bn * H),
      cs = cAll.subarray(d * Bn * H, (d + 1) * Bn * H);
    for (let step = 0; step < T; step++) {
      gemmTransB(hs, 0, Bn, H, R, d * GH * H, GH, hr, 0); // H·Rᵀ for every gate
      for (let b = 0; b < Bn; b++) {
        if (step >= lens[b]!) continue;
        const t = reverse ? lens[b]! - 1 - step : step;
        const pre = (gate: number, j: number) =>
          xw[(t * Bn + b) * GH + gate * H + j]! + hr[b * GH + gate * H + j]! + wb[gate * H + j]! + rb[gate * H + j]!;
        const hb = b * H;
        if (kind === 'RNN') {
          for (let j = 0; j < H; j++) rh[j] = f!(cl(pre(0, j)));
          hs.set(rh.subarray(0, H), hb);
        } else if (kind === 'GRU') {
          const z = new Float64Array(H),
            r = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            z[j] = f!(cl(pre(0, j)));
            r[j] = f!(cl(pre(1, j)));
          }
          if (!lbr) {
            // (r ⊙ H)·R_hᵀ replaces the h block of H·Rᵀ
            const rH = new Float64Array(H);
            for (let j = 0; j < H; j++) rH[j] = r[j]! * hs[hb + j]!;
            gemmTransB(rH, 0, 1, H, R, (d * GH + 2 * H) * H, H, rh, 0);
          }
          for (let j = 0; j < H; j++) {
            const xh = xw[(t * Bn + b) * GH + 2 * H + j]! + wb[2 * H + j]!;
            const rec = lbr ? r[j]! * (hr[b * GH + 2 * H + j]! + rb[2 * H + j]!) : rh[j]! + rb[2 * H + j]!;
            const cand = g!(cl(xh + rec));
            rh[j] = (1 - z[j]!) * cand + z[j]! * hs[hb + j]!;
          }
          hs.set(rh.subarray(0, H), hb);
        } else {
          const pd = d * 3 * H;
          for (let j = 0; j < H; j++) {
            const cPrev = cs[hb + j]!;
            const i = f!(cl(pre(0, j) + (P ? P[pd + j]! * cPrev : 0)));
            const fg = inputForget ? 1 - i : f!(cl(pre(2, j) + (P ? P[pd + 2 * H + j]! * cPrev : 0)));
            const c = fg * cPrev + i * g!(cl(pre(3, j)));
            const o = f!(cl(pre(1, j) + (P ? P[pd + H + j]! * c : 0)));
            cs[hb + j] = c;
            rh[j] = o * h!(c);
          }
          hs.set(rh.subarray(0, H), hb);
        }
        Y.set(hs.subarray(hb, hb + H), ((t * D + d) * Bn + b) * H);
      }
    }
  }
  const type = xt!.type;
  const yOut =
    layout === 0 ? fromF64(type, [T, D, Bn, H], Y) : fromF64(type, [Bn, T, D, H], batchFirst(Y, T, D, Bn, H));
  const st = (v: Float64Array) =>
    layout === 0 ? fromF64(type, [D, Bn, H], v) : fromF64(type, [Bn, D, H], swap01(v, D, Bn, H));
  return kind === 'LSTM' ? [yOut, st(hAll), st(cAll)] : [yOut, st(hAll)];
}

function recurrentOp(kind: Kind, extraInputs: string[], extraAttrs: OpDef['attrs']): OpDef {
  return {
    name: `nn.${kind}`,
    inputs: ['X', 'W', 'R', 'B?', 'sequence_lens?', 'initial_h?', ...extraInputs],
    outputs: kind === 'LSTM' ? ['Y?', 'Y_h?', 'Y_c?'] : ['Y?', 'Y_h?'],
    attrs: { ...COMMON_ATTRS, ...extraAttrs },
    infer: (ctx) => inferRecurrent(kind, ctx),
    run: (ctx) => runRecurrent(kind, ctx),
    cost(ctx) {
      const x = ctx.types[0],
        w = ctx.types[1],
        r = ctx.types[2];
      const steps = numelOf(x) / Math.max(1, Number(x?.shape?.[2]) || 1);
      return {
        flops: 2 * steps * (numelOf(w) + numelOf(r)),
        bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0),
      };
    },
    onnx: { type: kind, minOpset: 7 },
  };
}

registerOps([
  recurrentOp('RNN', [], {}),
  recurrentOp('GRU', [], { linear_before_reset: { kind: 'int', default: 0 } }),
  recurrentOp('LSTM', ['initial_c?', 'P?'], { input_forget: { kind: 'int', default: 0 } }),
]);
