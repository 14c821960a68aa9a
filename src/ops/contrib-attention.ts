// com.microsoft Attention (BERT-style: one packed QKV projection of the input, optional
// mask_index, a [2, B, N, P, H] past that becomes present) and MultiHeadAttention (Q, K, V given,
// with bias, key_padding_mask, attention_bias and past_key / past_value -> present_key /
// present_value), as ONNX Runtime's ContribOperators.md defines them. Masked scores get
// mask_filter_value added (-10000 by default, so a fully masked row still averages), unidirectional
// adds it above the causal frontier (query i sees keys j <= i + past). Core: contrib-attention-core.

import type { TensorType } from '../ir/graph.js';
import { type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims } from '../ir/shape.js';
import { numGetter, Tensor } from '../ir/tensor.js';
import { attend, biasReader, concatCache, splitHeads } from './contrib-attention-core.js';
import { isNum, MS_DOMAIN, MS_FLOATS, sameTypeAs } from './contrib-util.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, inType } from './util.js';

const COMMON_ATTRS = {
  num_heads: { kind: 'int' as const, required: true },
  mask_filter_value: { kind: 'float' as const, default: -10000 },
  scale: { kind: 'float' as const, default: 0 },
  unidirectional: { kind: 'int' as const, default: 0 },
};

function heads(a: { int(n: string): number }): number {
  const n = a.int('num_heads');
  if (!(n > 0)) throw new Error(`num_heads must be positive, got ${n}`);
  return n;
}

function divide(d: Dim | undefined, n: number, what: string): Dim | undefined {
  if (isNum(d) && d % n !== 0) throw new Error(`${what} ${d} is not divisible by num_heads ${n}`);
  return isNum(d) ? d / n : d;
}

/**
 * Additive mask from mask_index / key_padding_mask: 1-D lengths ([B] ends or [2B] ends+starts), 2-D [B, T], 3-D [B, S,
 * T].
 */
function maskTerm(
  mask: Tensor | undefined,
  B: number,
  T: number,
  filter: number,
): ((b: number, i: number, j: number) => number) | undefined {
  if (!mask) return undefined;
  const g = numGetter(mask);
  const r = mask.dims.length;
  if (r === 1) {
    const two = mask.dims[0] === 2 * B;
    if (!two && mask.dims[0] !== B)
      throw new Error(`1-D mask has ${mask.dims[0]} entries; [batch] (${B}) or [2·batch] expected`);
    return (b, _i, j) => (j >= g(b) || (two && j < g(B + b)) ? filter : 0);
  }
  if (r === 2) {
    if (mask.dims[0] !== B || mask.dims[1] !== T)
      throw new Error(
        `2-D mask has shape ${formatDims(mask.dims)}; [batch, total_sequence_length] = [${B}, ${T}] expected`,
      );
    return (b, _i, j) => (g(b * T + j) > 0 ? 0 : filter);
  }
  if (r === 3) {
    const S = mask.dims[1]!;
    if (mask.dims[0] !== B || mask.dims[2] !== T)
      throw new Error(`3-D mask has shape ${formatDims(mask.dims)}; [batch, seq, total_sequence_length] expected`);
    return (b, i, j) => (g((b * S + i) * T + j) > 0 ? 0 : filter);
  }
  throw new Error(`mask with shape ${formatDims(mask.dims)} is not supported (1-D, 2-D or 3-D)`);
}

/** The bias of every score: mask, causal frontier and attention_bias, summed. */
function scoreBias(
  ctx: RunContext,
  mask: Tensor | undefined,
  attnBias: Tensor | undefined,
  B: number,
  T: number,
  P: number,
) {
  const filter = ctx.attrs.float('mask_filter_value', -10000);
  const m = maskTerm(mask, B, T, filter);
  const causal = ctx.attrs.int('unidirectional', 0) !== 0;
  const ab = attnBias ? biasReader(attnBias, toF64(attnBias)) : undefined;
  return (b: number, h: number, i: number, j: number): number =>
    (m ? m(b, i, j) : 0) + (causal && j > i + P ? filter : 0) + (ab ? ab(b, h, i, j) : 0);
}

// ---------------------------------------------------------------------------------------------
// Attention: input [B, S, Din] · weights [Din, Dq + Dk + Dv] (+ bias) -> Q, K, V.

