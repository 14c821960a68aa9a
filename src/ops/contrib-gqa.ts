// com.microsoft GroupQueryAttention (ONNX Runtime contrib op), the decoder attention of the
// models ONNX Runtime GenAI and Optimum export: Q with num_heads, K/V with kv_num_heads (or one
// packed QKV input), a KV cache past_key/past_value [B, kv_heads, P, H] -> present [B, kv_heads,
// max(P, total), H], per-batch lengths seqlens_k (= total length - 1), optional rotary embedding
// of Q and K from cos/sin caches, causal masking, a local (sliding) window, softcap and
// smooth_softmax. As in ONNX Runtime, a first prompt (sequence_length == total_sequence_length)
// starts every batch row at position 0; later calls append at total_b - S. Query i of row b sees
// keys [max(0, end - local_window_size), end) with end = min(past_b + i + 1, total_b), so padding
// queries of a right-padded prompt attend to the row's real tokens only. Cache positions past a
// row's total length are left zero.

import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims } from '../ir/shape.js';
import { numGetter } from '../ir/tensor.js';
import { attend, biasReader, splitHeads } from './contrib-attention-core.js';
import { isNum, MS_DOMAIN, MS_FLOATS, sameTypeAs } from './contrib-util.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, inType } from './util.js';

interface GqaAttrs {
  N: number;
  KvN: number;
}

function gqaAttrs(a: { int(n: string, d?: number): number }): GqaAttrs {
  const N = a.int('num_heads'),
    KvN = a.int('kv_num_heads');
  if (!(N > 0) || !(KvN > 0) || N % KvN !== 0)
    throw new Error(`num_heads (${N}) must be a positive multiple of kv_num_heads (${KvN})`);
  return { N, KvN };
}

function headSize(q: TensorType, packed: boolean, { N, KvN }: GqaAttrs): Dim | undefined {
  const d = q.shape?.[2];
  if (!isNum(d)) return d;
  const parts = packed ? N + 2 * KvN : N;
  if (d % parts !== 0)
    throw new Error(
      `query hidden size ${d} is not divisible by ${packed ? 'num_heads + 2·kv_num_heads' : 'num_heads'} = ${parts}`,
    );
  return d / parts;
}

