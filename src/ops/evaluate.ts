// Evaluate one node with its op's reference implementation. Used by the reference interpreter
// and by constant folding, so both compute exactly the same thing.

import type { Node } from '../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../ir/infer.js';
import type { Tensor } from '../ir/tensor.js';

export function evalNode(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const def = opDefOf(node);
  try {
    return def.run({ node, attrs: attrsOf(node), inputs });
  } catch (e) {
    throw nodeError(node, e);
  }
}
