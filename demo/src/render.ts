// Rendering a plan and its last run: the summary figures (predicted beside measured), the plan
// graph, the timeline, the table of units, and the engine's devices.

import type { HeteroPrepared } from '../../src/runtime/auto-backend.js';
import type { RunReport } from '../../src/runtime/executor.js';
import { deviceColor } from './colors.js';
import { engineDevices } from './devices-panel.js';
import { bytes, clear, dollars, h, ms } from './dom.js';
import { el } from './elements.js';
import { drawPlanGraph } from './plan-graph.js';
import { state } from './state.js';
import { drawTimeline } from './timeline.js';

function measuredCost(r: RunReport): number {
  const price = new Map(state.hp!.devices.map((d) => [d.device.id, d.profile.pricePerHour.value]));
  return r.units.reduce((a, u) => a + ((u.endMs - u.startMs) * (price.get(u.device) ?? 0)) / 3.6e6, 0);
}

function stat(label: string, value: string, cls = '', title?: string): HTMLElement {
  return h(
    'div',
    { class: `stat ${cls}`, title },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
  );
}

function steadyMedian(): string | undefined {
  // what a caller waits for (the steady prediction is learned from the same figure)
  const xs = (state.hp?.steadyReports ?? []).map((r) => r.callerMs ?? r.totalMs).sort((a, b) => a - b);
  return xs.length ? ms(xs[xs.length >> 1]!) : undefined;
}

export function render(): void {
  const { hp, view, session } = state;
  if (!hp || !view || !session) return;
  const { plan, report } = view;
  const met =
    plan.deadlineMs === undefined ? undefined : (report ? report.totalMs : plan.makespanMs) <= plan.deadlineMs;
  clear(
    el.summary,
    // first run (compile, upload and first use included) and steady state, each predicted beside measured
    stat(
      'predicted first / steady',
      `${plan.firstRun ? ms(hp.firstRun?.plan.firstRun?.ms ?? plan.firstRun.ms) : '–'} / ` +
        ms(plan.steadyMs ?? plan.makespanMs),
      '',
      `planner: ${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}`,
    ),
    stat(
      'measured first / steady',
      `${hp.firstRun ? ms(hp.firstRun.ms) : '–'} / ` +
        (steadyMedian() ?? (report && hp.firstRun?.report !== report ? ms(report.totalMs) : '–')),
      '',
      'first: compiling the units + the first run; steady: median of the runs after it',
    ),
    stat('cost (plan)', dollars(plan.cost), '', 'device-seconds × price per hour, as planned'),
    stat('cost (run)', report ? dollars(measuredCost(report)) : '–'),
    stat(
      'deadline',
      plan.deadlineMs === undefined ? 'none' : ms(plan.deadlineMs),
      met === undefined ? '' : met ? 'good' : 'bad',
      met === undefined ? '' : met ? 'met' : 'missed',
    ),
    stat(
      'plan',
      plan.feasible ? (plan.objective === 'cost' ? 'cheapest' : 'fastest') : 'infeasible',
      plan.feasible ? '' : 'bad',
      plan.reason ?? `${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}`,
    ),
    stat(
      'transfers',
      report
        ? report.transfers.length
          ? `${report.transfers.length} · ${bytes(report.transfers.reduce((a, t) => a + t.bytes, 0))}`
          : 'none'
        : plan.transfers.length
          ? `${plan.transfers.length} planned`
          : 'none',
    ),
    stat('fallbacks', report ? String(report.fallbacks.length) : '–', report?.fallbacks.length ? 'bad' : ''),
  );
  const kinds = hp.devices.map((d) => ({ id: d.device.id, kind: d.device.kind }));
  drawPlanGraph(
    el.graph,
    {
      ...hp,
      plan,
      placed: hp.placed,
      devices: hp.devices,
      lastRunPlan: report ? plan : undefined,
      lastReport: report,
    } as HeteroPrepared,
    hp.devices.find((d) => d.device.kind === 'reference')?.device.id ?? 'cpu',
    session.graph.outputs,
  );
  drawTimeline(el.timeline, plan, report, kinds);
  const measured = new Map((report?.units ?? []).map((u) => [u.unit, u]));
  clear(
    el.units,
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['unit', 'device', 'planned', 'measured', 'why'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        plan.assignments
          .filter((a) => !a.task.startsWith('@'))
          .map((a) => {
            const m = measured.get(a.task);
            const kind = kinds.find((k) => k.id === a.device)?.kind;
            return h(
              'tr',
              { 'data-unit': a.task },
              h('td', {}, h('code', {}, a.task)),
              h(
                'td',
                {},
                h('i', { class: 'dot', style: `background:${deviceColor(a.device, kind)}` }),
                a.device,
                m && m.device !== a.device ? h('span', { class: 'badge no' }, `ran on ${m.device}`) : null,
              ),
              h('td', { class: 'num' }, ms(a.endMs - a.startMs)),
              h('td', { class: 'num' }, m ? ms(m.endMs - m.startMs) : '–'),
              h('td', { class: 'why-cell' }, a.reason),
            );
          }),
      ),
    ),
    report?.fallbacks.length
      ? h(
          'ul',
          { class: 'notes bad' },
          report.fallbacks.map((f) => h('li', {}, `fallback: ${f.unit} ${f.from} → ${f.to}: ${f.reason}`)),
        )
      : null,
    hp.plan !== plan
      ? h(
          'p',
          { class: 'muted small' },
          `The next run uses a new plan (${hp.notes[hp.notes.length - 1] ?? 're-planned'}).`,
        )
      : null,
  );
  clear(el.engine, engineDevices(hp.devices, hp.notes));
}