const gqa: OpDef = {
  name: 'ms.GroupQueryAttention',
  inputs: [
    'query',
    'key?',
    'value?',
    'past_key?',
    'past_value?',
    'seqlens_k',
    'total_sequence_length',
    'cos_cache?',
    'sin_cache?',
    'position_ids?',
    'attention_bias?',
    'head_sink?',
  ],
  outputs: ['output', 'present_key', 'present_value', 'output_qk?'],
  attrs: {
    num_heads: { kind: 'int', required: true },
    kv_num_heads: { kind: 'int', required: true },
    scale: { kind: 'float', default: 0 },
    softcap: { kind: 'float', default: 0 },
    local_window_size: { kind: 'int', default: -1 },
    do_rotary: { kind: 'int', default: 0 },
    rotary_interleaved: { kind: 'int', default: 0 },
    smooth_softmax: { kind: 'int', default: 0 },
    qk_output: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const at = gqaAttrs(ctx.attrs);
    const q = inType(ctx, 0, 'query');
    checkDType(q, MS_FLOATS, 'query');
    if (q.shape && q.shape.length !== 3)
      throw new Error(`query has shape ${formatDims(q.shape)}; it must be [batch, seq, hidden] (or packed QKV)`);
    for (const [i, n] of [
      [1, 'key'],
      [2, 'value'],
      [3, 'past_key'],
      [4, 'past_value'],
      [7, 'cos_cache'],
      [8, 'sin_cache'],
      [10, 'attention_bias'],
    ] as const) {
      sameTypeAs(ctx.types[i], q, n, 'query');
    }
    checkDType(inType(ctx, 5, 'seqlens_k'), ['int32'], 'seqlens_k');
    checkDType(inType(ctx, 6, 'total_sequence_length'), ['int32'], 'total_sequence_length');
    if (ctx.types[11]) throw new Error('head_sink is not supported');
    if (ctx.attrs.int('qk_output', 0) !== 0) throw new Error('qk_output is not supported');
    if (!!ctx.types[1] !== !!ctx.types[2])
      throw new Error('key and value must be given together (or neither, for packed QKV)');
    if (!!ctx.types[3] !== !!ctx.types[4]) throw new Error('past_key and past_value must be given together');
    if (ctx.attrs.int('do_rotary', 0) && (!ctx.types[7] || !ctx.types[8]))
      throw new Error('do_rotary=1 needs cos_cache and sin_cache');
    const H = headSize(q, !ctx.types[1], at);
    const pk = ctx.types[3];
    if (pk?.shape && pk.shape.length !== 4)
      throw new Error(
        `past_key has shape ${formatDims(pk.shape)}; it must be [batch, kv_num_heads, past_seq, head_size]`,
      );
    const B = q.shape?.[0];
    const total = ctx.consts[6] ? numGetter(ctx.consts[6])(0) : undefined;
    const P = pk?.shape?.[2];
    const present: Dim = total !== undefined && (P === undefined || isNum(P)) ? Math.max(total, P ?? 0) : 'present_seq';
    const kv = (): TensorType => ({
      dtype: q.dtype,
      shape: B !== undefined && H !== undefined ? [B, at.KvN, present, H] : undefined,
    });
    const S = q.shape?.[1];
    return [
      { dtype: q.dtype, shape: B !== undefined && isNum(H) ? [B, S!, at.N * H] : undefined },
      kv(),
      kv(),
      { dtype: q.dtype },
    ];
  },
  run(ctx) {
    const [q, k, v, pastK, pastV, seqlens, totalT, cos, sin, posIds, attnBias] = ctx.inputs;
    const at = gqaAttrs(ctx.attrs);
    const { N, KvN } = at;
    const packed = !k;
    const [B, S] = q!.dims as [number, number];
    const H = headSize({ dtype: q!.type, shape: [...q!.dims] }, packed, at) as number;
    const total = numGetter(totalT!)(0);
    const P = pastK ? pastK.dims[2]! : 0;
    const present = Math.max(total, P);
    const firstPrompt = S > 1 && S === total;
    const lens = numGetter(seqlens!);
    const pastLen = (b: number): number => (firstPrompt ? 0 : lens(b) + 1 - S);
    for (let b = 0; b < B; b++) {
      const p = pastLen(b);
      if (p < 0 || p + S > present)
        throw new Error(
          `seqlens_k[${b}] = ${lens(b)} does not fit: ${S} new tokens after ${p} past ones exceed the cache of ` +
            `${present}`,
        );
    }
    const qv = toF64(q!);
    const rowQ = packed ? (N + 2 * KvN) * H : N * H;
    let Q = splitHeads(qv, B, S, N, H, rowQ, 0);
    let K = packed ? splitHeads(qv, B, S, KvN, H, rowQ, N * H) : splitHeads(toF64(k!), B, S, KvN, H);
    const V = packed ? splitHeads(qv, B, S, KvN, H, rowQ, (N + KvN) * H) : splitHeads(toF64(v!), B, S, KvN, H);
    if (ctx.attrs.int('do_rotary', 0)) {
      const posOf = posIds
        ? (
            (g) => (b: number, s: number) =>
              g(b * S + s)
          )(numGetter(posIds))
        : (b: number, s: number) => pastLen(b) + s;
      const rope = rotate(
        toF64(cos!),
        toF64(sin!),
        cos!.dims as number[],
        H,
        ctx.attrs.int('rotary_interleaved', 0) !== 0,
        posOf,
      );
      Q = rope(Q, B, N, S);
      K = rope(K, B, KvN, S);
    }
    // present: the past rows each batch keeps, then the new tokens at its offset
    const pk = pastK ? toF64(pastK) : undefined,
      pv = pastV ? toF64(pastV) : undefined;
    const fill = (past: Float64Array | undefined, cur: Float64Array): Float64Array => {
      const out = new Float64Array(B * KvN * present * H);
      for (let b = 0; b < B; b++) {
        const p = pastLen(b);
        for (let h = 0; h < KvN; h++) {
          const dst = (b * KvN + h) * present * H;
          if (past) out.set(past.subarray((b * KvN + h) * P * H, ((b * KvN + h) * P + Math.min(p, P)) * H), dst);
          out.set(cur.subarray((b * KvN + h) * S * H, (b * KvN + h + 1) * S * H), dst + p * H);
        }
      }
      return out;
    };
    const Kp = fill(pk, K),
      Vp = fill(pv, V);
    const win = ctx.attrs.int('local_window_size', -1);
    const ab = attnBias ? biasReader(attnBias, toF64(attnBias)) : undefined;
    const y = attend({
      B,
      Hq: N,
      Hkv: KvN,
      Sq: S,
      T: present,
      D: H,
      Dv: H,
      q: Q,
      k: Kp,
      v: Vp,
      scale: ctx.attrs.float('scale', 0) || 1 / Math.sqrt(H),
      softcap: ctx.attrs.float('softcap', 0),
      smooth: ctx.attrs.int('smooth_softmax', 0) !== 0,
      window: (b, i) => {
        const end = Math.min(pastLen(b) + i + 1, lens(b) + 1);
        return [win > 0 && end > win ? end - win : 0, end];
      },
      bias: ab,
    });
    const t = q!.type;
    return [fromF64(t, [B, S, N * H], y), fromF64(t, [B, KvN, present, H], Kp), fromF64(t, [B, KvN, present, H], Vp)];
  },
  onnx: { type: 'GroupQueryAttention', domain: MS_DOMAIN },
};

/** Rotary embedding of [B, heads, S, H] rows at the positions posOf(b, s); rotary dim = 2 · cache width. */
function rotate(
  cos: Float64Array,
  sin: Float64Array,
  cacheDims: number[],
  H: number,
  interleaved: boolean,
  posOf: (b: number, s: number) => number,
) {
  const [maxPos, half] = cacheDims as [number, number];
  if (2 * half > H) throw new Error(`cos_cache width ${half} is more than half the head size ${H}`);
  return (x: Float64Array, B: number, heads: number, S: number): Float64Array => {
    const out = Float64Array.from(x);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < heads; h++)
        for (let s = 0; s < S; s++) {
          const p = posOf(b, s);
          if (!(p >= 0 && p < maxPos))
            throw new Error(
              `position ${p} (batch ${b}, token ${s}) is outside the rotary caches of ${maxPos} positions`,
            );
          const base = ((b * heads + h) * S + s) * H;
          for (let m = 0; m < half; m++) {
            const i1 = base + (interleaved ? 2 * m : m),
              i2 = base + (interleaved ? 2 * m + 1 : m + half);
            const c = cos[p * half + m]!,
              sn = sin[p * half + m]!;
            const x1 = x[i1]!,
              x2 = x[i2]!;
            out[i1] = c * x1 - sn * x2;
            out[i2] = sn * x1 + c * x2;
          }
        }
    return out;
  };
}

registerOps([gqa]);
