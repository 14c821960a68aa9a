// Views of an agent run in the demo: the per-node table (device, time, LLM numbers, skips and
// errors), the warnings, the run's cost, and the stat tiles of the summary.

import type { AgentResult } from '../../src/agent/types.js';
import type { DeviceEntry } from '../../src/runtime/devices.js';
import { deviceColor } from './colors.js';
import { h, ms } from './dom.js';

/** The node table of a run, and its warnings (when there are any). */
export function nodeRecords(r: AgentResult, entries: DeviceEntry[]): (HTMLElement | null)[] {
  const kinds = new Map(entries.map((e) => [e.device.id, e.device.kind]));
  const dot = (d: string) => h('i', { class: 'dot', style: `background:${deviceColor(d, kinds.get(d))}` });
  return [
    h(
      'table',
      { class: 'grid', id: 'agent-nodes' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['node', 'kind', 'iter', 'device', 'ms', 'detail'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        r.records.map((x) => {
          const dev = x.llm
            ? x.llm.prefillDevice === x.llm.decodeDevice
              ? x.llm.prefillDevice
              : `${x.llm.prefillDevice} → ${x.llm.decodeDevice}`
            : x.device;
          const detail =
            x.status === 'skipped'
              ? 'skipped (no edge taken)'
              : x.status === 'error'
                ? `error: ${x.error}`
                : x.llm
                  ? `${x.llm.promptTokens} prompt + ${x.llm.tokens} new tokens, ` +
                    `TTFT ${ms(x.llm.ttftMs)}, TPOT ${ms(x.llm.tpotMs)}`
                  : '';
          return h(
            'tr',
            { 'data-node': x.node },
            h('td', {}, h('code', {}, x.node)),
            h('td', {}, x.kind),
            h('td', { class: 'num' }, String(x.iteration)),
            h('td', {}, dot(x.llm?.prefillDevice ?? x.device), dev),
            h('td', { class: 'num' }, x.status === 'skipped' ? '–' : ms(x.endMs - x.startMs)),
            h('td', { class: 'why-cell' }, detail),
          );
        }),
      ),
    ),
    r.warnings.length
      ? h(
          'ul',
          { class: 'notes bad' },
          r.warnings.map((w) => h('li', {}, w)),
        )
      : null,
  ];
}

/** Measured device time × price, llm nodes split into prefill and decode on their devices. */
export function runCost(r: AgentResult, entries: DeviceEntry[]): number {
  const price = new Map(entries.map((e) => [e.device.id, e.profile.pricePerHour.value]));
  const per = (d: string, msTaken: number) => (msTaken * (price.get(d) ?? 0)) / 3.6e6;
  return r.records
    .filter((x) => x.status === 'ok')
    .reduce(
      (a, x) =>
        a +
        (x.llm
          ? per(x.llm.prefillDevice, x.llm.ttftMs) + per(x.llm.decodeDevice, x.endMs - x.startMs - x.llm.ttftMs)
          : per(x.device, x.endMs - x.startMs)),
      0,
    );
}

export function stat(label: string, value: string, cls = '', title?: string): HTMLElement {
  return h(
    'div',
    { class: `stat ${cls}`, title },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
  );
}
