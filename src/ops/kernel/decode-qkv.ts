// k.decode_qkv: the attention half of a decode step's projections in one op. The token's hidden
// row is layer- or RMS-normalised, multiplied by the packed Q | K | V weights (and bias), the
// rotary embedding is applied to the Q and K heads at the token's position, and the new K and V
// rows are written into the KV cache at that position. Inputs:
//   0 X [1, 1, K]   1 W [K, (Hq + 2·Hkv)·D] (Q heads, then K heads, then V heads)
//   2 norm scale [K]   3 norm bias? [K]   4 bias? [(Hq + 2·Hkv)·D]   5 position_ids [1, 1] int64
//   6 past_key, 7 past_value [1, Hkv, C, D]   8 cos?, 9 sin? [P, D/2] (rotary when given)
// Outputs: Q [1, Hq, 1, D] (rotated), present_key, present_value [1, Hkv, C, D] (the cache with
// row `position` of every head replaced). Backends may write the cache in place: the caller gives
// the past up (the WebGPU kernel aliases present to past), so nothing else may read the past after.
// With `bits` 4 or 8, W is block-quantized as k.matmul_nbits reads it: uint32 words [N, words]
// (rows: the Q, K, V output features), input 10 the per-block scales, 11 optional float zero points.

import type { Attr } from '../../ir/attributes.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import { Tensor } from '../../ir/tensor.js';
import { dequantizeNBits, nbitsGeometry } from '../contrib-math.js';
import { evalAs } from './delegate.js';

/** Quantized words [N, words] as the float [K, N] matrix the float form multiplies by. */
function dequantizedKN(
  words: Tensor,
  scales: Tensor,
  zp: Tensor | undefined,
  K: number,
  N: number,
  bits: number,
  bs: number,
) {
  const g = nbitsGeometry({ int: (n: string) => ({ K, N, bits, block_size: bs })[n]! });
  const u32 = words.data as Uint32Array;
  const bytes = Uint8Array.from(new Uint8Array(u32.buffer, u32.byteOffset, u32.byteLength));
  const w = dequantizeNBits(g, new Tensor('uint8', bytes, [N, g.kBlocks, g.blobSize]), scales, zp);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = w[n * K + k]!;
  return new Tensor('float32', out, [K, N]);
}

