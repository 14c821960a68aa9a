// Terminal Gantt chart: one row per device, time scaled to the width; transfers on link rows.

import type { Plan } from '../plan.js';

export function planGantt(p: Plan, width = 72): string {
  if (!p.assignments.length) return '(empty plan)';
  const span = Math.max(p.makespanMs, 1e-9);
  const col = (t: number) => Math.min(width - 1, Math.floor((t / span) * width));
  const rows: [string, string[]][] = [];
  const devs = [...new Set(p.assignments.map((a) => a.device))];
  for (const d of devs) {
    const cells = new Array<string>(width).fill('.');
    for (const a of p.assignments.filter((x) => x.device === d)) {
      const a0 = col(a.startMs),
        a1 = Math.max(a0, col(a.endMs) - (a.endMs > a.startMs ? 1 : 0));
      for (let c = a0; c <= a1; c++) cells[c] = '=';
      cells[a0] = '[';
      const label = a.task.slice(0, Math.max(0, a1 - a0 - 1));
      for (let i = 0; i < label.length; i++) cells[a0 + 1 + i] = label[i]!;
      if (a1 > a0) cells[a1] = ']';
    }
    rows.push([d, cells]);
  }
  const links = [...new Set(p.transfers.map((t) => [t.fromDevice, t.toDevice].sort().join('<>')))];
  for (const l of links) {
    const cells = new Array<string>(width).fill(' ');
    for (const t of p.transfers.filter((x) => [x.fromDevice, x.toDevice].sort().join('<>') === l)) {
      for (let c = col(t.startMs); c <= Math.max(col(t.startMs), col(t.endMs) - 1); c++) cells[c] = '~';
    }
    rows.push([l, cells]);
  }
  const w = Math.max(...rows.map(([n]) => n.length));
  const axis =
    `${' '.repeat(w)}  ` +
    `0${' '.repeat(Math.max(0, width - 1 - String(Math.round(span)).length - 3))}${Math.round(span)} ms`;
  return [...rows.map(([n, c]) => `${n.padEnd(w)} |${c.join('')}|`), axis].join('\n');
}
