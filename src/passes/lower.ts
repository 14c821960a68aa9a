// Lowering: nn.* ops become kernel-level k.* ops where a kernel form exists, with attributes
// normalised (axes sorted and non-negative, auto_pad resolved, Gemm's alpha/beta in an epilogue).
// Each op family owns its lowering (OpDef.lower in src/ops/<family>.ts); this pass only drives
// the hooks. Ops with no kernel form stay nn.*; backends run those directly or fall back, visibly.

import { AttrReader } from '../ir/attributes.js';
import { isNarrow } from '../ir/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import { lookupOp } from '../ir/op-def.js';
import type { Pass } from './pass.js';

function lowerNode(n: Node, g: Graph): Node | undefined {
  if (!n.op.startsWith('nn.')) return undefined;
  // sequences, optionals and strings have no kernel form: those nodes stay as they are
  if ([...n.inputs, ...n.outputs].some((v) => v?.type && (v.type.wrap?.length || v.type.dtype === 'string')))
    return undefined;
  // the narrow types (bfloat16, float8, 4- and 2-bit) have no kernels: their nodes stay nn.* for
  // the reference path
  if ([...n.inputs, ...n.outputs].some((v) => v?.type && isNarrow(v.type.dtype))) return undefined;
  const def = lookupOp(n.op);
  if (!def?.lower) return undefined;
  const k = def.lower({ node: n, attrs: new AttrReader(n.attrs, n.describe()), graph: g });
  if (k && !def.lowersTo?.includes(k.op))
    throw new Error(`lowering of ${n.describe()} produced ${k.op}, not one of ${n.op}'s lowersTo`);
  return k;
}

export const lower: Pass = {
  name: 'lower',
  description: 'rewrite nn.* ops into kernel-level k.* ops (k.map, k.matmul, k.conv, k.softmax, k.reduce, k.layernorm)',
  run(g: Graph) {
    let count = 0;
    g.nodes = g.nodes.map((n) => {
      const k = lowerNode(n, g);
      if (!k) return n;
      count++;
      for (const o of k.outputs) if (o) o.producer = k;
      return k;
    });
    return { changed: count > 0, summary: `lowered ${count} nodes to kernel ops` };
  },
};
