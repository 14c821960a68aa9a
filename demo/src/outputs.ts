// Output tensors: shape, type, statistics, the first values, and the top classes where the output
// is a row of scores.

import type { Tensor } from '../../src/ir/tensor.js';
import { h } from './dom.js';

const fmt = (x: number) =>
  Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
      ? x.toExponential(3)
      : x.toFixed(4);

export function numbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function outputCard(name: string, t: Tensor): HTMLElement {
  const v = numbers(t);
  const finite = v.filter(Number.isFinite);
  const min = finite.length ? Math.min(...finite) : NaN,
    max = finite.length ? Math.max(...finite) : NaN;
  const mean = finite.reduce((a, b) => a + b, 0) / (finite.length || 1);
  const last = t.dims[t.dims.length - 1] ?? v.length;
  const rows = v.length / (last || 1);
  const card = h(
    'div',
    { class: 'out-card', 'data-output': name },
    h('div', { class: 'out-head' }, h('b', {}, name), h('code', {}, `${t.type}[${t.dims.join(', ')}]`)),
    h(
      'div',
      { class: 'out-stats' },
      h('span', {}, `min ${fmt(min)}`),
      h('span', {}, `max ${fmt(max)}`),
      h('span', {}, `mean ${fmt(mean)}`),
      h('span', {}, `${v.length} values`),
    ),
  );
  if (rows === 1 && last >= 2 && last <= 1000) {
    const top = v
      .map((x, i) => [x, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5);
    const hi = Math.max(...top.map(([x]) => Math.abs(x)), 1e-12);
    card.append(
      h(
        'div',
        { class: 'topk' },
        top.map(([x, i]) =>
          h(
            'div',
            { class: 'topk-row' },
            h('span', { class: 'topk-i' }, `#${i}`),
            h(
              'span',
              { class: 'topk-bar' },
              h('i', { style: `width:${Math.max(2, (Math.abs(x) / hi) * 100).toFixed(1)}%` }),
            ),
            h('span', { class: 'topk-v' }, fmt(x)),
          ),
        ),
      ),
    );
  }
  card.append(
    h(
      'div',
      { class: 'out-values' },
      h('code', {}, `[${v.slice(0, 12).map(fmt).join(', ')}${v.length > 12 ? ', …' : ''}]`),
    ),
  );
  return card;
}
