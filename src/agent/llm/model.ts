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

import type { Graph, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';
import { Builder } from './model-builder.js';
import { gatheredRope, maskedAttention, plainAttention, plainRope, ropeRows } from './model-decomposed.js';
import { fusedDecodeQkv, nbitsDecodeTail, nbitsTail, packable, packedProjections } from './model-fused.js';
import { localTables, ropeTables } from './rope.js';
import type { ModelWeights } from './weights.js';

export { Builder } from './model-builder.js';
export { ropeInvFreq, ropeTables } from './rope.js';

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
  /**
   * 'place' (default): the cache rows are written as past * keep + place @ k_new. 'scatter': a
   * decode step (seq 1) writes its one row per KV head with ScatterND instead.
   */
  cacheWrite?: 'place' | 'scatter';
  /**
   * 'separate' (default): Q, K and V as three projections. 'fused': packed into one matrix (prefill:
   * one matmul and a Split); decode as one k.decode_qkv node that also applies RoPE and writes the
   * new K/V rows into the cache in place (devices with that kernel: WebGPU).
   */
  qkv?: 'separate' | 'fused';
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

/** Sliding layers with their own RoPE base need a second table. */
const hasLocalRope = (c: LlmConfig) => !!c.slidingLayers?.length && c.ropeLocalTheta !== undefined;
const isSliding = (c: LlmConfig, i: number) => !!c.slidingWindow && !!c.slidingLayers?.includes(i);

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
  const rowIndex = n === 1 && shape.cacheWrite === 'scatter' ? cacheRowIndex(b, pos) : undefined;
  w.layers.forEach((l, i) => {
    const sliding = isSliding(c, i);
    const fused = shape.qkv === 'fused' && packable(l, c);
    const m = sliding ? maskLocal! : mask;
    if (fused && n === 1) {
      const t = rope ? (sliding && localRope ? tables(localRope, '_local') : tables(rope, '')) : undefined;
      const [q, kc, vc] = fusedDecodeQkv(b, x, l, i, pos, past[i]!, t);
      presents.push(kc, vc);
      x = attentionAndMlp(b, x, q, kc, vc, m, i, shape, C);
      return;
    }
    const h = b.norm(x, l.attnNorm, `layers.${i}.attn_norm`);
    let [q, k, v] = fused
      ? packedProjections(b, h, l, n, i)
      : [
          b.headNorm(
            b.heads(b.linear(h, l.q, `layers.${i}.attn.q`), n, c.numHeads),
            l.qNorm,
            `layers.${i}.attn.q_norm`,
          ),
          b.headNorm(
            b.heads(b.linear(h, l.k, `layers.${i}.attn.k`), n, c.numKvHeads),
            l.kNorm,
            `layers.${i}.attn.k_norm`,
          ),
          b.heads(b.linear(h, l.v, `layers.${i}.attn.v`), n, c.numKvHeads),
        ];
    const table = sliding && localRope ? localRope : rope;
    if (table && decomposed) {
      const tag = table === localRope ? '_local' : ''; // two tables (Gemma 3's local base): two names
      q = gatheredRope(b, q, n, ropeRows(b, table, pos, n, tag));
      k = gatheredRope(b, k, n, ropeRows(b, table, pos, n, tag));
    } else if (table) {
      const t = sliding && opLocal ? opLocal : opTables!;
      const attrs = { interleaved: c.ropeInterleaved ? 1 : 0 };
      q = g.op('RotaryEmbedding', [q, t.cos, t.sin, pos], attrs);
      k = g.op('RotaryEmbedding', [k, t.cos, t.sin, pos], attrs);
    }
    const kc = rowIndex ? writeRow(b, past[i]![0], k, rowIndex) : g.add(g.mul(past[i]![0], keep), g.matmul(place, k));
    const vc = rowIndex ? writeRow(b, past[i]![1], v, rowIndex) : g.add(g.mul(past[i]![1], keep), g.matmul(place, v));
    presents.push(kc, vc);
    x = attentionAndMlp(b, x, q, kc, vc, m, i, shape, C);
  });
  const lastH = g.op('Gather', [x, last], { axis: 1 });
  let logits = b.linear(b.norm(lastH, w.finalNorm, 'final_norm'), w.lmHead, 'lm_head');
  if (c.finalSoftcap) logits = b.softcap(logits, c.finalSoftcap);
  g.output(logits, 'logits');
  presents.forEach((p, j) => g.output(p, `${j % 2 ? 'present_value' : 'present_key'}_${j >> 1}`));
  return g.build();
}

/** Attention over the cache, the output projection and the MLP, each into the residual stream. */
function attentionAndMlp(
  b: Builder,
  x: Value,
  q: Value,
  kc: Value,
  vc: Value,
  mask: Value,
  i: number,
  shape: StepShape,
  C: number,
): Value {
  const l = b.w.layers[i]!;
  const n = shape.seq;
  const a =
    shape.attention === 'decomposed'
      ? maskedAttention(b, q, kc, vc, mask, C)
      : b.g.op('Attention', [q, kc, vc, mask], b.attnAttrs(), `layers.${i}.attention`);
  if (n === 1 && shape.qkv === 'fused' && nbitsTail(l, b.c)) return nbitsDecodeTail(b, x, a, l, i);
  x = b.residual(x, b.linear(b.merge(a, n), l.o, `layers.${i}.attn.o`), l.postAttnNorm, `layers.${i}.post_attn_norm`);
  return b.residual(
    x,
    b.mlp(b.norm(x, l.ffnNorm, `layers.${i}.ffn_norm`), l, i),
    l.postFfnNorm,
    `layers.${i}.post_ffn_norm`,
  );
}

/**
 * Decode writes one cache row per KV head: ScatterND indices [kv, 1, 3] = (0, head, position), so
 * the step copies the cache and one row instead of multiplying out place ⊗ k over all C rows.
 * (Prefill keeps the placement product: its padding rows must write nothing.)
 */
function cacheRowIndex(b: Builder, pos: Value): Value {
  const g = b.g,
    kv = b.c.numKvHeads;
  const heads = b.i64(Array.from({ length: kv }, (_, h) => [0, h]).flat(), [kv, 1, 2]);
  const p = g.op('Expand', [g.reshape(pos, [1, 1, 1]), b.i64([kv, 1, 1])]);
  return g.concat([heads, p], 2);
}
function writeRow(b: Builder, past: Value, row: Value, index: Value): Value {
  return b.g.op('ScatterND', [past, index, b.g.reshape(row, [b.c.numKvHeads, 1, b.c.headDim])]);
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
