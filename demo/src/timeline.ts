// The timeline: a track per device with the plan's prediction (light) above what was measured
// (solid), transfers on a track of their own, and the deadline as a red line. Hover for times.

import type { Plan } from '../../src/planner/plan.js';
import type { RunReport } from '../../src/runtime/executor.js';
import { deviceColor } from './colors.js';
import { bytes, clear, h, ms, s, tooltip } from './dom.js';

const LEFT = 128,
  RIGHT = 16,
  TOP = 26,
  ROW = 22,
  GAP = 10;

function ticks(span: number): number[] {
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
  return out;
}

export function drawTimeline(
  host: HTMLElement,
  plan: Plan,
  report: RunReport | undefined,
  devices: { id: string; kind: string }[],
): void {
  const width = Math.max(640, host.clientWidth || 900);
  const used = new Set([...plan.assignments.map((a) => a.device), ...(report?.units ?? []).map((u) => u.device)]);
  const devs = devices.filter((d) => used.has(d.id));
  const hasTransfers = plan.transfers.length > 0 || (report?.transfers.length ?? 0) > 0;
  const span = Math.max(plan.makespanMs, report?.totalMs ?? 0, plan.deadlineMs ?? 0, 1e-6) * 1.04;
  const x = (t: number) => LEFT + (t / span) * (width - LEFT - RIGHT);
  const tracks = devs.length + (hasTransfers ? 1 : 0);
  const height = TOP + tracks * (2 * ROW + GAP) + 22;
  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'timeline',
    role: 'img',
    'aria-label': 'timeline',
  });

  for (const t of ticks(span / 1.04)) {
    svg.append(
      s('line', { x1: x(t), x2: x(t), y1: TOP - 6, y2: height - 18, class: 'tick' }),
      s('text', { x: x(t), y: height - 5, class: 'tick-label' }, ms(t)),
    );
  }
  const trackY = (i: number) => TOP + i * (2 * ROW + GAP);
  devs.forEach((d, i) => {
    const y = trackY(i),
      color = deviceColor(d.id, d.kind);
    svg.append(
      s('rect', { x: 0, y: y - 3, width, height: 2 * ROW + 6, class: i % 2 ? 'track odd' : 'track' }),
      s('text', { x: 10, y: y + ROW - 6, class: 'track-label', fill: color }, d.id),
      s('text', { x: LEFT - 8, y: y + 15, class: 'row-label' }, 'plan'),
      s('text', { x: LEFT - 8, y: y + ROW + 15, class: 'row-label' }, report ? 'measured' : ''),
    );
    for (const a of plan.assignments.filter((q) => q.device === d.id && !q.task.startsWith('@'))) {
      const bar = s('rect', {
        x: x(a.startMs),
        y: y + 2,
        width: Math.max(1.5, x(a.endMs) - x(a.startMs)),
        height: ROW - 4,
        rx: 3,
        fill: color,
        class: 'bar predicted',
      });
      tooltip(bar, () =>
        h(
          'div',
          {},
          h('b', {}, a.task),
          ` planned on ${a.device}`,
          h('div', {}, `${ms(a.startMs)} → ${ms(a.endMs)} (${ms(a.endMs - a.startMs)})`),
          h('div', { class: 'tip-reason' }, a.reason),
        ),
      );
      svg.append(bar);
    }
    for (const u of (report?.units ?? []).filter((q) => q.device === d.id)) {
      const bar = s('rect', {
        x: x(u.startMs),
        y: y + ROW + 2,
        width: Math.max(1.5, x(u.endMs) - x(u.startMs)),
        height: ROW - 4,
        rx: 3,
        fill: color,
        class: 'bar measured',
        'data-unit': u.unit,
      });
      tooltip(bar, () =>
        h(
          'div',
          {},
          h('b', {}, u.unit),
          ` ran on ${u.device}`,
          h(
            'div',
            {},
            `${ms(u.startMs)} → ${ms(u.endMs)}: ${ms(u.endMs - u.startMs)} measured, ${ms(u.predictedMs)} planned`,
          ),
        ),
      );
      svg.append(bar);
    }
  });
  if (hasTransfers) {
    const y = trackY(devs.length);
    svg.append(
      s('rect', { x: 0, y: y - 3, width, height: 2 * ROW + 6, class: 'track transfers' }),
      s('text', { x: 10, y: y + ROW - 6, class: 'track-label' }, 'transfers'),
      s('text', { x: LEFT - 8, y: y + 15, class: 'row-label' }, 'plan'),
      s('text', { x: LEFT - 8, y: y + ROW + 15, class: 'row-label' }, report ? 'measured' : ''),
    );
    for (const t of plan.transfers) {
      const bar = s('rect', {
        x: x(t.startMs),
        y: y + 6,
        width: Math.max(1.5, x(t.endMs) - x(t.startMs)),
        height: ROW - 12,
        class: 'xfer predicted',
      });
      tooltip(bar, () =>
        h(
          'div',
          {},
          h('b', {}, `${t.from} → ${t.to}`),
          h('div', {}, `${t.fromDevice} → ${t.toDevice}, ${bytes(t.bytes)}, planned ${ms(t.endMs - t.startMs)}`),
        ),
      );
      svg.append(bar);
    }
    for (const t of report?.transfers ?? []) {
      const bar = s('rect', {
        x: x(t.startMs),
        y: y + ROW + 6,
        width: Math.max(1.5, x(t.endMs) - x(t.startMs)),
        height: ROW - 12,
        class: 'xfer measured',
      });
      tooltip(bar, () =>
        h(
          'div',
          {},
          h('b', {}, t.value),
          h('div', {}, `${t.from} → ${t.to}, ${bytes(t.bytes)}, ${ms(t.endMs - t.startMs)}`),
        ),
      );
      svg.append(bar);
    }
  }
  if (plan.deadlineMs !== undefined) {
    const dx = x(plan.deadlineMs);
    svg.append(
      s('line', { x1: dx, x2: dx, y1: TOP - 12, y2: height - 18, class: 'deadline' }),
      s('text', { x: dx + 4, y: TOP - 12, class: 'deadline-label' }, `deadline ${ms(plan.deadlineMs)}`),
    );
  }
  const legend = h(
    'div',
    { class: 'legend' },
    h('span', {}, h('i', { class: 'sw predicted' }), 'planned'),
    h('span', {}, h('i', { class: 'sw measured' }), 'measured'),
    hasTransfers ? h('span', {}, h('i', { class: 'sw xfer' }), 'transfer') : null,
    plan.deadlineMs !== undefined ? h('span', {}, h('i', { class: 'sw deadline' }), 'deadline') : null,
  );
  clear(host, svg, legend);
}
