// Shape inference: every value gets a type from its op's rule; symbolic dims stay symbolic.
// A recorded type is kept where it is more specific, and a contradiction is an error.

import type { Graph, TensorType } from '../ir/graph.js';
import { inferNode, nodeError } from '../ir/infer.js';
import { formatType } from '../ir/text-common.js';
import type { Pass } from './pass.js';

/** The inferred type, keeping the recorded one's dims where it is more specific; throws on a contradiction. */
export function refine(old: TensorType | undefined, inferred: TensorType | undefined): TensorType | undefined {
  if (!old || !inferred) return inferred ?? old;
  if (old.dtype !== inferred.dtype || (old.wrap ?? []).join() !== (inferred.wrap ?? []).join())
    throw new Error(`recorded ${formatType(old)} but the rule gives ${formatType(inferred)}`);
  if (!old.shape || !inferred.shape) return inferred.shape ? inferred : old;
  if (old.shape.length !== inferred.shape.length)
    throw new Error(`recorded ${formatType(old)} but the rule gives ${formatType(inferred)}`);
  return {
    ...(inferred.wrap?.length ? { wrap: inferred.wrap } : {}),
    dtype: old.dtype,
    shape: inferred.shape.map((d, i) => {
      const o = old.shape![i]!;
      if (typeof d === 'number' && typeof o === 'number' && d !== o)
        throw new Error(`recorded ${formatType(old)} but the rule gives ${formatType(inferred)}`);
      return typeof d === 'number' ? d : o;
    }),
  };
}

export const shapeInference: Pass = {
  name: 'shape-inference',
  description: 'infer the type and shape of every value (symbolic where dims are unknown)',
  run(g: Graph) {
    let changed = 0;
    for (const n of g.nodes) {
      const types = inferNode(n);
      n.outputs.forEach((o, i) => {
        if (!o) return;
        let t;
        try {
          t = refine(o.type, types[i]);
        } catch (e) {
          throw nodeError(n, new Error(`output '${o.name}': ${(e as Error).message}`));
        }
        if (formatType(t) !== formatType(o.type)) changed++;
        o.type = t;
      });
    }
    return { changed: changed > 0, summary: `${changed} value types refined` };
  },
};
