// Kernel ops whose math is an nn op's with normalised attributes evaluate through that op's
// reference implementation, so there is one definition of the semantics.

import type { Attr } from '../../ir/attributes.js';
import { Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../evaluate.js';

export function evalAs(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, Attr>, outputs = 1): Tensor[] {
  const node = new Node(
    op,
    inputs.map((t, i) => (t ? new Value(`in${i}`) : null)),
    Array.from({ length: outputs }, (_, i) => new Value(`out${i}`)),
    attrs,
  );
  return evalNode(node, inputs);
}
