// `run --explain`: the plan with the reason for each placement, predicted beside measured time,
// and two terminal timelines (the plan, then what happened).

import { planGantt } from '../planner/format/gantt.js';
import type { Plan } from '../planner/plan.js';
import type { HeteroPrepared } from './auto-backend.js';
import type { RunReport } from './executor.js';

const f = (ms: number | undefined) =>
  ms === undefined ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3);

function pad(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The measured run as a Plan, so the same Gantt drawing shows it. */
function measuredAsPlan(plan: Plan, r: RunReport): Plan {
  return {
    ...plan,
    makespanMs: r.totalMs,
    assignments: r.units.map((u) => ({
      task: u.unit,
      device: u.device,
      startMs: u.startMs,
      endMs: u.endMs,
      reason: '',
    })),
    transfers: r.transfers.map((t) => ({
      from: t.value,
      to: t.value,
      fromDevice: t.from,
      toDevice: t.to,
      bytes: t.bytes,
      startMs: t.startMs,
      endMs: t.endMs,
    })),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : undefined;
};

/** Measured ms per plan task in a report (a merged chain: on its first task, '↑' on the rest). */
function unitTimes(
  r: RunReport | undefined,
): Map<string, { ms: number; device: string; first: boolean; merged: number }> {
  return new Map(
    (r?.units ?? []).flatMap((u) =>
      (u.tasks ?? [u.unit]).map(
        (t, i) =>
          [t, { ms: u.endMs - u.startMs, device: u.device, first: i === 0, merged: u.tasks?.length ?? 1 }] as const,
      ),
    ),
  );
}

/** The first run and the steady state, predicted beside measured, in total. */
export function predictionSummary(h: HeteroPrepared): string[] {
  const out: string[] = [];
  const fr = h.firstRun;
  const p0 = fr?.plan ?? h.lastRunPlan ?? h.plan;
  const pf = p0.firstRun;
  if (pf) {
    const parts =
      `steady ${f(p0.steadyMs ?? p0.makespanMs)} + compile ${f(pf.compileMs)} + upload ` +
      `${f(pf.uploadMs)} + pack ${f(pf.packMs)} + first use ${f(pf.firstUseMs)}`;
    const measured = fr
      ? `, measured ${f(fr.ms)} ms (compile ${f(fr.compileMs)} + run ${f(fr.runMs)}), ${ratio(pf.ms, fr.ms)}`
      : '';
    out.push(`first run: predicted ${f(pf.ms)} ms (${parts})${measured}`);
  }
  const steady = median(h.steadyReports.map((r) => r.callerMs ?? r.totalMs));
  const predicted = h.plan.steadyMs ?? h.plan.makespanMs;
  const n = h.steadyReports.length;
  const measured =
    steady !== undefined
      ? `, measured ${f(steady)} ms (median of ${n} run${n > 1 ? 's' : ''}), ${ratio(predicted, steady)}`
      : ' (no steady run measured yet: runs after the first)';
  out.push(`steady:    predicted ${f(predicted)} ms${measured}`);
  return out;
}

const ratio = (pred: number, meas: number) => `predicted/measured ${(pred / meas).toFixed(2)}`;

export function explainRun(h: HeteroPrepared): string {
  const plan = h.lastRunPlan ?? h.plan;
  const r = h.lastReport;
  const first = unitTimes(h.firstRun?.report);
  const steadyRuns = h.steadyReports.map(unitTimes);
  const firstPlan = h.firstRun?.plan ?? plan;
  const firstPred = new Map(
    firstPlan.assignments.map((a) => [a.task, a.endMs - a.startMs + (firstPlan.firstRun?.units[a.task] ?? 0)]),
  );
  const out: string[] = [];
  out.push(
    `devices: ${h.devices.map((d) => `${d.device.id} (${d.device.kind}, profile: ${d.profile.origin})`).join(', ')}`,
  );
  for (const n of h.notes) out.push(`note: ${n}`);
  for (const n of plan.passes.find((p) => p.name === 'contention')?.notes ?? []) out.push(`contention: ${n}`);
  out.push(
    `plan: ${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}, objective ` +
      `${plan.objective}${plan.deadlineMs ? `, deadline ${plan.deadlineMs} ms` : ''}`,
  );
  out.push(...predictionSummary(h));
  const rows = [['unit', 'device', 'first pred ms', 'first ms', 'steady pred ms', 'steady ms', 'why']];
  const cell = (m: { ms: number; first: boolean; merged: number } | undefined) =>
    !m ? '-' : m.first ? f(m.ms) + (m.merged > 1 ? ` (${m.merged} merged)` : '') : '↑';
  for (const a of h.plan.assignments) {
    if (a.task.startsWith('@')) continue;
    const m1 = first.get(a.task);
    const ms = steadyRuns.map((x) => x.get(a.task)).filter((x) => x !== undefined);
    const st = ms.length ? { ms: median(ms.map((x) => x.ms))!, first: ms[0]!.first, merged: ms[0]!.merged } : undefined;
    const ranOn = ms[ms.length - 1]?.device ?? m1?.device;
    const ran = ranOn && ranOn !== a.device ? ` (ran on ${ranOn})` : '';
    rows.push([a.task, a.device + ran, f(firstPred.get(a.task)), cell(m1), f(a.endMs - a.startMs), cell(st), a.reason]);
  }
  out.push(pad(rows));
  if (r?.fallbacks.length)
    for (const fb of r.fallbacks) out.push(`fallback: ${fb.unit} ${fb.from} -> ${fb.to}: ${fb.reason}`);
  if (r?.transfers.length)
    out.push(
      `transfers: ${r.transfers.length}, ${(r.transfers.reduce((a, t) => a + t.bytes, 0) / 1024).toFixed(1)} KiB`,
    );
  out.push('', 'planned timeline:', planGantt(plan));
  if (r) out.push('', 'measured timeline (last run):', planGantt(measuredAsPlan(plan, r)));
  const moved = h.plan.assignments.some((a) => plan.assignments.find((b) => b.task === a.task)?.device !== a.device);
  if (moved)
    out.push(
      '',
      `the next run uses a new plan: ${h.plan.assignments
        .filter((a) => !a.task.startsWith('@'))
        .map((a) => `${a.task}@${a.device}`)
        .join(', ')} (predicted ${f(h.plan.steadyMs ?? h.plan.makespanMs)} ms)`,
    );
  return out.join('\n');
}
