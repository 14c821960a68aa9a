// LinearAttention (opset 27): recurrent linear attention with a matrix state per key/value head,
// the form used by RetNet, GLA, DeltaNet and Gated DeltaNet layers.
//
// query [B, T, Hq*dk], key [B, T, Hkv*dk], value [B, T, Hkv*dv]; state S [B, Hkv, dk, dv] starts
// at past_state (zeros when absent). For each step t and kv head, with k, v, q that head's rows:
//   linear:      S = S + k vᵀ
//   gated:       S = diag(exp(g)) S + k vᵀ                    (g: decay, per key dim or per head)
//   delta:       S = S + k (β (v - Sᵀk))ᵀ
//   gated_delta: S' = diag(exp(g)) S;  S = S' + k (β (v - S'ᵀk))ᵀ   (the default)
// and the output of query head h (reading kv head h / (Hq/Hkv)) is scale · qᵀ S, scale defaulting
// to 1/sqrt(dk). decay is [B, T, Hkv*dk] or [B, T, Hkv]; beta is [B, T, Hkv] or [B, T, 1].
// The state is kept in float64 and stored once as present_state.

import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const RULES = ['linear', 'gated', 'delta', 'gated_delta'];

interface Geometry {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  dk: number;
  dv: number;
}

function geometry(q: readonly number[], k: readonly number[], v: readonly number[], Hq: number, Hkv: number): Geometry {
  if (q.length !== 3 || k.length !== 3 || v.length !== 3) {
    throw new Error(`query/key/value must be 3-D [batch, time, heads*size], got [${q}], [${k}], [${v}]`);
  }
  const [B, T] = q as [number, number];
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv !== 0)
    throw new Error(`q_num_heads ${Hq} must be a positive multiple of kv_num_heads ${Hkv}`);
  if (q[2]! % Hq || k[2]! % Hkv || v[2]! % Hkv) {
    throw new Error(
      `last dims of query [${q}], key [${k}], value [${v}] must divide by q_num_heads ${Hq} / kv_num_heads ${Hkv}`,
    );
  }
  const dk = q[2]! / Hq;
  if (k[2]! / Hkv !== dk || k[0] !== B || v[0] !== B || k[1] !== T || v[1] !== T) {
    throw new Error(`key [${k}] and value [${v}] must match query [${q}] in batch, time and head size`);
  }
  return { B, T, Hq, Hkv, dk, dv: v[2]! / Hkv };
}

/** Element reader for decay/beta whose last axis is per head (size Hkv or 1) or per key dim. */
function perStep(
  t: Tensor | undefined,
  g: Geometry,
  what: string,
  allowed: number[],
): ((b: number, s: number, h: number, i: number) => number) | undefined {
  if (!t) return undefined;
  const last = t.dims[2]!;
  if (t.dims.length !== 3 || t.dims[0] !== g.B || t.dims[1] !== g.T || !allowed.includes(last)) {
    throw new Error(`${what} [${t.dims}] must be [${g.B}, ${g.T}, one of ${[...new Set(allowed)].join('/')}]`);
  }
  const d = toF64(t);
  const perDim = last / g.Hkv; // values per head: dk, 1, or (for a shared scalar) 1/Hkv
  return (b, s, h, i) => {
    const base = (b * g.T + s) * last;
    if (last === 1) return d[base]!;
    return d[base + h * perDim + (perDim > 1 ? i : 0)]!;
  };
}

