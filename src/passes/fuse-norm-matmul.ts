// A k.layernorm over the last axis whose every reader is a k.matmul taking it as A becomes a
// prologue of those matmuls (k.norm_matmul): each normalises the rows it reads on the fly, so the
// normalised tensor is never written. Pre-norm decoders: the attention and MLP norms vanish into
// the projections. Only for a few rows (decode steps, MAX_ROWS): each matmul recomputes the row
// statistics, which costs nothing for one token and would for a long prompt.

import type { Graph, Node, Value } from '../ir/graph.js';
import { isStatic } from '../ir/shape.js';
import '../ops/kernel/norm-matmul.js';
import { deadCodeElimination } from './dce.js';
import type { Pass } from './pass.js';

export const MAX_ROWS = 8;

function readers(g: Graph, ln: Node, users: Map<Value, Node[]>): Node[] | undefined {
  const y = ln.outputs[0];
  const x = ln.inputs[0];
  const shape = y?.type?.shape;
  if (!y || !x || !shape || !isStatic(shape) || g.outputs.includes(y)) return undefined;
  const axis = ln.attrs.axis?.kind === 'int' ? ln.attrs.axis.value : -1;
  const K = shape[shape.length - 1] as number;
  const rows = (shape as number[]).reduce((p, q) => p * q, 1) / K;
  if (axis !== shape.length - 1 || rows > MAX_ROWS) return undefined;
  const us = users.get(y) ?? [];
  const ok = us.every(
    (m) =>
      m.op === 'k.matmul' &&
      m.inputs[0] === y &&
      !m.inputs.slice(1).includes(y) &&
      !(m.attrs.transA?.kind === 'int' && m.attrs.transA.value) &&
      m.inputs[1]?.type?.shape?.length === 2,
  );
  return us.length && ok ? us : undefined;
}

export function fuseNormMatmulGraph(g: Graph): number {
  let n = 0;
  const users = g.users();
  for (const ln of [...g.nodes]) {
    if (ln.op !== 'k.layernorm') continue;
    const ms = readers(g, ln, users);
    if (!ms) continue;
    for (const m of ms) {
      const extras = m.inputs.length - 2;
      m.op = 'k.norm_matmul';
      m.inputs = [ln.inputs[0]!, ...m.inputs.slice(1), ...ln.inputs.slice(1).filter((v): v is Value => !!v)];
      m.attrs = {
        ...m.attrs,
        extras: { kind: 'int', value: extras },
        epsilon: ln.attrs.epsilon ?? { kind: 'float', value: 1e-5 },
        rms: ln.attrs.rms ?? { kind: 'int', value: 0 },
      };
    }
    n++;
  }
  if (n) deadCodeElimination.run(g);
  return n;
}

export const fuseNormMatmul: Pass = {
  name: 'fuse-norm-matmul',
  description: 'fold a k.layernorm read only by matmuls into their prologue (k.norm_matmul), for decode-sized rows',
  run(g) {
    const n = fuseNormMatmulGraph(g);
    return { changed: n > 0, summary: `fused ${n} norm${n === 1 ? '' : 's'} into matmul prologues` };
  },
};