function qkvSizes(
  ctx: { attrs: { ints(n: string, d?: number[]): number[] } },
  total: Dim | undefined,
): [number, number, number] | undefined {
  const sizes = ctx.attrs.ints('qkv_hidden_sizes', []);
  if (sizes.length) {
    if (sizes.length !== 3) throw new Error(`qkv_hidden_sizes must have 3 values, got ${sizes.length}`);
    if (isNum(total) && sizes[0]! + sizes[1]! + sizes[2]! !== total)
      throw new Error(`qkv_hidden_sizes ${sizes.join('+')} must add up to weights' last dim ${total}`);
    if (sizes[0] !== sizes[1])
      throw new Error(`qkv_hidden_sizes: Q and K sizes must be equal, got ${sizes[0]} and ${sizes[1]}`);
    return sizes as [number, number, number];
  }
  if (!isNum(total)) return undefined;
  if (total % 3 !== 0) throw new Error(`weights' last dim ${total} must be 3·hidden (or give qkv_hidden_sizes)`);
  return [total / 3, total / 3, total / 3];
}

const attention: OpDef = {
  name: 'ms.Attention',
  inputs: ['input', 'weights', 'bias?', 'mask_index?', 'past?', 'attention_bias?', 'past_sequence_length?'],
  outputs: ['output', 'present?'],
  attrs: {
    ...COMMON_ATTRS,
    qkv_hidden_sizes: { kind: 'ints' },
    do_rotary: { kind: 'int', default: 0 },
    past_present_share_buffer: { kind: 'int', default: 0 },
    rotary_embedding_dim: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const N = heads(ctx.attrs);
    const x = inType(ctx, 0, 'input'),
      w = inType(ctx, 1, 'weights');
    checkDType(x, MS_FLOATS, 'input');
    sameTypeAs(w, x, 'weights');
    sameTypeAs(ctx.types[2], x, 'bias');
    if (ctx.attrs.int('do_rotary', 0) || ctx.attrs.int('past_present_share_buffer', 0))
      throw new Error('do_rotary and past_present_share_buffer are not supported');
    if (x.shape && x.shape.length !== 3)
      throw new Error(`input has shape ${formatDims(x.shape)}; it must be 3-D [batch, seq, input_hidden]`);
    if (w.shape && w.shape.length !== 2)
      throw new Error(`weights has shape ${formatDims(w.shape)}; it must be 2-D [input_hidden, Dq + Dk + Dv]`);
    const sizes = qkvSizes(ctx, w.shape?.[1]);
    if (!x.shape || !sizes) return [{ dtype: x.dtype }, { dtype: x.dtype }];
    const H = divide(sizes[1], N, 'K hidden size');
    divide(sizes[2], N, 'V hidden size');
    const past = ctx.types[4];
    if (past?.shape && past.shape.length !== 5)
      throw new Error(
        `past has shape ${formatDims(past.shape)}; it must be [2, batch, num_heads, past_seq, head_size]`,
      );
    const P = past?.shape ? past.shape[3]! : 0;
    const T: Dim = isNum(P) && isNum(x.shape[1]) ? P + x.shape[1] : `${P}_plus_${x.shape[1]}`;
    return [
      { dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, sizes[2]] },
      { dtype: x.dtype, shape: [2, x.shape[0]!, N, T, H!] },
    ];
  },
  run(ctx) {
    const [x, w, bias, mask, past, attnBias] = ctx.inputs;
    const N = heads(ctx.attrs);
    const [B, S, Din] = x!.dims as [number, number, number];
    const [dq, dk, dv] = qkvSizes(ctx, w!.dims[1])!;
    const total = dq + dk + dv;
    const xv = toF64(x!),
      wv = toF64(w!),
      bv = bias ? toF64(bias) : undefined;
    const proj = new Float64Array(B * S * total);
    for (let r = 0; r < B * S; r++) {
      for (let c = 0; c < total; c++) {
        let s = bv ? bv[c]! : 0;
        for (let i = 0; i < Din; i++) s += xv[r * Din + i]! * wv[i * total + c]!;
        proj[r * total + c] = s;
      }
    }
    const H = dk / N,
      Hv = dv / N;
    const P = past ? past.dims[3]! : 0,
      T = P + S;
    const pv = past ? toF64(past) : undefined;
    const half = B * N * P * H;
    const k = concatCache(pv?.subarray(0, half), P, splitHeads(proj, B, S, N, H, total, dq), B, N, S, H);
    const v = concatCache(pv?.subarray(half), P, splitHeads(proj, B, S, N, Hv, total, dq + dk), B, N, S, Hv);
    const scale = ctx.attrs.float('scale', 0) || 1 / Math.sqrt(dq / N);
    const y = attend({
      B,
      Hq: N,
      Hkv: N,
      Sq: S,
      T,
      D: H,
      Dv: Hv,
      q: splitHeads(proj, B, S, N, dq / N, total, 0),
      k,
      v,
      scale,
      bias: scoreBias(ctx, mask, attnBias, B, T, P),
    });
    const present = new Float64Array(k.length + v.length);
    present.set(k);
    present.set(v, k.length);
    return [fromF64(x!.type, [B, S, dv], y), fromF64(x!.type, [2, B, N, T, H], present)];
  },
  onnx: { type: 'Attention', domain: MS_DOMAIN },
};

