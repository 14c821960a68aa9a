// What an agent run shows a person: per-node timing with devices, TTFT/TPOT against the SLA, the
// plan with its reasons beside what was measured, terminal timelines, and a Chrome trace.

import { planGantt } from '../../planner/format/gantt.js';
import type { Plan } from '../../planner/plan.js';
import { TraceRecorder } from '../../runtime/trace.js';
import type { AgentPlan } from '../plan.js';
import type { AgentResult, NodeRecord } from './run.js';

const f = (ms: number | undefined) =>
  ms === undefined ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2);

export function table(rows: string[][], right: number[] = []): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right.includes(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One line per node execution: kind, iteration, device(s), time, and the LLM numbers. */
export function nodeTable(r: AgentResult): string {
  const rows = [['node', 'kind', 'iter', 'device', 'ms', 'detail']];
  for (const x of r.records) {
    const dev = x.llm
      ? x.llm.prefillDevice === x.llm.decodeDevice
        ? x.llm.prefillDevice
        : `${x.llm.prefillDevice} -> ${x.llm.decodeDevice}`
      : x.device;
    const detail =
      x.status === 'skipped'
        ? 'skipped (no edge taken)'
        : x.status === 'error'
          ? `error: ${x.error}`
          : x.llm
            ? `${x.llm.promptTokens} prompt + ${x.llm.tokens} new tokens, ` +
              `TTFT ${f(x.llm.ttftMs)} ms, TPOT ${f(x.llm.tpotMs)} ms` +
              (x.llm.transferBytes
                ? `, KV cache moved ${(x.llm.transferBytes / 1024).toFixed(0)} KiB in ${f(x.llm.transferMs)} ms`
                : '') +
              (x.llm.route === 'chat' ? ", through the server's /v1/chat/completions" : '') +
              (x.llm.fallback ? '; the server failed, finished locally (see warnings)' : '')
            : '';
    rows.push([
      x.node,
      x.kind,
      String(x.iteration),
      dev,
      x.status === 'skipped' ? '-' : f(x.endMs - x.startMs),
      detail,
    ]);
  }
  return table(rows, [2, 4]);
}

export interface SlaCheck {
  ttftMs?: number;
  tpotMs?: number;
  deadlineMs?: number;
}

/** Summary lines: total, TTFT and TPOT of the answer, each against its target when there is one. */
export function slaLines(r: AgentResult, sla: SlaCheck = {}): string[] {
  const mark = (v: number | undefined, t?: number) =>
    v === undefined || t === undefined ? '' : v <= t ? ` (target ${t} ms: met)` : ` (target ${t} ms: MISSED)`;
  return [
    `total ${f(r.totalMs)} ms${mark(r.totalMs, sla.deadlineMs)}`,
    `TTFT  ${f(r.ttftMs)} ms${mark(r.ttftMs, sla.ttftMs)}  ` +
      '(first streamed token of the answer, from the start of the run)',
    `TPOT  ${f(r.tpotMs)} ms${mark(r.tpotMs, sla.tpotMs)}`,
  ];
}

/** The measured run drawn as a plan, for the same Gantt chart. */
function measuredPlan(p: Plan, r: AgentResult): Plan {
  const assignments = r.records
    .filter((x) => x.status === 'ok')
    .flatMap((x) => spans(x))
    .map((s) => ({ task: s.name, device: s.device, startMs: s.start, endMs: s.end, reason: '' }));
  return { ...p, makespanMs: r.totalMs, assignments, transfers: [] };
}

function spans(x: NodeRecord): { name: string; device: string; start: number; end: number }[] {
  if (!x.llm) return [{ name: x.node, device: x.device, start: x.startMs, end: x.endMs }];
  const mid = x.startMs + x.llm.ttftMs;
  return [
    { name: `${x.node}.prefill`, device: x.llm.prefillDevice, start: x.startMs, end: mid },
    { name: `${x.node}.decode`, device: x.llm.decodeDevice, start: mid, end: x.endMs },
  ];
}

export function explainAgent(ap: AgentPlan, r?: AgentResult): string {
  const p = ap.plan;
  const out: string[] = [];
  for (const pass of p.passes) for (const n of pass.notes) out.push(`${pass.name}: ${n}`);
  out.push(
    `plan: ${p.feasible ? 'feasible' : `INFEASIBLE (${p.reason})`}, ${p.algorithm}${p.optimal ? ' (optimal)' : ''}, ` +
      `objective ${p.objective}; predicted ${f(p.makespanMs)} ms${r ? `, measured ${f(r.totalMs)} ms` : ''}`,
  );
  if (ap.firstRun.cold.size) {
    const cold = [...ap.firstRun.cold].map(([t, c]) => `${t} on ${c.device} ${f(c.ms)} ms`).join(', ');
    out.push(
      `first run: ${f(ap.firstRun.extraMs)} ms of the prediction compiles, uploads and first uses model graphs ` +
        `not compiled yet (${cold}); steady state (all compiled): predicted ${f(ap.steadyMs)} ms`,
    );
  } else out.push(`steady state: every model graph is compiled on its device already; predicted ${f(ap.steadyMs)} ms`);
  const measured = new Map<string, number>();
  for (const x of r?.records ?? [])
    for (const s of x.status === 'ok' ? spans(x) : [])
      measured.set(s.name, (measured.get(s.name) ?? 0) + s.end - s.start);
  const rows = [['task', 'device', 'predicted ms', 'measured ms', 'why']];
  for (const a of p.assignments)
    rows.push([a.task, a.device, f(a.endMs - a.startMs), f(measured.get(a.task)), a.reason]);
  out.push(table(rows, [2, 3]));
  for (const [id, l] of ap.llm) {
    const rec = [...(r?.records ?? [])].reverse().find((x) => x.node === id && x.llm);
    out.push(
      `${id}: prefill on ${l.prefill}, decode on ${l.decode}` +
        (l.route === 'chat' ? " (one request to the server's /v1/chat/completions; the KV cache stays there)" : '') +
        `; predicted TTFT ${f(l.ttftMs)} ms, TPOT ${f(l.tpotMs)} ms` +
        (rec
          ? `; measured TTFT ${f(rec.startMs + rec.llm!.ttftMs)} ms (node start +${f(rec.llm!.ttftMs)}), ` +
            `TPOT ${f(rec.llm!.tpotMs)} ms`
          : ''),
    );
  }
  if (p.transfers.length)
    out.push(
      `transfers: ${p.transfers
        .map((t) => `${t.from} -> ${t.to} (${t.fromDevice} -> ${t.toDevice}, ${(t.bytes / 1024).toFixed(1)} KiB)`)
        .join('; ')}`,
    );
  out.push('', 'planned timeline:', planGantt(p));
  if (r) out.push('', 'measured timeline:', planGantt(measuredPlan(p, r)));
  return out.join('\n');
}

/** Chrome trace-event JSON: one track per device with each node (llm: prefill and decode), the plan beside it. */
export function agentTrace(r: AgentResult, ap?: AgentPlan): ReturnType<TraceRecorder['toJSON']> {
  const t = new TraceRecorder();
  for (const x of r.records) {
    if (x.status === 'skipped') continue;
    for (const s of spans(x))
      t.span(
        s.device,
        `${s.name}${x.iteration ? ` #${x.iteration}` : ''}`,
        s.start,
        s.end,
        { kind: x.kind, iteration: x.iteration, ...(x.llm ?? {}), ...(x.error ? { error: x.error } : {}) },
        x.kind,
      );
    if (x.llm?.transferBytes)
      t.span('transfers', `${x.node} KV cache`, x.startMs + x.llm.ttftMs, x.startMs + x.llm.ttftMs + x.llm.transferMs, {
        bytes: x.llm.transferBytes,
      });
  }
  for (const a of ap?.plan.assignments ?? []) t.predicted(a.device, a.task, a.startMs, a.endMs, { reason: a.reason });
  return t.toJSON();
}
