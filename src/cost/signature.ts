// Op signature: the key measured kernel times are kept under. Same op, same input types, same
// attributes -> same kernel, so its measured time transfers.

import type { Node } from '../ir/graph.js';
import { formatType } from '../ir/text-common.js';

export function opSignature(node: Node): string {
  const ins = node.inputs.map((v) => (v ? formatType(v.type) : '_')).join(',');
  const attrs = Object.keys(node.attrs).sort().map((k) => `${k}=${JSON.stringify(node.attrs[k])}`).join(';');
  return `${node.op}(${ins})${attrs ? `{${attrs}}` : ''}`;
}
