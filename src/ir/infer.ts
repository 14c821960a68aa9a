// Running an op's shape/type rule on one node, with errors that name the node.

import { AttrReader } from './attributes.js';
import type { Node, TensorType } from './graph.js';
import { type InferContext, lookupOp, type OpDef } from './op-def.js';
import { formatType } from './text-common.js';

export class OpError extends Error {
  constructor(
    message: string,
    readonly node?: Node,
  ) {
    super(message);
    this.name = 'OpError';
  }
}

export function opDefOf(node: Node): OpDef {
  const def = lookupOp(node.op);
  if (!def) throw new OpError(`${node.describe()}: unknown op ${node.op}`, node);
  return def;
}

export function attrsOf(node: Node): AttrReader {
  return new AttrReader(node.attrs, node.describe());
}

/** Prefix an error with the node it concerns, once. */
export function nodeError(node: Node, e: unknown): OpError {
  if (e instanceof OpError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new OpError(`${node.describe()}: ${msg}`, node);
}

/** Output types of a node from its input types and any constant inputs. */
export function inferNode(node: Node): TensorType[] {
  const def = opDefOf(node);
  const ctx: InferContext = {
    node,
    attrs: attrsOf(node),
    types: node.inputs.map((v) => v?.type),
    consts: node.inputs.map((v) => v?.const),
  };
  try {
    if (!def.values) {
      ctx.types.forEach((t, i) => {
        if (t?.wrap?.length) throw new Error(`input #${i} is ${formatType(t)}, but ${node.op} takes tensors`);
      });
    }
    return def.infer(ctx);
  } catch (e) {
    throw nodeError(node, e);
  }
}
