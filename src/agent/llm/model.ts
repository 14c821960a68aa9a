// Decoder-only transformers as IR graphs, built with the GraphBuilder from canonical weights.
//
// `step` graphs run prefill (n prompt tokens) and decode (n = 1) against a KV cache of fixed
// capacity C that lives on the device: per layer past_key/past_value [1, kv_heads, C, head_dim]
// go in and present_key/present_value come out. Writing the new rows is plain arithmetic that
// every backend has, present = past * keep + place @ k_new, where place [C, n] is a 0/1 placement
// matrix and keep [C, 1] zeroes the rows being written; attention reads the whole cache with a
// mask [1, 1, n, C] that hides empty and future positions. Static shapes: the decode graph
// compiles once, and a prefill graph once per prompt length bucket.
//
// `full` graphs are the oracle: the whole sequence at once, no cache, attention and rotary
// embedding written out in MatMul/Softmax/elementwise ops (no nn.Attention, no
// nn.RotaryEmbedding), so they check those ops and the cache logic independently and export to
// ONNX for onnxruntime. `embed` graphs are bidirectional encoders with mean pooling and L2
// normalisation (embedding models).

import { GraphBuilder } from '../../ir/builder.js';
import type { Graph, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { isQ8, type Linear, type ModelWeights, type Norm } from './weights.js';

export type GraphKind = 'step' | 'full' | 'embed';

export interface StepShape {
  /** Tokens processed by this graph (prompt bucket for prefill, 1 for decode). */
  seq: number;
  /** KV cache capacity in positions. */
  capacity: number;
  /**
   * 'op' (default): nn.RotaryEmbedding. 'decomposed': the same rotation in Gather, Split, Concat,
   * Mul and Add, for devices without a RotaryEmbedding kernel (so the step stays on the device).
   */
  rope?: 'op' | 'decomposed';
  /** 'op' (default): nn.Attention. 'decomposed': MatMul, Softmax and elementwise ops (GQA by Expand). */
  attention?: 'op' | 'decomposed';
}

/** Names of the step graph's inputs and outputs, in order. */
export function stepInputNames(c: LlmConfig): string[] {
  const names = ['input_ids', 'position_ids', 'attn_mask', 'cache_place', 'cache_keep', 'last_index'];
  if (c.slidingWindow) names.push('attn_mask_local');
  for (let i = 0; i < c.numLayers; i++) names.push(`past_key_${i}`, `past_value_${i}`);
  return names;
}
export function stepOutputNames(c: LlmConfig): string[] {
  const names = ['logits'];
  for (let i = 0; i < c.numLayers; i++) names.push(`present_key_${i}`, `present_value_${i}`);
  return names;
}

/** Inverse frequencies theta^(-2i/d), rescaled as config.json's rope_scaling says (transformers' formulas). */
export function ropeInvFreq(c: LlmConfig, local = false): { inv: Float64Array; mscale: number } {
  const half = c.headDim / 2,
    d = c.headDim;
  const theta = local && c.ropeLocalTheta ? c.ropeLocalTheta : c.ropeTheta;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.pow(theta, -(2 * i) / d);
  const r = local && c.ropeLocalTheta ? undefined : c.ropeScaling; // Gemma 3's local layers are unscaled
  if (!r) return { inv, mscale: 1 };
  if (r.type === 'linear') return { inv: inv.map((f) => f / r.factor), mscale: 1 };
  if (r.type === 'llama3') {
    const lowWave = r.originalMaxPositions / r.lowFreqFactor,
      highWave = r.originalMaxPositions / r.highFreqFactor;
    return {
      inv: inv.map((f) => {
        const wave = (2 * Math.PI) / f;
        if (wave < highWave) return f;
        if (wave > lowWave) return f / r.factor;
        const smooth = (r.originalMaxPositions / wave - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
        return (1 - smooth) * (f / r.factor) + smooth * f;
      }),
      mscale: 1,
    };
  }
  // yarn: interpolate the low frequencies, keep the high ones, ramp between; scale cos/sin
  const dimOf = (rot: number) => (d * Math.log(r.originalMaxPositions / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
  const low = Math.max(Math.floor(dimOf(r.betaFast)), 0),
    high = Math.min(Math.ceil(dimOf(r.betaSlow)), d - 1);
  const span = high === low ? 0.001 : high - low;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const ramp = Math.min(1, Math.max(0, (i - low) / span));
    const extrapolation = 1 - ramp;
    out[i] = (inv[i]! / r.factor) * (1 - extrapolation) + inv[i]! * extrapolation;
  }
  return { inv: out, mscale: r.attentionFactor };
}

/** RoPE tables [positions, head_dim / 2]: cos and sin of pos * inv_freq (times yarn's attention factor). */
export function ropeTables(c: LlmConfig, positions = c.contextLength, local = false): { cos: Tensor; sin: Tensor } {
  const half = c.headDim / 2;
  const { inv, mscale } = ropeInvFreq(c, local);
  const cos = new Float32Array(positions * half),
    sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      // float32 inv_freq as transformers keeps it, so long positions round the same way
      const a = p * Math.fround(inv[i]!);
      cos[p * half + i] = Math.cos(a) * mscale;
      sin[p * half + i] = Math.sin(a) * mscale;
    }
  }
  return { cos: new Tensor('float32', cos, [positions, half]), sin: new Tensor('float32', sin, [positions, half]) };
}

/** Sliding layers with their own RoPE base need a second table. */
const hasLocalRope = (c: LlmConfig) => !!c.slidingLayers?.length && c.ropeLocalTheta !== undefined;
const isSliding = (c: LlmConfig, i: number) => !!c.slidingWindow && !!c.slidingLayers?.includes(i);

export class Builder {
  readonly g: GraphBuilder;
  private readonly consts = new Map<Tensor, Value>();
  constructor(
    readonly c: LlmConfig,
    readonly w: ModelWeights,
    name: string,
  ) {
    this.g = new GraphBuilder(name, 24);
  }
  /** One graph value per weight tensor, named for errors and ONNX export. */
  k(t: Tensor, name: string): Value {
    let v = this.consts.get(t);
    if (!v) {
      v = this.g.constant(t, name);
      this.consts.set(t, v);
    }
    return v;
  }
  i64(values: number[], dims?: number[]): Value {
    return this.g.constant(Tensor.from('int64', values.map(BigInt), dims));
  }
  linear(x: Value, l: Linear, name: string): Value {
    let w: Value;
    if (isQ8(l.w)) {
      w = this.g.op('DequantizeLinear', [this.k(l.w.values, `${name}.qweight`), this.k(l.w.scales, `${name}.scales`)], {
        axis: 0,
        block_size: 32,
      });
    } else {
      w = this.k(l.w, `${name}.weight`);
    }
    const y = this.g.matmul(x, w);
    return l.b ? this.g.add(y, this.k(l.b, `${name}.bias`)) : y;
  }
  /** cap * tanh(x / cap) */
  softcap(x: Value, cap: number): Value {
    return this.g.mul(this.g.op('Tanh', [this.g.mul(x, this.g.scalar(1 / cap))]), this.g.scalar(cap));
  }
  /** RMSNorm of each head's vector ([1, heads, n, hd], over hd). */
  headNorm(x: Value, n: Norm | undefined, name: string): Value {
    return n
      ? this.g.op('RMSNormalization', [x, this.k(n.w, `${name}.weight`)], { epsilon: this.c.normEps, axis: -1 })
      : x;
  }
  /** nn.Attention's attributes for the config's scale and soft-capping. */
  attnAttrs(): Record<string, number> {
    return {
      ...(this.c.attnScale !== undefined ? { scale: this.c.attnScale } : {}),
      ...(this.c.attnSoftcap ? { softcap: this.c.attnSoftcap } : {}),
    };
  }
  /** The attention output (and the MLP output) into the residual stream, through the sandwich norm when there is one. */
  residual(x: Value, y: Value, n: Norm | undefined, name: string): Value {
    return this.g.add(x, n ? this.norm(y, n, name) : y);
  }
  norm(x: Value, n: Norm, name: string): Value {
    if (this.c.arch === 'gpt2')
      return this.g.layerNorm(x, this.k(n.w, `${name}.weight`), n.b && this.k(n.b, `${name}.bias`), this.c.normEps);
    return this.g.op('RMSNormalization', [x, this.k(n.w, `${name}.weight`)], { epsilon: this.c.normEps, axis: -1 });
  }
  /** [1, n, heads*hd] -> [1, heads, n, hd] */
  heads(x: Value, n: number, heads: number): Value {
    return this.g.transpose(this.g.reshape(x, [1, n, heads, this.c.headDim]), [0, 2, 1, 3]);
  }
  /** [1, heads, n, hd] -> [1, n, heads*hd] */
  merge(x: Value, n: number): Value {
    return this.g.reshape(this.g.transpose(x, [0, 2, 1, 3]), [1, n, this.c.numHeads * this.c.headDim]);
  }
  mlp(x: Value, l: ModelWeights['layers'][number], i: number): Value {
    const g = this.g;
    if (this.c.arch === 'gpt2') {
      return this.linear(g.gelu(this.linear(x, l.up, `layers.${i}.mlp.up`), 'tanh'), l.down, `layers.${i}.mlp.down`);
    }
    const gate = this.linear(x, l.gate!, `layers.${i}.mlp.gate`);
    const act = this.c.hiddenAct === 'gelu_tanh' ? g.gelu(gate, 'tanh') : g.mul(gate, g.sigmoid(gate));
    return this.linear(g.mul(act, this.linear(x, l.up, `layers.${i}.mlp.up`)), l.down, `layers.${i}.mlp.down`);
  }
  /** Token (and for GPT-2, position) embeddings: [1, n, H]. */
  embed(ids: Value, positions: Value): Value {
    let x = this.g.op('Gather', [this.k(this.w.embed, 'embed_tokens'), ids], { axis: 0 });
    if (this.c.embedScale) x = this.g.mul(x, this.g.scalar(Math.fround(this.c.embedScale)));
    if (this.w.posEmbed)
      return this.g.add(x, this.g.op('Gather', [this.k(this.w.posEmbed, 'embed_positions'), positions], { axis: 0 }));
    return x;
  }
}

/** The prefill/decode graph against a device-resident KV cache. */
export function buildStepGraph(
  c: LlmConfig,
  w: ModelWeights,
  shape: StepShape,
  rope = c.arch === 'llama' ? ropeTables(c) : undefined,
): Graph {
  const { seq: n, capacity: C } = shape;
  const b = new Builder(c, w, n === 1 ? 'decode' : `prefill_${n}`);
  const g = b.g;
  const ids = g.input('input_ids', 'int64', [1, n]);
  const pos = g.input('position_ids', 'int64', [1, n]);
  const mask = g.input('attn_mask', 'float32', [1, 1, n, C]);
  const place = g.input('cache_place', 'float32', [C, n]);
  const keep = g.input('cache_keep', 'float32', [C, 1]);
  const last = g.input('last_index', 'int64', []);
  const maskLocal = c.slidingWindow ? g.input('attn_mask_local', 'float32', [1, 1, n, C]) : undefined;
  const past: [Value, Value][] = [];
  for (let i = 0; i < c.numLayers; i++) {
    past.push([
      g.input(`past_key_${i}`, 'float32', [1, c.numKvHeads, C, c.headDim]),
      g.input(`past_value_${i}`, 'float32', [1, c.numKvHeads, C, c.headDim]),
    ]);
  }
  let x = b.embed(ids, pos);
  const decomposed = shape.rope === 'decomposed';
  const localRope = rope && hasLocalRope(c) ? localTables(c, rope.cos.dims[0]!) : undefined;
  const tables = (t: { cos: Tensor; sin: Tensor }, tag: string) => ({
    cos: b.k(t.cos, `rope_cos${tag}`),
    sin: b.k(t.sin, `rope_sin${tag}`),
  });
  const opTables = rope && !decomposed ? tables(rope, '') : undefined;
  const opLocal = localRope && !decomposed ? tables(localRope, '_local') : undefined;
  const presents: Value[] = [];
  w.layers.forEach((l, i) => {
    const sliding = isSliding(c, i);
    const h = b.norm(x, l.attnNorm, `layers.${i}.attn_norm`);
    let q = b.headNorm(
      b.heads(b.linear(h, l.q, `layers.${i}.attn.q`), n, c.numHeads),
      l.qNorm,
      `layers.${i}.attn.q_norm`,
    );
    let k = b.headNorm(
      b.heads(b.linear(h, l.k, `layers.${i}.attn.k`), n, c.numKvHeads),
      l.kNorm,
      `layers.${i}.attn.k_norm`,
    );
    const v = b.heads(b.linear(h, l.v, `layers.${i}.attn.v`), n, c.numKvHeads);
    const table = sliding && localRope ? localRope : rope;
    if (table && decomposed) {
      q = gatheredRope(b, q, n, ropeRows(b, table, pos, n, table === localRope ? '_local' : ''));
      k = gatheredRope(b, k, n, ropeRows(b, table, pos, n, table === localRope ? '_local' : ''));
    } else if (table) {
      const t = sliding && opLocal ? opLocal : opTables!;
      const attrs = { interleaved: c.ropeInterleaved ? 1 : 0 };
      q = g.op('RotaryEmbedding', [q, t.cos, t.sin, pos], attrs);
      k = g.op('RotaryEmbedding', [k, t.cos, t.sin, pos], attrs);
    }
    const kc = g.add(g.mul(past[i]![0], keep), g.matmul(place, k));
    const vc = g.add(g.mul(past[i]![1], keep), g.matmul(place, v));
    presents.push(kc, vc);
    const m = sliding ? maskLocal! : mask;
    const a =
      shape.attention === 'decomposed'
        ? maskedAttention(b, q, kc, vc, m, C)
        : g.op('Attention', [q, kc, vc, m], b.attnAttrs(), `layers.${i}.attention`);
    x = b.residual(x, b.linear(b.merge(a, n), l.o, `layers.${i}.attn.o`), l.postAttnNorm, `layers.${i}.post_attn_norm`);
    x = b.residual(
      x,
      b.mlp(b.norm(x, l.ffnNorm, `layers.${i}.ffn_norm`), l, i),
      l.postFfnNorm,
      `layers.${i}.post_ffn_norm`,
    );
  });
  const lastH = g.op('Gather', [x, last], { axis: 1 });
  let logits = b.linear(b.norm(lastH, w.finalNorm, 'final_norm'), w.lmHead, 'lm_head');
  if (c.finalSoftcap) logits = b.softcap(logits, c.finalSoftcap);
  g.output(logits, 'logits');
  presents.forEach((p, j) => g.output(p, `${j % 2 ? 'present_value' : 'present_key'}_${j >> 1}`));
  return g.build();
}

/** The sliding layers' RoPE tables (their own base), cached per config. */
const localCache = new WeakMap<LlmConfig, { cos: Tensor; sin: Tensor }>();
function localTables(c: LlmConfig, positions: number): { cos: Tensor; sin: Tensor } {
  let t = localCache.get(c);
  if (!t || t.cos.dims[0]! < positions) {
    t = ropeTables(c, positions, true);
    localCache.set(c, t);
  }
  return t;
}

/** Full-width tables [P, hd] (each frequency repeated for both members of its pair), cached per table. */
const wideCache = new WeakMap<Tensor, { cos: Tensor; sin: Tensor; sign: Tensor }>();
function wideTables(c: LlmConfig, rope: { cos: Tensor; sin: Tensor }): { cos: Tensor; sin: Tensor; sign: Tensor } {
  let w = wideCache.get(rope.cos);
  if (w) return w;
  const P = rope.cos.dims[0]!,
    half = c.headDim / 2,
    hd = c.headDim;
  const cos = new Float32Array(P * hd),
    sin = new Float32Array(P * hd),
    sign = new Float32Array(hd);
  for (let p = 0; p < P; p++) {
    for (let d = 0; d < hd; d++) {
      const f = c.ropeInterleaved ? d >> 1 : d % half;
      cos[p * hd + d] = (rope.cos.data as Float32Array)[p * half + f]!;
      sin[p * hd + d] = (rope.sin.data as Float32Array)[p * half + f]!;
    }
  }
  for (let d = 0; d < hd; d++) sign[d] = c.ropeInterleaved ? (d % 2 ? 1 : -1) : d < half ? -1 : 1;
  w = {
    cos: new Tensor('float32', cos, [P, hd]),
    sin: new Tensor('float32', sin, [P, hd]),
    sign: new Tensor('float32', sign, [hd]),
  };
  wideCache.set(rope.cos, w);
  return w;
}

/** cos and sin rows for the step's positions, [1, 1, n, hd], and the rotation's signs. */
function ropeRows(
  b: Builder,
  rope: { cos: Tensor; sin: Tensor },
  pos: Value,
  n: number,
  tag = '',
): { cos: Value; sin: Value; sign: Value } {
  const w = wideTables(b.c, rope);
  const rows = (t: Tensor, name: string) =>
    b.g.reshape(b.g.op('Gather', [b.k(t, name), pos], { axis: 0 }), [1, 1, n, b.c.headDim]);
  const name = (s: string) => `rope_${s}${tag}`; // Gemma 3's local and global tables: two names
  return { cos: rows(w.cos, name('cos_wide')), sin: rows(w.sin, name('sin_wide')), sign: b.k(w.sign, name('sign')) };
}

/** x * cos + rotate(x) * sign * sin: partners swap halves (HF) or adjacent pairs (GGUF). */
function gatheredRope(b: Builder, x: Value, n: number, t: { cos: Value; sin: Value; sign: Value }): Value {
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
function plainRope(b: Builder, x: Value, n: number, rope: { cos: Tensor; sin: Tensor }): Value {
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
function maskedAttention(b: Builder, q: Value, k: Value, v: Value, mask: Value, C: number): Value {
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
function plainAttention(b: Builder, q: Value, k: Value, v: Value, n: number, causal: boolean, window = 0): Value {
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

/** The whole sequence without a cache (oracle, ONNX export), or an embedding encoder. */
export function buildFullGraph(c: LlmConfig, w: ModelWeights, n: number, kind: 'full' | 'embed' = 'full'): Graph {
  const b = new Builder(c, w, kind === 'full' ? `full_${n}` : `embed_${n}`);
  const g = b.g;
  const ids = g.input('input_ids', 'int64', [1, n]);
  const positions = b.i64(
    Array.from({ length: n }, (_, i) => i),
    [1, n],
  );
  let x = b.embed(ids, positions);
  const rope = c.arch === 'llama' ? ropeTables(c, Math.max(n, 1)) : undefined;
  const localRope = rope && hasLocalRope(c) ? ropeTables(c, Math.max(n, 1), true) : undefined;
  w.layers.forEach((l, i) => {
    const sliding = isSliding(c, i);
    const h = b.norm(x, l.attnNorm, `layers.${i}.attn_norm`);
    let q = b.headNorm(
      b.heads(b.linear(h, l.q, `layers.${i}.attn.q`), n, c.numHeads),
      l.qNorm,
      `layers.${i}.attn.q_norm`,
    );
    let k = b.headNorm(
      b.heads(b.linear(h, l.k, `layers.${i}.attn.k`), n, c.numKvHeads),
      l.kNorm,
      `layers.${i}.attn.k_norm`,
    );
    const v = b.heads(b.linear(h, l.v, `layers.${i}.attn.v`), n, c.numKvHeads);
    const table = sliding && localRope ? localRope : rope;
    if (table) {
      q = plainRope(b, q, n, table);
      k = plainRope(b, k, n, table);
    }
    const a = plainAttention(b, q, k, v, n, kind === 'full', sliding ? c.slidingWindow : 0);
    x = b.residual(x, b.linear(b.merge(a, n), l.o, `layers.${i}.attn.o`), l.postAttnNorm, `layers.${i}.post_attn_norm`);
    x = b.residual(
      x,
      b.mlp(b.norm(x, l.ffnNorm, `layers.${i}.ffn_norm`), l, i),
      l.postFfnNorm,
      `layers.${i}.post_ffn_norm`,
    );
  });
  const h = b.norm(x, w.finalNorm, 'final_norm');
  if (kind === 'full') {
    const logits = b.linear(h, w.lmHead, 'lm_head');
    g.output(c.finalSoftcap ? b.softcap(logits, c.finalSoftcap) : logits, 'logits');
  } else {
    const pooled = g.op('ReduceMean', [h, b.i64([1])], { keepdims: 0 });
    const norm = g.op('Sqrt', [g.op('ReduceSum', [g.mul(pooled, pooled), b.i64([-1])], { keepdims: 1 })]);
    g.output(g.div(pooled, g.add(norm, g.scalar(1e-12))), 'embedding');
  }
  return g.build();
}
