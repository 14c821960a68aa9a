// A unit: a connected piece of a graph that one device compiles and runs. Its inputs are the values
// it reads that are produced elsewhere (graph inputs, other units); constants stay inside (a device
// keeps them resident, in the layout its kernels want); its outputs are what the rest needs.

import type { Graph, Node, Value } from './graph.js';

export interface Unit {
  /** Nodes in topological order. */
  nodes: Node[];
  /** Values read by the nodes but produced outside the unit (graph inputs, other units). */
  inputs: Value[];
  /** Values produced in the unit that are needed outside it. */
  outputs: Value[];
}

/** Inputs and outputs of a run of nodes, as seen from the rest of the graph. */
export function unitOf(g: Graph, nodes: Node[]): Unit {
  const inside = new Set<Value>();
  for (const n of nodes) for (const o of n.outputs) if (o) inside.add(o);
  const inputs: Value[] = [];
  const seen = new Set<Value>();
  for (const n of nodes) {
    for (const v of n.inputs)
      if (v && !v.const && !inside.has(v) && !seen.has(v)) {
        seen.add(v);
        inputs.push(v);
      }
  }
  const usedOutside = new Set<Value>(g.outputs);
  const mine = new Set(nodes);
  for (const n of g.nodes) if (!mine.has(n)) for (const v of n.inputs) if (v) usedOutside.add(v);
  const outputs = [...inside].filter((v) => usedOutside.has(v));
  return { nodes, inputs, outputs };
}