// ---------------------------------------------------------------------------------------------
// MultiHeadAttention: query [B, S, D]; key/value [B, L, D] (projected here by the caller) or
// [B, N, L, H] (already split into heads, no past); or packed QKV query [B, S, N, 3, H].

interface MhaLayout {
  B: Dim;
  S: Dim;
  L: Dim;
  D: Dim;
  Dv: Dim;
  packed: boolean;
  kv4: boolean;
}

function mhaLayout(types: (TensorType | undefined)[], N: number): MhaLayout | undefined {
  const [q, k, v] = types;
  if (!q?.shape) return undefined;
  if (!k) {
    if (q.shape.length !== 5 || q.shape[3] !== 3)
      throw new Error(
        `query has shape ${formatDims(q.shape)}; without key it must be packed QKV [batch, seq, num_heads, 3, ` +
          `head_size]`,
      );
    const H = q.shape[4]!;
    const D = isNum(H) ? H * N : H;
    return { B: q.shape[0]!, S: q.shape[1]!, L: q.shape[1]!, D, Dv: D, packed: true, kv4: false };
  }
  if (!v) throw new Error('value is required when key is given');
  if (q.shape.length !== 3)
    throw new Error(`query has shape ${formatDims(q.shape)}; it must be 3-D [batch, seq, hidden]`);
  if (!k.shape || !v.shape) return undefined;
  const kv4 = k.shape.length === 4;
  if (!kv4 && k.shape.length !== 3)
    throw new Error(
      `key has shape ${formatDims(k.shape)}; [batch, kv_seq, hidden] or [batch, num_heads, kv_seq, head_size] expected`,
    );
  const L = kv4 ? k.shape[2]! : k.shape[1]!;
  const Dv = kv4 ? (isNum(v.shape[3]) ? v.shape[3] * N : v.shape[3]!) : v.shape[2]!;
  return { B: q.shape[0]!, S: q.shape[1]!, L, D: q.shape[2]!, Dv, packed: false, kv4 };
}

