// Evaluate one node with its op's reference implementation. Used by the reference interpreter
// and by constant folding, so both compute exactly the same thing.

import type { Node } from '../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../ir/infer.js';
import { Tensor } from '../ir/tensor.js';
import { describeRunValue, type RunValue } from '../ir/values.js';

/** A node on tensors only: what kernel backends and folding call. A sequence here is an error. */
export function evalNode(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const outs = evalNodeValues(node, inputs);
  outs.forEach((v, i) => {
    if (v !== undefined && !(v instanceof Tensor)) {
      throw nodeError(node, new Error(`output #${i} is ${describeRunValue(v)}; this path runs tensors only`));
    }
  });
  return outs as Tensor[];
}

/** A node on any run-time values (sequences and optionals included): the host's path. */
export function evalNodeValues(node: Node, inputs: (RunValue | undefined)[]): RunValue[] {
  const def = opDefOf(node);
  try {
    if (def.runValues) return def.runValues({ node, attrs: attrsOf(node), inputs });
    inputs.forEach((v, i) => {
      if (v !== undefined && !(v instanceof Tensor)) {
        throw new Error(`input #${i} is ${describeRunValue(v)}, but ${node.op} takes tensors`);
      }
    });
    return def.run({ node, attrs: attrsOf(node), inputs: inputs as (Tensor | undefined)[] });
  } catch (e) {
    throw nodeError(node, e);
  }
}
