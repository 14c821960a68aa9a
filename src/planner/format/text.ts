// Plain-text rendering of a plan: summary, one row per placement, transfers, reasons.

import type { Plan } from '../plan.js';

const ms = (v: number) =>
  v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
const usd = (v: number) => (v === 0 ? '$0' : v < 0.01 ? `$${v.toExponential(2)}` : `$${v.toFixed(4)}`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

export function planText(p: Plan): string {
  const out: string[] = [];
  const status = p.feasible ? 'feasible' : 'INFEASIBLE';
  out.push(
    `${status}: makespan ${ms(p.makespanMs)} ms, cost ${usd(p.cost)}, objective ` +
      `${p.objective}${p.deadlineMs !== undefined ? `, deadline ${p.deadlineMs} ms` : ''}`,
  );
  out.push(`algorithm ${p.algorithm}${p.optimal && !/optimal/.test(p.algorithm) ? ' (optimal)' : ''}`);
  if (p.reason) out.push(`reason: ${p.reason}`);
  out.push('');
  out.push(
    table(
      ['task', 'device', 'start', 'end'],
      p.assignments.map((a) => [a.task, a.device, ms(a.startMs), ms(a.endMs)]),
    ),
  );
  if (p.transfers.length) {
    out.push('');
    out.push(
      table(
        ['transfer', 'link', 'bytes', 'start', 'end'],
        p.transfers.map((t) => [
          `${t.from} -> ${t.to}`,
          `${t.fromDevice} -> ${t.toDevice}`,
          String(t.bytes),
          ms(t.startMs),
          ms(t.endMs),
        ]),
      ),
    );
  }
  out.push('');
  out.push('why:');
  for (const a of p.assignments) out.push(`  ${a.task} on ${a.device}: ${a.reason}`);
  for (const pass of p.passes) if (pass.notes.length) out.push(`pass ${pass.name}: ${pass.notes.join('; ')}`);
  return out.join('\n');
}
