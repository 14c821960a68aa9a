// The step graph's attention projections for devices with the k.decode_qkv kernel (WebGPU): Q, K
// and V weights packed into one matrix (made once per layer, shared by every graph of the model),
// so prefill runs one matmul and a Split, and decode one k.decode_qkv node that normalises the
// row, multiplies, applies RoPE and writes the new K/V rows into the cache in place.

import '../../ops/kernel/decode-qkv.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { Builder } from './model-builder.js';
import { isQ8, type LayerWeights, type Linear } from './weights.js';

/** Whether a layer's projections can be packed: float weights, no per-head q/k norm. */
export function packable(l: LayerWeights): boolean {
  return !isQ8(l.q.w) && !isQ8(l.k.w) && !isQ8(l.v.w) && !l.qNorm && !l.kNorm;
}

const packed = new WeakMap<LayerWeights, Linear>();

/** [K, Nq + 2·Nkv]: the columns of Q, then K, then V (and their biases, zeros where one lacks it). */
export function packedQkv(l: LayerWeights): Linear {
  let p = packed.get(l);
  if (!p) {
    const parts = [l.q, l.k, l.v];
    const ws = parts.map((x) => x.w as Tensor);
    const K = ws[0]!.dims[0]!;
    const widths = ws.map((w) => w.dims[1]!);
    const N = widths.reduce((a, b) => a + b, 0);
    const out = new Float32Array(K * N);
    for (let r = 0; r < K; r++) {
      let at = r * N;
      ws.forEach((w, j) => {
        out.set((w.data as Float32Array).subarray(r * widths[j]!, (r + 1) * widths[j]!), at);
        at += widths[j]!;
      });
    }
    let b: Tensor | undefined;
    if (parts.some((x) => x.b)) {
      const bias = new Float32Array(N);
      let at = 0;
      parts.forEach((x, j) => {
        if (x.b) bias.set(x.b.data as Float32Array, at);
        at += widths[j]!;
      });
      b = new Tensor('float32', bias, [N]);
    }
    p = { w: new Tensor('float32', out, [K, N]), b };
    packed.set(l, p);
  }
  return p;
}

/** Prefill (n rows): one matmul with the packed weights, split into the three [1, heads, n, D] parts. */
export function packedProjections(b: Builder, h: Value, l: LayerWeights, n: number, i: number): [Value, Value, Value] {
  const c = b.c,
    g = b.g;
  const y = b.linear(h, packedQkv(l), `layers.${i}.attn.qkv`);
  const widths = [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.numKvHeads * c.headDim];
  const [q, k, v] = g.opN('Split', [y, b.i64(widths)], { axis: 2 }, 3) as [Value, Value, Value];
  return [b.heads(q, n, c.numHeads), b.heads(k, n, c.numKvHeads), b.heads(v, n, c.numKvHeads)];
}

/**
 * Decode (one row): k.decode_qkv over the un-normalised residual `x`: the rotated Q [1, Hq, 1, D]
 * and the cache with this position's K/V rows written.
 */
export function fusedDecodeQkv(
  b: Builder,
  x: Value,
  l: LayerWeights,
  i: number,
  pos: Value,
  past: [Value, Value],
  rope: { cos: Value; sin: Value } | undefined,
): [Value, Value, Value] {
  const c = b.c,
    g = b.g;
  const p = packedQkv(l);
  const norm = l.attnNorm;
  const gpt2 = c.arch === 'gpt2';
  const ins = [
    x,
    b.k(p.w as Tensor, `layers.${i}.attn.qkv.weight`),
    b.k(norm.w, `layers.${i}.attn_norm.weight`),
    gpt2 && norm.b ? b.k(norm.b, `layers.${i}.attn_norm.bias`) : null,
    p.b ? b.k(p.b, `layers.${i}.attn.qkv.bias`) : null,
    pos,
    past[0],
    past[1],
    rope ? rope.cos : null,
    rope ? rope.sin : null,
  ];
  const attrs = {
    q_num_heads: c.numHeads,
    kv_num_heads: c.numKvHeads,
    head_size: c.headDim,
    epsilon: c.normEps,
    rms: gpt2 ? 0 : 1,
    interleaved: c.ropeInterleaved ? 1 : 0,
  };
  return g.opN('k.decode_qkv', ins, attrs, 3, `layers.${i}.attn.qkv_rope_cache`) as [Value, Value, Value];
}
