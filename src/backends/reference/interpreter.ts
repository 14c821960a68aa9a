// The reference interpreter as plain functions (tests, tools): each node's reference implementation
// in order, every result checked against the node's shape/type rule, every kind of value (tensors,
// sequences, optionals, control flow with its subgraphs). Sessions run the same semantics through
// ReferenceDevice (backend 'reference').

import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { type RunValue, tensorsOnly } from '../../ir/values.js';
import { runGraph } from '../../ops/subgraph.js';

/** Run a graph whose outputs are tensors. */
export function interpret(g: Graph, feeds: RunValue[]): Tensor[] {
  return tensorsOnly(runGraph(g, feeds), g.outputs);
}
