// What the bundled example models are, and a short description of any loaded graph.

import type { Graph } from '../../src/ir/graph.js';
import { bytes, h } from './dom.js';

export const CATALOG: Record<string, { title: string; about: string }> = {
  'two-tower.onnx': {
    title: 'Two-tower scorer',
    about: 'Two independent MLP branches joined by a head: two devices can work side by side.',
  },
  'mini-encoder.onnx': {
    title: 'Transformer block',
    about: 'One encoder layer (4 heads, hidden 128, FFN 512) over 64 tokens, as an exporter emits it.',
  },
  'tiny-cnn.onnx': {
    title: 'Tiny CNN',
    about: 'Two conv blocks, pooling and a linear head: 32×32 RGB to 10 classes.',
  },
};

const dims = (v: Graph['inputs'][number]) => `${v.type?.dtype ?? '?'}[${v.type?.shape?.join(', ') ?? '?'}]`;

export function describeModel(g: Graph, size: number, known?: { title: string; about: string }): HTMLElement {
  const ops = new Map<string, number>();
  for (const n of g.nodes) ops.set(n.op.replace(/^nn\./, ''), (ops.get(n.op.replace(/^nn\./, '')) ?? 0) + 1);
  const top = [...ops].sort((a, b) => b[1] - a[1]);
  return h(
    'div',
    {},
    known ? h('p', { class: 'small' }, known.about) : null,
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'size'),
      h('dd', {}, bytes(size)),
      h('dt', {}, 'nodes'),
      h('dd', {}, String(g.nodes.length)),
      ...g.inputs.flatMap((v) => [h('dt', {}, `in ${v.name}`), h('dd', {}, h('code', {}, dims(v)))]),
      ...g.outputs.flatMap((v) => [h('dt', {}, `out ${v.name}`), h('dd', {}, h('code', {}, dims(v)))]),
    ),
    h(
      'div',
      { class: 'ops' },
      top.slice(0, 10).map(([op, n]) => h('span', { class: 'op' }, `${op}${n > 1 ? ` ×${n}` : ''}`)),
    ),
  );
}
