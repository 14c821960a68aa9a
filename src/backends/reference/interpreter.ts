// The reference interpreter: runs each node's reference implementation in order. It is the oracle
// for every other backend, so it checks every result against the node's shape/type rule. It runs
// every kind of value: tensors, sequences, optionals, and control flow with its subgraphs.

import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { describeRunValue, type RunValue } from '../../ir/values.js';
import { runGraph } from '../../ops/subgraph.js';
import { registerBackend, type Backend, type PreparedModel } from '../backend.js';

/** Run a graph whose outputs are tensors. */
export function interpret(g: Graph, feeds: RunValue[]): Tensor[] {
  return tensorsOnly(runGraph(g, feeds), g);
}

/** Outputs that must be tensors: a sequence or optional here is an error that says where to look. */
export function tensorsOnly(outs: RunValue[], g: Graph): Tensor[] {
  outs.forEach((v, i) => {
    if (!(v instanceof Tensor)) {
      throw new Error(`output '${g.outputs[i]?.name}' is ${describeRunValue(v)}, not a tensor; read it with session.runValues()`);
    }
  });
  return outs as Tensor[];
}

/** interpret for graphs whose outputs may be sequences or optionals. */
export function interpretValues(g: Graph, feeds: RunValue[]): RunValue[] {
  return runGraph(g, feeds);
}

class ReferenceBackend implements Backend {
  readonly name = 'reference';
  async prepare(graph: Graph): Promise<PreparedModel> {
    return {
      run: async (feeds) => tensorsOnly(interpretValues(graph, feeds), graph),
      runValues: async (feeds) => interpretValues(graph, feeds),
      release: async () => {},
    };
  }
}

registerBackend('reference', async () => new ReferenceBackend());
