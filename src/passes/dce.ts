// Dead-code elimination: drop nodes none of whose outputs reach a graph output.

import type { Graph, Value } from '../ir/graph.js';
import type { Pass } from './pass.js';

export const deadCodeElimination: Pass = {
  name: 'dce',
  description: 'remove nodes whose results are never used',
  run(g: Graph) {
    const live = new Set<Value>(g.outputs);
    const kept = [];
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i]!;
      if (n.outputs.some((o) => o && live.has(o))) {
        kept.push(n);
        for (const v of n.inputs) if (v) live.add(v);
      }
    }
    const removed = g.nodes.length - kept.length;
    g.nodes = kept.reverse();
    return { changed: removed > 0, summary: `removed ${removed} dead nodes` };
  },
};
