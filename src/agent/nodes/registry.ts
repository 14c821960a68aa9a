// Every node kind, by name. The checker, the lowering, the planner and the executor reach a node's
// behaviour through kindOf(); nothing else branches on a node's kind.

import type { NodeKind, NodeSpec } from '../graph/spec.js';
import { convertKind } from './convert.js';
import { embedKind } from './embed.js';
import { filterKind } from './filter.js';
import type { NodeKindDef } from './kind.js';
import { llmKind } from './llm.js';
import { retrieveKind } from './retrieve.js';
import { toolKind } from './tool.js';

export const NODE_KIND_DEFS: { readonly [K in NodeKind]: NodeKindDef<K> } = {
  llm: llmKind,
  embed: embedKind,
  retrieve: retrieveKind,
  tool: toolKind,
  convert: convertKind,
  filter: filterKind,
};

/** The kind definition of a node (typed loosely: the node and its kind always agree). */
export function kindOf(n: NodeSpec): NodeKindDef<NodeKind> {
  const def = NODE_KIND_DEFS[n.kind] as unknown as NodeKindDef<NodeKind> | undefined;
  if (!def) throw new Error(`node kind '${n.kind}' is not registered`);
  return def;
}
