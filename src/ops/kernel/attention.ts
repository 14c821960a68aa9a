// k.attention: nn.Attention over one packed projection, [batch, seq, q | k | v] with the query
// heads (q_num_heads × head_size), then the key heads (kv_num_heads × head_size), then the value
// heads (kv_num_heads × v_head_size) side by side on the last axis, as one fused QKV matmul writes
// them. Optional mask and past cache as nn.Attention's inputs 3-5. Output [batch, seq,
// q_num_heads × v_head_size]. Semantics: slice the three parts, then nn.Attention (3-D).

import type { Attr } from '../../ir/attributes.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import { Tensor } from '../../ir/tensor.js';
import { evalAs } from './delegate.js';

/** Columns [from, from + n) of the last axis of a 3-D tensor. */
function columns(t: Tensor, from: number, n: number): Tensor {
  const [B, S, W] = t.dims as [number, number, number];
  const src = t.data as Float32Array;
  const out = new Float32Array(B * S * n);
  for (let r = 0; r < B * S; r++) out.set(src.subarray(r * W + from, r * W + from + n), r * n);
  return new Tensor('float32', out, [B, S, n]);
}

const kattention: OpDef = {
  name: 'k.attention',
  inputs: ['QKV', 'attn_mask?', 'past_key?', 'past_value?'],
  outputs: ['Y'],
  attrs: {
    q_num_heads: { kind: 'int', required: true },
    kv_num_heads: { kind: 'int', required: true },
    head_size: { kind: 'int', required: true },
    v_head_size: { kind: 'int', required: true },
    scale: { kind: 'float' },
    is_causal: { kind: 'int', default: 0 },
    softcap: { kind: 'float', default: 0 },
    pad_short_mask: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = ctx.types[0];
    if (!x) throw new Error('QKV is required');
    if (x.dtype !== 'float32') throw new Error(`k.attention takes float32, got ${x.dtype}`);
    const [hq, hkv, d, dv] = ['q_num_heads', 'kv_num_heads', 'head_size', 'v_head_size'].map((k) => ctx.attrs.int(k));
    if (!x.shape) return [{ dtype: x.dtype }];
    if (x.shape.length !== 3) throw new Error(`QKV must be 3-D [batch, seq, packed], got rank ${x.shape.length}`);
    const w = hq! * d! + hkv! * (d! + dv!);
    if (typeof x.shape[2] === 'number' && x.shape[2] !== w)
      throw new Error(
        `QKV last dim ${x.shape[2]} is not q_num_heads·head_size + kv_num_heads·(head_size + v_head_size) = ${w}`,
      );
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, hq! * dv!] }];
  },
  run({ inputs, attrs }) {
    const [qkv, mask, pk, pv] = inputs as (Tensor | undefined)[];
    const [hq, hkv, d, dv] = ['q_num_heads', 'kv_num_heads', 'head_size', 'v_head_size'].map((k) => attrs.int(k));
    const q = columns(qkv!, 0, hq! * d!);
    const k = columns(qkv!, hq! * d!, hkv! * d!);
    const v = columns(qkv!, hq! * d! + hkv! * d!, hkv! * dv!);
    const a: Record<string, Attr> = {
      q_num_heads: { kind: 'int', value: hq! },
      kv_num_heads: { kind: 'int', value: hkv! },
      is_causal: { kind: 'int', value: attrs.int('is_causal', 0) },
      softcap: { kind: 'float', value: attrs.float('softcap', 0) },
      pad_short_mask: { kind: 'int', value: attrs.int('pad_short_mask', 1) },
    };
    if (attrs.has('scale')) a.scale = { kind: 'float', value: attrs.float('scale') };
    return evalAs('nn.Attention', [q, k, v, mask, pk, pv], a);
  },
  cost(ctx) {
    const x = ctx.types[0]?.shape;
    const n = x?.every((s) => typeof s === 'number') ? (x as number[]).reduce((p, q) => p * q, 1) : 0;
    return { flops: 4 * n * (typeof x?.[1] === 'number' ? x[1] : 1), bytes: 4 * n };
  },
};

registerOps([kattention]);