const kdecodeQkv: OpDef = {
  name: 'k.decode_qkv',
  inputs: [
    'X',
    'W',
    'norm_scale',
    'norm_bias?',
    'bias?',
    'position_ids',
    'past_key',
    'past_value',
    'cos_cache?',
    'sin_cache?',
    'w_scales?',
    'w_zero_points?',
  ],
  outputs: ['Q', 'present_key', 'present_value'],
  attrs: {
    q_num_heads: { kind: 'int', required: true },
    kv_num_heads: { kind: 'int', required: true },
    head_size: { kind: 'int', required: true },
    epsilon: { kind: 'float', default: 1e-5 },
    rms: { kind: 'int', default: 0 },
    interleaved: { kind: 'int', default: 0 },
    bits: { kind: 'int', default: 0 },
    block_size: { kind: 'int', default: 32 },
  },
  infer(ctx) {
    const [x, w] = ctx.types;
    const pk = ctx.types[6],
      pv = ctx.types[7];
    if (!x || !w || !pk || !pv || !ctx.types[2] || !ctx.types[5])
      throw new Error('X, W, norm_scale, position_ids, past_key and past_value are required');
    const [hq, hkv, d] = ['q_num_heads', 'kv_num_heads', 'head_size'].map((k) => ctx.attrs.int(k)) as number[];
    if (x.dtype !== 'float32') throw new Error(`k.decode_qkv takes float32 X, got ${x.dtype}`);
    if (x.shape && (x.shape.length !== 3 || x.shape[0] !== 1 || x.shape[1] !== 1))
      throw new Error(`X must be [1, 1, hidden] (one decode token), got [${x.shape.join(', ')}]`);
    const n = (hq! + 2 * hkv!) * d!;
    if (ctx.attrs.int('bits', 0)) {
      if (w.dtype !== 'uint32' || !ctx.types[10]) throw new Error('quantized W needs uint32 words and w_scales');
      if (w.shape && w.shape[0] !== n) throw new Error(`W has ${w.shape[0]} rows, (Hq + 2·Hkv)·D = ${n}`);
    } else if (w.shape && typeof w.shape[1] === 'number' && w.shape[1] !== n)
      throw new Error(`W has ${w.shape[1]} columns, q_num_heads·D + 2·kv_num_heads·D = ${n}`);
    if (pk.shape && (pk.shape[1] !== hkv || pk.shape[3] !== d))
      throw new Error(`past_key must be [1, ${hkv}, capacity, ${d}], got [${pk.shape.join(', ')}]`);
    return [
      { dtype: 'float32', shape: [1, hq!, 1, d!] },
      { dtype: pk.dtype, shape: pk.shape },
      { dtype: pv.dtype, shape: pv.shape },
    ];
  },
  run({ inputs, attrs }) {
    const [x, packed, scale, normBias, bias, pos, pk, pv, cos, sin, ws, wz] = inputs as (Tensor | undefined)[];
    const [hq, hkv, d] = ['q_num_heads', 'kv_num_heads', 'head_size'].map((k) => attrs.int(k)) as number[];
    const K = x!.dims[2]!;
    const bits = attrs.int('bits', 0);
    const w = bits
      ? dequantizedKN(packed!, ws!, wz, K, (hq! + 2 * hkv!) * d!, bits, attrs.int('block_size', 32))
      : packed;
    const normAttrs: Record<string, Attr> = {
      axis: { kind: 'int', value: 2 },
      epsilon: { kind: 'float', value: attrs.float('epsilon', 1e-5) },
      rms: { kind: 'int', value: attrs.int('rms', 0) },
    };
    const [xn] = evalAs('k.layernorm', [x!, scale!, normBias], normAttrs);
    const [y] = evalAs('k.matmul', [xn!.reshape([1, K]), w!], {});
    const row = Float32Array.from(y!.data as Float32Array);
    if (bias) for (let i = 0; i < row.length; i++) row[i]! += (bias.data as Float32Array)[i]!;
    const heads = (from: number, h: number) => new Tensor('float32', row.slice(from, from + h * d!), [1, h, 1, d!]);
    let q = heads(0, hq!),
      k = heads(hq! * d!, hkv!);
    const v = heads((hq! + hkv!) * d!, hkv!);
    if (cos && sin) {
      const ropeAttrs: Record<string, Attr> = { interleaved: { kind: 'int', value: attrs.int('interleaved', 0) } };
      [q] = evalAs('nn.RotaryEmbedding', [q, cos, sin, pos], ropeAttrs);
      [k] = evalAs('nn.RotaryEmbedding', [k!, cos, sin, pos], ropeAttrs);
    }
    const C = pk!.dims[2]!;
    const p = Number((pos!.data as BigInt64Array)[0]);
    if (!(p >= 0 && p < C)) throw new Error(`position ${p} is outside the KV cache (capacity ${C})`);
    const write = (past: Tensor, rows: Tensor) => {
      const out = Float32Array.from(past.data as Float32Array);
      const src = rows.data as Float32Array;
      for (let h = 0; h < hkv!; h++) out.set(src.subarray(h * d!, (h + 1) * d!), (h * C + p) * d!);
      return new Tensor('float32', out, past.dims);
    };
    return [q!, write(pk!, k!), write(pv!, v)];
  },
  cost(ctx) {
    const w = ctx.types[1]?.shape;
    const n = w?.every((s) => typeof s === 'number') ? (w as number[]).reduce((a, b) => a * b, 1) : 0;
    return { flops: 2 * n, bytes: 4 * n };
  },
};

registerOps([kdecodeQkv]);
