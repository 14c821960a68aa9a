// Dead-code elimination: drop nodes none of whose outputs reach a graph output, and unlink the
// optional outputs nobody reads (Dropout's mask, say), so backends see only what is used.

import type { Graph, Node, Value } from '../ir/graph.js';
import { lookupOp } from '../ir/op-def.js';
import type { Pass } from './pass.js';

/** Unlinks the outputs an op declares optional ('mask?') that nothing reads. */
function dropUnusedOptional(n: Node, live: Set<Value>): void {
  const spec = lookupOp(n.op)?.outputs;
  if (!spec) return;
  n.outputs.forEach((o, i) => {
    if (o && !live.has(o) && spec[Math.min(i, spec.length - 1)]?.endsWith('?')) n.outputs[i] = null;
  });
}

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
        dropUnusedOptional(n, live);
        for (const v of n.inputs) if (v) live.add(v);
      }
    }
    const removed = g.nodes.length - kept.length;
    g.nodes = kept.reverse();
    return { changed: removed > 0, summary: `removed ${removed} dead nodes` };
  },
};
