// A pass is a named, printable transformation of a graph. Passes mutate the graph in place and
// report what they changed, so `switchyard compile --print-after` can show each step.

import type { Graph } from '../ir/graph.js';

export interface PassResult {
  /** One line for people: "folded 12 nodes". */
  summary: string;
  changed: boolean;
}

export interface Pass {
  name: string;
  description: string;
  run(g: Graph): PassResult;
}
