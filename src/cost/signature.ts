// Op signature: the key measured kernel times are kept under. Same op, same input types, same
// attributes -> same kernel, so its measured time transfers.

import type { Attr } from '../ir/attributes.js';
import type { Node } from '../ir/graph.js';
import { printGraph } from '../ir/printer.js';
import { formatType } from '../ir/text-common.js';

/** A subgraph is keyed by its text (constants elided), a type by its text form. */
function attrKey(a: Attr): string {
  if (a.kind === 'graph') return printGraph(a.value, { elideBlobs: true });
  if (a.kind === 'type') return formatType(a.value);
  return JSON.stringify(a);
}

export function opSignature(node: Node): string {
  const ins = node.inputs.map((v) => (v ? formatType(v.type) : '_')).join(',');
  const attrs = Object.keys(node.attrs)
    .sort()
    .map((k) => `${k}=${attrKey(node.attrs[k]!)}`)
    .join(';');
  return `${node.op}(${ins})${attrs ? `{${attrs}}` : ''}`;
}
