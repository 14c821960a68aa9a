// The reference interpreter: runs each node's reference implementation in order, checking every
// result against the node's shape/type rule. A plain function for tests and tools; sessions run the
// same through ReferenceDevice (backend 'reference').

import type { Graph, Node, Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import { evalNode } from '../../ops/evaluate.js';
import type { Tensor } from '../../ir/tensor.js';
import { formatType } from '../../ir/text-common.js';

/** A node's result must have the type its shape/type rule gave the value (symbolic dims match any size). */
export function checkResult(node: Node, v: Value, t: Tensor): void {
  const ty = v.type;
  if (!ty) return;
  const ok = ty.dtype === t.type && (!ty.shape || (ty.shape.length === t.dims.length && ty.shape.every((d, i) => typeof d === 'string' || d === t.dims[i])));
  if (!ok) {
    throw nodeError(node, new Error(`produced ${t.type}[${t.dims.join(',')}] for '${v.name}', but its type is ${formatType(ty)} (an inconsistent model, or a bug in the op)`));
  }
}

export function interpret(g: Graph, feeds: Tensor[]): Tensor[] {
  const env = new Map<Value, Tensor>();
  g.inputs.forEach((v, i) => env.set(v, feeds[i]!));
  const read = (v: Value | null): Tensor | undefined => {
    if (!v) return undefined;
    const t = v.const ?? env.get(v);
    if (!t) throw new Error(`value '${v.name}' has no data (graph not in topological order?)`);
    return t;
  };
  for (const node of g.nodes) {
    const outs = evalNode(node, node.inputs.map(read));
    node.outputs.forEach((o, i) => {
      if (!o) return;
      const t = outs[i];
      if (!t) throw nodeError(node, new Error(`produced no value for output #${i} '${o.name}'`));
      checkResult(node, o, t);
      env.set(o, t);
    });
  }
  return g.outputs.map((v) => read(v)!);
}
