// A Transpose that only moves axes of size 1 keeps every element where it was: it is a Reshape,
// which kernel backends run as a view (no dispatch, no copy). Decode steps are full of them: the
// head split [1, 1, H, D] -> [1, H, 1, D] and the merge back, once per Q, K, V and output.

import { type Graph, Node, Value } from '../ir/graph.js';
import { isStatic } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';

/** Whether perm keeps the axes longer than 1 in their order (then the data does not move). */
export function movesOnlyUnitAxes(dims: readonly number[], perm: readonly number[]): boolean {
  const order = perm.filter((a) => dims[a] !== 1);
  return order.every((a, i) => i === 0 || a > order[i - 1]!);
}

export function freeTransposes(g: Graph): number {
  let n = 0;
  g.nodes = g.nodes.map((node) => {
    if (node.op !== 'nn.Transpose') return node;
    const x = node.inputs[0],
      y = node.outputs[0];
    const dims = x?.type?.shape,
      out = y?.type?.shape;
    if (!x || !y || !dims || !out || !isStatic(dims) || !isStatic(out)) return node;
    const r = dims.length;
    const perm = node.attrs.perm?.kind === 'ints' ? node.attrs.perm.value : [...Array(r).keys()].reverse();
    if (!movesOnlyUnitAxes(dims as number[], perm)) return node;
    const shape = new Value(`${y.name}.shape`, { dtype: 'int64', shape: [r] });
    shape.const = Tensor.from('int64', (out as number[]).map(BigInt), [r]);
    n++;
    return new Node('nn.Reshape', [x, shape], [y], {}, node.name);
  });
  return n;
}

export const freeTranspose: Pass = {
  name: 'free-transpose',
  description: 'rewrite Transposes that only move axes of size 1 into Reshapes (views)',
  run(g) {
    const n = freeTransposes(g);
    return { changed: n > 0, summary: `${n} transpose${n === 1 ? '' : 's'} became reshapes` };
  },
};