const linearAttention: OpDef = {
  name: 'nn.LinearAttention',
  inputs: ['query', 'key', 'value', 'past_state?', 'decay?', 'beta?'],
  outputs: ['output', 'present_state'],
  attrs: {
    q_num_heads: { kind: 'int', required: true },
    kv_num_heads: { kind: 'int', required: true },
    update_rule: { kind: 'string', default: 'gated_delta' },
    scale: { kind: 'float', default: 0 },
  },
  infer(ctx) {
    const q = inType(ctx, 0, 'query'),
      k = inType(ctx, 1, 'key'),
      v = inType(ctx, 2, 'value');
    checkDType(q, FLOATS, 'query');
    for (const [t, n] of [
      [k, 'key'],
      [v, 'value'],
    ] as const) {
      if (t.dtype !== q.dtype) throw new Error(`${n} ${formatType(t)} must have the type of query ${formatType(q)}`);
    }
    const rule = ctx.attrs.string('update_rule', 'gated_delta');
    if (!RULES.includes(rule)) throw new Error(`update_rule '${rule}' must be one of ${RULES.join(', ')}`);
    if (rule.startsWith('gated') && !ctx.types[4]) throw new Error(`update_rule '${rule}' needs the decay input`);
    if (rule.endsWith('delta') && !ctx.types[5]) throw new Error(`update_rule '${rule}' needs the beta input`);
    const Hq = ctx.attrs.int('q_num_heads'),
      Hkv = ctx.attrs.int('kv_num_heads');
    if (!q.shape || !k.shape || !v.shape) return [{ dtype: q.dtype }, { dtype: q.dtype }];
    const dk = typeof q.shape[2] === 'number' ? q.shape[2] / Hq : undefined;
    const dv = typeof v.shape[2] === 'number' ? v.shape[2] / Hkv : undefined;
    const outLast = dv !== undefined ? Hq * dv : undefined;
    return [
      { dtype: q.dtype, shape: outLast !== undefined ? [q.shape[0]!, q.shape[1]!, outLast] : undefined },
      { dtype: q.dtype, shape: dk !== undefined && dv !== undefined ? [q.shape[0]!, Hkv, dk, dv] : undefined },
    ];
  },
  run({ inputs: [qt, kt, vt, past, decayT, betaT], attrs }) {
    const Hq = attrs.int('q_num_heads'),
      Hkv = attrs.int('kv_num_heads');
    const rule = attrs.string('update_rule', 'gated_delta');
    const g = geometry(qt!.dims, kt!.dims, vt!.dims, Hq, Hkv);
    const { B, T, dk, dv } = g;
    const scale = attrs.float('scale', 0) || 1 / Math.sqrt(dk);
    const q = toF64(qt!),
      k = toF64(kt!),
      v = toF64(vt!);
    const S = new Float64Array(B * Hkv * dk * dv);
    if (past) {
      if (past.dims.join(',') !== [B, Hkv, dk, dv].join(','))
        throw new Error(`past_state [${past.dims}] must be [${B}, ${Hkv}, ${dk}, ${dv}]`);
      S.set(toF64(past));
    }
    const gated = rule.startsWith('gated'),
      delta = rule.endsWith('delta');
    const decay = gated ? perStep(decayT, g, 'decay', [Hkv * dk, Hkv]) : undefined;
    const beta = delta ? perStep(betaT, g, 'beta', [Hkv, 1]) : undefined;
    if (gated && !decay) throw new Error(`update_rule '${rule}' needs the decay input`);
    if (delta && !beta) throw new Error(`update_rule '${rule}' needs the beta input`);
    const out = new Float64Array(B * T * Hq * dv);
    const group = Hq / Hkv;
    const write = new Float64Array(dv);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < Hkv; h++) {
          const s0 = (b * Hkv + h) * dk * dv;
          const kOff = (b * T + t) * Hkv * dk + h * dk;
          const vOff = (b * T + t) * Hkv * dv + h * dv;
          if (decay) {
            for (let i = 0; i < dk; i++) {
              const f = Math.exp(decay(b, t, h, i));
              for (let j = 0; j < dv; j++) S[s0 + i * dv + j] *= f;
            }
          }
          // what the step writes along k: v itself, or beta times the prediction error
          for (let j = 0; j < dv; j++) {
            if (!beta) {
              write[j] = v[vOff + j]!;
              continue;
            }
            let r = 0;
            for (let i = 0; i < dk; i++) r += S[s0 + i * dv + j]! * k[kOff + i]!;
            write[j] = beta(b, t, h, 0) * (v[vOff + j]! - r);
          }
          for (let i = 0; i < dk; i++) {
            const ki = k[kOff + i]!;
            for (let j = 0; j < dv; j++) S[s0 + i * dv + j] += ki * write[j]!;
          }
        }
        for (let hq = 0; hq < Hq; hq++) {
          const s0 = (b * Hkv + Math.floor(hq / group)) * dk * dv;
          const qOff = (b * T + t) * Hq * dk + hq * dk;
          const oOff = (b * T + t) * Hq * dv + hq * dv;
          for (let j = 0; j < dv; j++) {
            let r = 0;
            for (let i = 0; i < dk; i++) r += q[qOff + i]! * S[s0 + i * dv + j]!;
            out[oOff + j] = scale * r;
          }
        }
      }
    }
    return [fromF64(qt!.type, [B, T, Hq * dv], out), fromF64(qt!.type, [B, Hkv, dk, dv], S)];
  },
  cost(ctx) {
    const state = numelOf(ctx.outTypes[1]);
    const steps = typeof ctx.types[0]?.shape?.[1] === 'number' ? ctx.types[0].shape[1] : 1;
    return {
      flops: state * steps * 6 + numelOf(ctx.outTypes[0]) * 2,
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + ctx.outTypes.reduce((a, t) => a + bytesOf(t), 0),
    };
  },
  onnx: { type: 'LinearAttention', minOpset: 27 },
};

registerOps([linearAttention]);
