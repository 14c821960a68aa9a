// The reference interpreter: runs each node's reference implementation in order. It is the oracle
// for every other backend, so it checks every result against the node's shape/type rule. It runs
// every kind of value: tensors, sequences, optionals, and control flow with its subgraphs.

import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { tensorsOnly, type RunValue } from '../../ir/values.js';
import { runGraph } from '../../ops/subgraph.js';
import { registerBackend, type Backend, type PreparedModel } from '../backend.js';

/** Run a graph whose outputs are tensors. */
export function interpret(g: Graph, feeds: RunValue[]): Tensor[] {
  return tensorsOnly(runGraph(g, feeds), g.outputs);
}



/** interpret for graphs whose outputs may be sequences or optionals. */
export function interpretValues(g: Graph, feeds: RunValue[]): RunValue[] {
  return runGraph(g, feeds);
}

class ReferenceBackend implements Backend {
  readonly name = 'reference';
  async prepare(graph: Graph): Promise<PreparedModel> {
    return {
      run: async (feeds) => tensorsOnly(interpretValues(graph, feeds), graph.outputs),
      runValues: async (feeds) => interpretValues(graph, feeds),
      release: async () => {},
    };
  }
}

registerBackend('reference', async () => new ReferenceBackend());
