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
//
// Two refinements: a step attends over a span S (the positions its sequences have reached, padded
// to a power of two) instead of the whole capacity; and on devices that write rows in place
// (Device.writeRows) the graph does not write the pool at all: attention reads the cached rows
// (positions before the step) and the step's own rows concatenated, and the new rows come out as
// small outputs the host writes into the pool, so no step copies the pool.

import type { Graph, Value } from '../../ir/graph.js';
import type { LlmConfig } from './config.js';
import { Builder, ropeTables } from './model.js';
import type { ModelWeights } from './weights.js';

export interface PagedShape {
  /** Sequences in the step. */
  batch: number;
  /** Tokens per sequence (1 for decode). */
  seq: number;
  /** Pool positions each sequence reads (in place: the positions before the step; else up to its end). */
  span: number;
  /** The new key/value rows are outputs the host writes into the pool (no ScatterND, no pool copy). */
  inPlace?: boolean;
  /** Rows of the pool (blocks * block size). */
  poolRows: number;
}

export function buildPagedStepGraph(
  c: LlmConfig,
  w: ModelWeights,
  s: PagedShape,
  rope = c.arch === 'llama' ? ropeTables(c) : undefined,
): Graph {
  const { batch: B, seq: n, span: S, poolRows: P, inPlace } = s;
  const W = c.numKvHeads * c.headDim;
  const b = new Builder(c, w, `paged_b${B}_n${n}_s${S}${inPlace ? '_inplace' : ''}`);
  const g = b.g;
  const ids = g.input('input_ids', 'int64', [B, n]);
  const pos = g.input('position_ids', 'int64', [B, n]);
  const mask = g.input('attn_mask', 'float32', [B, 1, n, inPlace ? S + n : S]);
  const writeRows = inPlace ? undefined : g.input('write_rows', 'int64', [B * n, 1]);
  const readRows = g.input('read_rows', 'int64', [B, S]);
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
    const gathered = (pool: Value) => g.op('Gather', [pool, readRows], { axis: 0 });
    let keys: Value, values: Value;
    if (writeRows) {
      const kp = g.op('ScatterND', [pools[i]![0], writeRows, g.reshape(k, [B * n, W])]);
      const vp = g.op('ScatterND', [pools[i]![1], writeRows, g.reshape(v, [B * n, W])]);
      presents.push(kp, vp);
      keys = gathered(kp);
      values = gathered(vp);
    } else {
      presents.push(g.reshape(k, [B * n, W]), g.reshape(v, [B * n, W]));
      keys = g.op('Concat', [gathered(pools[i]![0]), k], { axis: 1 });
      values = g.op('Concat', [gathered(pools[i]![1]), rows(v, W)], { axis: 1 });
    }
    const a = g.op(
      'Attention',
      [q, keys, values, mask],
      { q_num_heads: c.numHeads, kv_num_heads: c.numKvHeads },
      `layers.${i}.attention`,
    );
    x = g.add(x, b.linear(g.reshape(a, [1, B * n, c.numHeads * c.headDim]), l.o, `layers.${i}.attn.o`));
    x = g.add(x, b.mlp(b.norm(x, l.ffnNorm, `layers.${i}.ffn_norm`), l, i));
  });
  // the last real token of each sequence (row b*n + its last index): [B*n, H] -> [B, H]
  const lastH = g.op('Gather', [g.reshape(x, [B * n, c.hiddenSize]), last], { axis: 0 });
  g.output(b.linear(b.norm(lastH, w.finalNorm, 'final_norm'), w.lmHead, 'lm_head'), 'logits');
  const kind = (j: number) => (j % 2 ? 'value' : 'key');
  presents.forEach((p, j) => g.output(p, inPlace ? `new_${kind(j)}_${j >> 1}` : `pool_${kind(j)}_${j >> 1}_out`));
  return g.build();
}
