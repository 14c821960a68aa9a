// Rotary embedding and attention written out in plain ops (Gather, Split, Concat, MatMul, Softmax,
// elementwise): for devices without RotaryEmbedding / Attention kernels, and for the full-sequence
// oracle graphs that check those ops and export to ONNX.

import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { Builder } from './model-builder.js';
import { wideTables } from './rope.js';

/** cos and sin rows for the step's positions, [1, 1, n, hd], and the rotation's signs. */
export function ropeRows(
  b: Builder,
  rope: { cos: Tensor; sin: Tensor },
  pos: Value,
  n: number,
  tag = '',
): { cos: Value; sin: Value; sign: Value } {
  const w = wideTables(b.c, rope);
  const rows = (t: Tensor, name: string) =>
    b.g.reshape(b.g.op('Gather', [b.k(t, name), pos], { axis: 0 }), [1, 1, n, b.c.headDim]);
  return {
    cos: rows(w.cos, `rope_cos_wide${tag}`),
    sin: rows(w.sin, `rope_sin_wide${tag}`),
    sign: b.k(w.sign, `rope_sign${tag}`),
  };
}

/** x * cos + rotate(x) * sign * sin: partners swap halves (HF) or adjacent pairs (GGUF). */
export function gatheredRope(b: Builder, x: Value, n: number, t: { cos: Value; sin: Value; sign: Value }): Value {
  const g = b.g,
    c = b.c,
    half = c.headDim / 2;
  let rotated: Value;
  if (c.ropeInterleaved) {
    const [a, bb] = g.opN('Split', [g.reshape(x, [1, -1, n, half, 2]), b.i64([1, 1])], { axis: 4 }, 2);
    rotated = g.reshape(g.concat([bb!, a!], 4), [1, -1, n, c.headDim]);
  } else {
    const [x1, x2] = g.opN('Split', [x, b.i64([half, half])], { axis: 3 }, 2);
    rotated = g.concat([x2!, x1!], 3);
  }
  return g.add(g.mul(x, t.cos), g.mul(g.mul(rotated, t.sign), t.sin));
}

/** x * cos + rotate(x) * sin over [1, heads, n, hd], positions 0..n-1, in plain ops. */
export function plainRope(b: Builder, x: Value, n: number, rope: { cos: Tensor; sin: Tensor }): Value {
  const g = b.g,
    c = b.c,
    half = c.headDim / 2;
  // full-width tables [n, hd]: each frequency repeated for both members of its pair
  const cos = new Float32Array(n * c.headDim),
    sin = new Float32Array(n * c.headDim);
  const sign = new Float32Array(c.headDim);
  for (let p = 0; p < n; p++) {
    for (let d = 0; d < c.headDim; d++) {
      const f = c.ropeInterleaved ? d >> 1 : d % half;
      cos[p * c.headDim + d] = (rope.cos.data as Float32Array)[p * half + f]!;
      sin[p * c.headDim + d] = (rope.sin.data as Float32Array)[p * half + f]!;
    }
  }
  for (let d = 0; d < c.headDim; d++) sign[d] = c.ropeInterleaved ? (d % 2 ? 1 : -1) : d < half ? -1 : 1;
  // rotate: the partner of each element, with sign: halves swap (HF) or adjacent pairs swap (GGUF)
  let rotated: Value;
  if (c.ropeInterleaved) {
    const pairs = g.reshape(x, [1, -1, n, half, 2]);
    const [a, bb] = g.opN('Split', [pairs, b.i64([1, 1])], { axis: 4 }, 2);
    rotated = g.reshape(g.concat([bb!, a!], 4), [1, -1, n, c.headDim]);
  } else {
    const [x1, x2] = g.opN('Split', [x, b.i64([half, half])], { axis: 3 }, 2);
    rotated = g.concat([x2!, x1!], 3);
  }
  const k = (a: Float32Array, dims: number[]) => g.constant(new Tensor('float32', a, dims));
  return g.add(g.mul(x, k(cos, [n, c.headDim])), g.mul(g.mul(rotated, k(sign, [c.headDim])), k(sin, [n, c.headDim])));
}

/** Attention over the whole cache with the step's additive mask, written out (GQA by Expand). */
export function maskedAttention(b: Builder, q: Value, k: Value, v: Value, mask: Value, C: number): Value {
  const g = b.g,
    c = b.c,
    groups = c.numHeads / c.numKvHeads;
  const repeat = (t: Value) =>
    groups === 1
      ? t
      : g.reshape(
          g.op('Expand', [
            g.reshape(t, [1, c.numKvHeads, 1, C, c.headDim]),
            b.i64([1, c.numKvHeads, groups, C, c.headDim]),
          ]),
          [1, c.numHeads, C, c.headDim],
        );
  let scores = g.mul(
    g.matmul(q, g.transpose(repeat(k), [0, 1, 3, 2])),
    g.scalar(c.attnScale ?? 1 / Math.sqrt(c.headDim)),
  );
  if (c.attnSoftcap) scores = b.softcap(scores, c.attnSoftcap);
  return g.matmul(g.softmax(g.add(scores, mask), -1), repeat(v));
}

/** Attention written out: softmax(Q K^T * scale + mask) V with K/V heads repeated for GQA. */
export function plainAttention(
  b: Builder,
  q: Value,
  k: Value,
  v: Value,
  n: number,
  causal: boolean,
  window = 0,
): Value {
  const g = b.g,
    c = b.c,
    groups = c.numHeads / c.numKvHeads;
  const repeat = (t: Value) =>
    groups === 1
      ? t
      : g.reshape(
          g.op('Expand', [
            g.reshape(t, [1, c.numKvHeads, 1, n, c.headDim]),
            b.i64([1, c.numKvHeads, groups, n, c.headDim]),
          ]),
          [1, c.numHeads, n, c.headDim],
        );
  let scores = g.mul(
    g.matmul(q, g.transpose(repeat(k), [0, 1, 3, 2])),
    g.scalar(c.attnScale ?? 1 / Math.sqrt(c.headDim)),
  );
  if (c.attnSoftcap) scores = b.softcap(scores, c.attnSoftcap);
  let masked = scores;
  if (causal) {
    const m = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (j > i || (window && j <= i - window)) m[i * n + j] = -1e9;
    masked = g.add(scores, g.constant(new Tensor('float32', m, [n, n])));
  }
  return g.matmul(g.softmax(masked, -1), repeat(v));
}
