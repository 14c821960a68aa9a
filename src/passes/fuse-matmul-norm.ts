// A k.matmul whose only reader is a k.layernorm over its last axis becomes one k.matmul_norm: the
// WebGPU kernel normalises each row while it is still in the workgroup (post-norm encoders: output
// projection + bias + residual, then LayerNorm; FFN down projection likewise). Only where the
// rows fit one workgroup's registers (N up to MAX_N) and B is a plain 2-D weight.

import type { Graph, Node, Value } from '../ir/graph.js';
import { isStatic } from '../ir/shape.js';
import '../ops/kernel/matmul-norm.js';
import type { Pass } from './pass.js';

export const MAX_N = 2048;

function candidate(g: Graph, ln: Node, users: Map<Value, Node[]>): Node | undefined {
  const x = ln.inputs[0];
  const mm = x?.producer;
  if (!x || !mm || mm.op !== 'k.matmul' || g.outputs.includes(x) || users.get(x)?.length !== 1) return undefined;
  const shape = x.type?.shape;
  const b = mm.inputs[1]?.type?.shape;
  if (!shape || !isStatic(shape) || !b || b.length !== 2) return undefined;
  const axis = ln.attrs.axis?.kind === 'int' ? ln.attrs.axis.value : -1;
  if (axis !== shape.length - 1 || (shape[shape.length - 1] as number) > MAX_N) return undefined;
  if (mm.attrs.transA?.kind === 'int' && mm.attrs.transA.value) return undefined;
  // the norm's scale/bias must exist before the matmul runs (they are weights in practice)
  const at = g.nodes.indexOf(mm);
  if (ln.inputs.slice(1).some((v) => v?.producer && g.nodes.indexOf(v.producer) > at)) return undefined;
  return mm;
}

export function fuseMatmulNormGraph(g: Graph): number {
  let n = 0;
  const users = g.users();
  for (const ln of [...g.nodes]) {
    if (ln.op !== 'k.layernorm') continue;
    const mm = candidate(g, ln, users);
    if (!mm) continue;
    const extras = mm.inputs.length - 2;
    mm.op = 'k.matmul_norm';
    mm.inputs = [...mm.inputs, ...ln.inputs.slice(1).filter((v): v is Value => !!v)];
    mm.attrs = {
      ...mm.attrs,
      extras: { kind: 'int', value: extras },
      epsilon: ln.attrs.epsilon ?? { kind: 'float', value: 1e-5 },
      rms: ln.attrs.rms ?? { kind: 'int', value: 0 },
    };
    const y = ln.outputs[0]!;
    mm.outputs = [y];
    y.producer = mm;
    g.nodes = g.nodes.filter((x) => x !== ln);
    n++;
  }
  return n;
}

export const fuseMatmulNorm: Pass = {
  name: 'fuse-matmul-norm',
  description: 'fold a k.layernorm over a k.matmul result into the matmul (k.matmul_norm)',
  run(g) {
    const n = fuseMatmulNormGraph(g);
    return { changed: n > 0, summary: `fused ${n} layer norm${n === 1 ? '' : 's'} into matmuls` };
  },
};
