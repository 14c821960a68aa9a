// A k.layernorm over the last axis whose every reader is a k.matmul taking it as A becomes a
// prologue of those matmuls (k.norm_matmul): each normalises the rows it reads on the fly, so the
// normalised tensor is never written. Pre-norm decoders: the attention and MLP norms vanish into
// the projections. Only for a few rows (decode steps, MAX_ROWS): each matmul recomputes the row
// statistics, which costs nothing for one token and would for a long prompt. Then the MLP's gate
// and up projections of the same normalised input become one gated kernel (SwiGLU in its epilogue).

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

const sameAttr = (a: Node, b: Node, k: string) => JSON.stringify(a.attrs[k]) === JSON.stringify(b.attrs[k]);

/**
 * gate/up pairs: a k.map over exactly two k.norm_matmul results of the same input, norm and weight
 * shape (no epilogue of their own) becomes one gated k.norm_matmul whose epilogue is the map.
 */
function fuseGated(g: Graph): number {
  let n = 0;
  for (const m of [...g.nodes]) {
    if (m.op !== 'k.map' || m.inputs.length !== 2) continue;
    const users = g.users();
    const [a, b] = m.inputs.map((v) => v?.producer);
    const plain = (p: Node | undefined): p is Node =>
      !!p &&
      p.op === 'k.norm_matmul' &&
      !p.attrs.gated &&
      (p.attrs.extras as { value: number } | undefined)?.value === 0 &&
      ((p.attrs.epilogue as { value: string } | undefined)?.value ?? '$0') === '$0' &&
      users.get(p.outputs[0]!)?.length === 1 &&
      !g.outputs.includes(p.outputs[0]!);
    if (!plain(a) || !plain(b) || a === b) continue;
    const wa = a.inputs[1]?.type?.shape,
      wb = b.inputs[1]?.type?.shape;
    if (!wa || !wb || wa.join() !== wb.join() || !b.inputs[1]?.const) continue;
    if (a.inputs.length !== b.inputs.length || a.inputs.some((v, i) => i !== 1 && v !== b.inputs[i])) continue;
    if (!['epsilon', 'rms', 'transB'].every((k) => sameAttr(a, b, k))) continue;
    // the gated node runs where `a` was: b's weight is a constant, so it exists by then
    a.inputs = [a.inputs[0]!, a.inputs[1]!, b.inputs[1]!, ...a.inputs.slice(2)];
    a.attrs = { ...a.attrs, gated: { kind: 'int', value: 1 }, epilogue: m.attrs.expr! };
    const y = m.outputs[0]!;
    a.outputs = [y];
    y.producer = a;
    g.nodes = g.nodes.filter((x) => x !== b && x !== m);
    n++;
  }
  return n;
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
  return n + fuseGated(g);
}

export const fuseNormMatmul: Pass = {
  name: 'fuse-norm-matmul',
  description: 'fold a k.layernorm read only by matmuls into their prologue (k.norm_matmul), for decode-sized rows',
  run(g) {
    const n = fuseNormMatmulGraph(g);
    return { changed: n > 0, summary: `fused ${n} norm${n === 1 ? '' : 's'} into matmul prologues` };
  },
};
