// The step graph over a paged KV cache, for continuous batching: B sequences of n tokens each in
// one forward pass (decode: B rows of one token; prefill: B rows of one chunk each), so every
// linear layer is one MatMul over B*n rows instead of B matrix-vector products.
//
// The cache is a pool per layer, [P, kv_heads * head_dim], shared by every sequence: a sequence
// owns fixed-size blocks of it (its block table, kept on the host), and the host turns the table
// into row numbers. The step writes its new key/value rows with ScatterND at `write_rows` (padding
// rows go to row 0, a block nobody owns) and reads each sequence's rows back with a Gather at
// `read_rows` [B, C] (unused positions read row 0 and are masked), so attention sees the same
// [B, kv_heads, C, head_dim] a dense cache of capacity C would give, and the same numbers.

import type { Graph, Value } from '../../ir/graph.js';
import type { LlmConfig } from './config.js';
import { Builder, ropeTables } from './model.js';
import type { ModelWeights } from './weights.js';

export interface PagedShape {
  /** Sequences in the step. */
  batch: number;
  /** Tokens per sequence (1 for decode). */
  seq: number;
  /** Positions each sequence attends over (the engine's capacity). */
  capacity: number;
  /** Rows of the pool (blocks * block size). */
  poolRows: number;
}

export function pagedInputNames(c: LlmConfig): string[] {
  const names = ['input_ids', 'position_ids', 'attn_mask', 'write_rows', 'read_rows', 'last_rows'];
  for (let i = 0; i < c.numLayers; i++) names.push(`pool_key_${i}`, `pool_value_${i}`);
  return names;
}

export function buildPagedStepGraph(
  c: LlmConfig,
  w: ModelWeights,
  s: PagedShape,
  rope = c.arch === 'llama' ? ropeTables(c) : undefined,
): Graph {
  const { batch: B, seq: n, capacity: C, poolRows: P } = s;
  const W = c.numKvHeads * c.headDim;
  const b = new Builder(c, w, `paged_b${B}_n${n}`);
  const g = b.g;
  const ids = g.input('input_ids', 'int64', [B, n]);
  const pos = g.input('position_ids', 'int64', [B, n]);
  const mask = g.input('attn_mask', 'float32', [B, 1, n, C]);
  const writeRows = g.input('write_rows', 'int64', [B * n, 1]);
  const readRows = g.input('read_rows', 'int64', [B, C]);
  const last = g.input('last_rows', 'int64', [B]);
  const pools: [Value, Value][] = [];
  for (let i = 0; i < c.numLayers; i++)
    pools.push([g.input(`pool_key_${i}`, 'float32', [P, W]), g.input(`pool_value_${i}`, 'float32', [P, W])]);
  const cos = rope ? b.k(rope.cos, 'rope_cos') : undefined;
  const sin = rope ? b.k(rope.sin, 'rope_sin') : undefined;
  // 3-D forms throughout ([B, n, heads*hd] and [B, C, kv_heads*hd], heads given by attributes):
  // no transposes, and the gathered pool rows are attention's K and V as they are
  const rows = (x: Value, width: number) => g.reshape(x, [B, n, width]);
  // the residual stream is one [1, B*n, H] matrix, so each linear layer is one matrix product
  // (a [B, n, H] operand would be B products of n rows)
  let x = g.reshape(b.embed(ids, pos), [1, B * n, c.hiddenSize]);
  const presents: Value[] = [];
  w.layers.forEach((l, i) => {
    const h = b.norm(x, l.attnNorm, `layers.${i}.attn_norm`);
    let q = rows(b.linear(h, l.q, `layers.${i}.attn.q`), c.numHeads * c.headDim);
    let k = rows(b.linear(h, l.k, `layers.${i}.attn.k`), W);
    const v = b.linear(h, l.v, `layers.${i}.attn.v`);
    if (rope) {
      const interleaved = c.ropeInterleaved ? 1 : 0;
      q = g.op('RotaryEmbedding', [q, cos!, sin!, pos], { interleaved, num_heads: c.numHeads });
      k = g.op('RotaryEmbedding', [k, cos!, sin!, pos], { interleaved, num_heads: c.numKvHeads });
    }
    const kp = g.op('ScatterND', [pools[i]![0], writeRows, g.reshape(k, [B * n, W])]);
    const vp = g.op('ScatterND', [pools[i]![1], writeRows, g.reshape(v, [B * n, W])]);
    presents.push(kp, vp);
    const gathered = (pool: Value) => g.op('Gather', [pool, readRows], { axis: 0 });
    const a = g.op(
      'Attention',
      [q, gathered(kp), gathered(vp), mask],
      { q_num_heads: c.numHeads, kv_num_heads: c.numKvHeads },
      `layers.${i}.attention`,
    );
    x = g.add(x, b.linear(g.reshape(a, [1, B * n, c.numHeads * c.headDim]), l.o, `layers.${i}.attn.o`));
    x = g.add(x, b.mlp(b.norm(x, l.ffnNorm, `layers.${i}.ffn_norm`), l, i));
  });
  // the last real token of each sequence (row b*n + its last index): [B*n, H] -> [B, H]
  const lastH = g.op('Gather', [g.reshape(x, [B * n, c.hiddenSize]), last], { axis: 0 });
  g.output(b.linear(b.norm(lastH, w.finalNorm, 'final_norm'), w.lmHead, 'lm_head'), 'logits');
  presents.forEach((p, j) => g.output(p, `${j % 2 ? 'pool_value' : 'pool_key'}_${j >> 1}_out`));
  return g.build();
}
