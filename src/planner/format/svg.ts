// SVG timeline: a lane per device, a bar per task (hover shows the reason), transfers as
// arrows between lanes, the deadline as a red line.

import type { Plan } from '../plan.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function planSvg(p: Plan, width = 900): string {
  const devs = [...new Set([...p.devices.map((d) => d.id), ...p.assignments.map((a) => a.device)])];
  const lane = 36,
    left = 110,
    top = 30,
    right = 20;
  const span = Math.max(p.makespanMs, p.deadlineMs ?? 0, 1e-9);
  const x = (t: number) => left + (t / span) * (width - left - right);
  const y = (d: string) => top + devs.indexOf(d) * lane;
  const height = top + devs.length * lane + 30;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="sans-serif" font-size="11">`,
  );
  out.push(
    `<defs><marker id="arrow" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto"><path ` +
      `d="M0,0 L6,3 L0,6 z" fill="#555"/></marker></defs>`,
  );
  const title =
    `${p.feasible ? '' : 'INFEASIBLE — '}makespan ${p.makespanMs.toFixed(1)} ms, ` + `cost $${p.cost.toPrecision(3)}`;
  out.push(`<text x="${left}" y="16" font-size="12">${esc(`${title}, ${p.algorithm}`)}</text>`);
  devs.forEach((d, i) => {
    out.push(`<text x="8" y="${y(d) + lane / 2 + 4}">${esc(d)}</text>`);
    out.push(
      `<rect x="${left}" y="${y(d) + 2}" width="${width - left - right}" height="${lane - 4}" ` +
        `fill="${i % 2 ? '#fafafa' : '#f0f0f0'}"/>`,
    );
  });
  p.assignments.forEach((a, i) => {
    const w = Math.max(1, x(a.endMs) - x(a.startMs));
    const tip = `${a.task} on ${a.device}: ${a.startMs.toFixed(1)}–${a.endMs.toFixed(1)} ms\n${a.reason}`;
    out.push(`<g><title>${esc(tip)}</title>`);
    out.push(
      `<rect x="${x(a.startMs).toFixed(1)}" y="${y(a.device) + 6}" width="${w.toFixed(1)}" ` +
        `height="${lane - 12}" rx="3" fill="${PALETTE[i % PALETTE.length]}"/>`,
    );
    out.push(
      `<text x="${(x(a.startMs) + 3).toFixed(1)}" y="${y(a.device) + lane / 2 + 4}" ` +
        `fill="#fff">${esc(a.task)}</text></g>`,
    );
  });
  for (const t of p.transfers) {
    out.push(
      `<line x1="${x(t.startMs).toFixed(1)}" y1="${y(t.fromDevice) + lane / 2}" ` +
        `x2="${x(t.endMs).toFixed(1)}" y2="${y(t.toDevice) + lane / 2}" stroke="#555" ` +
        `stroke-dasharray="3,2" ` +
        `marker-end="url(#arrow)"><title>${esc(`${t.from} -> ${t.to}: ${t.bytes} bytes`)}</title></line>`,
    );
  }
  if (p.deadlineMs !== undefined)
    out.push(
      `<line x1="${x(p.deadlineMs)}" y1="${top}" x2="${x(p.deadlineMs)}" y2="${height - 24}" ` +
        `stroke="red"/><text x="${x(p.deadlineMs) + 2}" y="${height - 12}" fill="red">deadline ` +
        `${p.deadlineMs} ms</text>`,
    );
  out.push(
    `<text x="${left}" y="${height - 12}">0</text><text x="${width - right - 40}" ` +
      `y="${height - 12}">${span.toFixed(0)} ms</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
