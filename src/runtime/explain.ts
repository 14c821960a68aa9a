// `run --explain`: the plan with the reason for each placement, predicted beside measured time,
// and two terminal timelines (the plan, then what happened).

import { planGantt } from '../planner/format/gantt.js';
import type { Plan } from '../planner/plan.js';
import type { HeteroPrepared } from './auto-backend.js';
import type { RunReport } from './executor.js';

const f = (ms: number | undefined) => (ms === undefined ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));

function pad(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd()).join('\n');
}

/** The measured run as a Plan, so the same Gantt drawing shows it. */
function measuredAsPlan(plan: Plan, r: RunReport): Plan {
  return {
    ...plan,
    makespanMs: r.totalMs,
    assignments: r.units.map((u) => ({ task: u.unit, device: u.device, startMs: u.startMs, endMs: u.endMs, reason: '' })),
    transfers: r.transfers.map((t) => ({ from: t.value, to: t.value, fromDevice: t.from, toDevice: t.to, bytes: t.bytes, startMs: t.startMs, endMs: t.endMs })),
  };
}

export function explainRun(h: HeteroPrepared): string {
  const plan = h.lastRunPlan ?? h.plan;
  const r = h.lastReport;
  // a measured unit may run several of the plan's tasks (a chain on one device, merged)
  const measured = new Map((r?.units ?? []).flatMap((u) => (u.tasks ?? [u.unit]).map((t, i) => [t, { ...u, first: i === 0 }] as const)));
  const out: string[] = [];
  out.push(`devices: ${h.devices.map((d) => `${d.device.id} (${d.device.kind}, profile: ${d.profile.origin})`).join(', ')}`);
  for (const n of h.notes) out.push(`note: ${n}`);
  for (const n of plan.passes.find((p) => p.name === 'contention')?.notes ?? []) out.push(`contention: ${n}`);
  out.push(`plan: ${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}, objective ${plan.objective}${plan.deadlineMs ? `, deadline ${plan.deadlineMs} ms` : ''}; predicted ${f(plan.makespanMs)} ms${r ? `, measured ${f(r.totalMs)} ms` : ''}`);
  const rows = [['unit', 'device', 'predicted ms', 'measured ms', 'why']];
  for (const a of plan.assignments) {
    if (a.task.startsWith('@')) continue;
    const m = measured.get(a.task);
    const ran = m && m.device !== a.device ? ` (ran on ${m.device})` : '';
    const took = !m ? '-' : m.first ? f(m.endMs - m.startMs) + (m.tasks && m.tasks.length > 1 ? ` (${m.tasks.length} merged)` : '') : '↑';
    rows.push([a.task, a.device + ran, f(a.endMs - a.startMs), took, a.reason]);
  }
  out.push(pad(rows));
  if (r?.fallbacks.length) for (const fb of r.fallbacks) out.push(`fallback: ${fb.unit} ${fb.from} -> ${fb.to}: ${fb.reason}`);
  if (r?.transfers.length) out.push(`transfers: ${r.transfers.length}, ${(r.transfers.reduce((a, t) => a + t.bytes, 0) / 1024).toFixed(1)} KiB`);
  out.push('', 'planned timeline:', planGantt(plan));
  if (r) out.push('', 'measured timeline:', planGantt(measuredAsPlan(plan, r)));
  if (h.plan !== plan) out.push('', `the next run uses a new plan: ${h.plan.assignments.filter((a) => !a.task.startsWith('@')).map((a) => `${a.task}@${a.device}`).join(', ')} (predicted ${f(h.plan.makespanMs)} ms)`);
  return out.join('\n');
}
