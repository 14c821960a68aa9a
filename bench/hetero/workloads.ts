// Workloads with independent branches for the heterogeneous benchmark, built with the
// GraphBuilder from seeded weights (static shapes, so the planner sees real sizes).

import { rng } from '../../src/cli/random-inputs.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph, Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';

function weights(seed: number) {
  const r = rng(seed);
  return (dims: number[], scale: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
    return new Tensor('float32', a, dims);
  };
}

export interface Workload {
  name: string;
  what: string;
  graph(): Graph;
  feeds(): Record<string, Tensor>;
}

/** One encoder layer: dense + bias + tanh, scaled so activations stay in range over many layers. */
function layer(g: GraphBuilder, w: ReturnType<typeof weights>, h: Value, d: number, name: string): Value {
  return g.tanh(
    g.add(g.matmul(h, g.constant(w([d, d], 1.5 / Math.sqrt(d)), `${name}.w`)), g.constant(w([d], 0.05), `${name}.b`)),
  );
}

/**
 * Two encoder towers over the same tokens, joined: symmetric branches, each ~10 ms on the WASM
 * workers here (6 layers of 128x768 · 768x768).
 */
export function twoTowers(seq = 128, d = 768, depth = 6): Workload {
  return {
    name: 'two-towers',
    what: `two encoder towers, ${depth} layers each, tokens ${seq}x${d}, joined by concat`,
    graph() {
      const w = weights(7);
      const g = new GraphBuilder('two_towers');
      const x = g.input('tokens', 'float32', [seq, d]);
      const tower = (t: string) => {
        let h = x;
        for (let i = 0; i < depth; i++) h = layer(g, w, h, d, `${t}.${i}`);
        return g.op('ReduceMean', [h, g.constant(new Tensor('int64', BigInt64Array.from([0n]), [1]))], { keepdims: 1 });
      };
      g.output(g.concat([tower('query'), tower('doc')], 1), 'embedding');
      return g.build();
    },
    feeds() {
      return { tokens: weights(99)([seq, d], 1) };
    },
  };
}

/**
 * An encoder beside a vector search: a deep encoder (the long branch, ~60 ms on the WASM workers
 * here) and a small search (queries against a bank, top 8): the search could hide behind the
 * encoder on a second device, if that device did not need the same cores.
 */
export function encoderSearch(seq = 128, d = 1024, depth = 10, queries = 64, bank = 512): Workload {
  return {
    name: 'encoder+search',
    what: `encoder ${depth} layers of ${seq}x${d}, beside a search of ${queries} queries over ${bank} vectors (top 8)`,
    graph() {
      const w = weights(11);
      const g = new GraphBuilder('encoder_search');
      const x = g.input('tokens', 'float32', [seq, d]);
      const q = g.input('queries', 'float32', [queries, d]);
      let h = x;
      for (let i = 0; i < depth; i++) h = layer(g, w, h, d, `enc.${i}`);
      g.output(
        g.op('ReduceMean', [h, g.constant(new Tensor('int64', BigInt64Array.from([0n]), [1]))], { keepdims: 1 }),
        'embedding',
      );
      const scores = g.gemm(q, g.constant(w([bank, d], 1 / Math.sqrt(d)), 'bank'), undefined, { transB: 1 });
      const k = g.constant(new Tensor('int64', BigInt64Array.from([8n]), [1]), 'k');
      const top = g.opN('TopK', [scores, k], { axis: -1 }, 2);
      g.output(top[0]!, 'top_scores');
      g.output(top[1]!, 'top_ids');
      return g.build();
    },
    feeds() {
      return { tokens: weights(98)([seq, d], 1), queries: weights(97)([queries, d], 1) };
    },
  };
}
