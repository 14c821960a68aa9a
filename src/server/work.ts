// Work of a graph from its ops' cost rules (FLOPs and bytes), for the server's time estimates
// before a graph has run. Undefined when a shape is symbolic: then only measured times count.

import { dtypeBytes } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { attrsOf, opDefOf } from '../ir/infer.js';

export interface Work {
  flops: number;
  bytes: number;
  nodes: number;
}

export function graphWork(g: Graph): Work | undefined {
  let flops = 0,
    bytes = 0;
  const size = (t: { dtype: Parameters<typeof dtypeBytes>[0]; shape?: readonly (number | string)[] } | undefined) => {
    if (!t?.shape || t.shape.some((d) => typeof d !== 'number')) return undefined;
    return (t.shape as number[]).reduce((a, b) => a * b, 1) * dtypeBytes(t.dtype);
  };
  for (const n of g.nodes) {
    const types = n.inputs.map((v) => v?.type);
    const outTypes = n.outputs.map((v) => v?.type);
    const def = opDefOf(n);
    if (def.cost) {
      try {
        const c = def.cost({ node: n, attrs: attrsOf(n), types, outTypes });
        if (!Number.isFinite(c.flops) || !Number.isFinite(c.bytes)) return undefined;
        flops += c.flops;
        bytes += c.bytes;
        continue;
      } catch {
        return undefined;
      }
    }
    for (const t of [...types, ...outTypes]) {
      if (!t) continue;
      const s = size(t);
      if (s === undefined) return undefined;
      bytes += s;
    }
    for (const t of outTypes) if (t) flops += size(t)! / dtypeBytes(t.dtype);
  }
  return { flops, bytes, nodes: g.nodes.length };
}