const mha: OpDef = {
  name: 'ms.MultiHeadAttention',
  inputs: [
    'query',
    'key?',
    'value?',
    'bias?',
    'key_padding_mask?',
    'attention_bias?',
    'past_key?',
    'past_value?',
    'past_sequence_length?',
    'cache_indirection?',
  ],
  outputs: ['output', 'present_key?', 'present_value?', 'qk?'],
  attrs: COMMON_ATTRS,
  infer(ctx) {
    const N = heads(ctx.attrs);
    const q = inType(ctx, 0, 'query');
    checkDType(q, MS_FLOATS, 'query');
    for (const [i, n] of [
      [1, 'key'],
      [2, 'value'],
      [3, 'bias'],
      [5, 'attention_bias'],
      [6, 'past_key'],
      [7, 'past_value'],
    ] as const)
      sameTypeAs(ctx.types[i], q, n, 'query');
    if (ctx.types[9]) throw new Error('cache_indirection (beam search) is not supported');
    const g = mhaLayout(ctx.types, N);
    if (!g) return [{ dtype: q.dtype }, { dtype: q.dtype }, { dtype: q.dtype }, { dtype: q.dtype }];
    if (g.kv4 && (ctx.types[6] || ctx.types[3]))
      throw new Error('key/value already split into heads cannot be combined with past_key or bias');
    const H = divide(g.D, N, 'query hidden size'),
      Hv = divide(g.Dv, N, 'value hidden size');
    const pk = ctx.types[6];
    if (!!pk !== !!ctx.types[7]) throw new Error('past_key and past_value must be given together');
    if (pk?.shape && pk.shape.length !== 4)
      throw new Error(`past_key has shape ${formatDims(pk.shape)}; it must be [batch, num_heads, past_seq, head_size]`);
    const P = pk?.shape ? pk.shape[2]! : 0;
    const T: Dim = isNum(P) && isNum(g.L) ? P + g.L : `${P}_plus_${g.L}`;
    return [
      { dtype: q.dtype, shape: [g.B, g.S, g.Dv] },
      { dtype: q.dtype, shape: [g.B, N, T, H!] },
      { dtype: q.dtype, shape: [g.B, N, T, Hv!] },
      { dtype: q.dtype, shape: [g.B, N, g.S, T] },
    ];
  },
  run(ctx) {
    const [q, k, v, bias, kpm, attnBias, pastK, pastV] = ctx.inputs;
    const N = heads(ctx.attrs);
    const g = mhaLayout(
      ctx.inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims] } : undefined)),
      N,
    )!;
    const [B, S, L, D, Dv] = [g.B, g.S, g.L, g.D, g.Dv] as number[];
    const H = D / N,
      Hv = Dv / N;
    const bv = bias ? toF64(bias) : undefined;
    const addBias = (x: Float64Array, rowLen: number, off: number): Float64Array => {
      if (!bv) return x;
      const out = Float64Array.from(x);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + bv[off + (i % rowLen)]!;
      return out;
    };
    let Q: Float64Array, K: Float64Array, V: Float64Array;
    if (g.packed) {
      // [B, S, N, 3, H]: one row of N·3·H per token; Q, K, V interleave per head
      const x = toF64(q!);
      const pick = (which: number) => {
        const out = new Float64Array(B * N * S * H);
        for (let b = 0; b < B; b++)
          for (let s = 0; s < S; s++)
            for (let n = 0; n < N; n++)
              for (let d = 0; d < H; d++) {
                out[((b * N + n) * S + s) * H + d] =
                  x[(((b * S + s) * N + n) * 3 + which) * H + d]! + (bv ? bv[which * D + n * H + d]! : 0);
              }
        return out;
      };
      Q = pick(0);
      K = pick(1);
      V = pick(2);
    } else {
      Q = splitHeads(addBias(toF64(q!), D, 0), B, S, N, H);
      K = g.kv4 ? toF64(k!) : splitHeads(addBias(toF64(k!), D, D), B, L, N, H);
      V = g.kv4 ? toF64(v!) : splitHeads(addBias(toF64(v!), Dv, 2 * D), B, L, N, Hv);
    }
    const P = pastK ? pastK.dims[2]! : 0,
      T = P + L;
    K = concatCache(pastK ? toF64(pastK) : undefined, P, K, B, N, L, H);
    V = concatCache(pastV ? toF64(pastV) : undefined, P, V, B, N, L, Hv);
    const wantQK = ctx.node.outputs[3] != null;
    const qk = wantQK ? new Float64Array(B * N * S * T) : undefined;
    const y = attend({
      B,
      Hq: N,
      Hkv: N,
      Sq: S,
      T,
      D: H,
      Dv: Hv,
      q: Q,
      k: K,
      v: V,
      scale: ctx.attrs.float('scale', 0) || 1 / Math.sqrt(H),
      bias: scoreBias(ctx, kpm, attnBias, B, T, P),
      onScores: qk ? (b, h, i, row) => qk.set(row.subarray(0, T), ((b * N + h) * S + i) * T) : undefined,
    });
    const t = q!.type;
    return [
      fromF64(t, [B, S, Dv], y),
      fromF64(t, [B, N, T, H], K),
      fromF64(t, [B, N, T, Hv], V),
      qk ? fromF64(t, [B, N, S, T], qk) : Tensor.zeros(t, [0]),
    ].slice(0, Math.max(1, ctx.node.outputs.length));
  },
  onnx: { type: 'MultiHeadAttention', domain: MS_DOMAIN },
};

registerOps([attention, mha]);
