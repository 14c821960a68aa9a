// Draws Chrome trace files from backend 'auto' (`switchyard run --backend auto --trace t.json`,
// or session.trace.toJSON()) as a timeline: for each device, what the plan predicted above what
// was measured, transfers on their own row; one panel per trace, one run per panel. Writes an
// HTML page with inline SVG and, with --png, a screenshot through headless Chromium.
//   node dist/scripts/trace-render.js a.json="Title A" b.json="Title B" --png docs/trace.png \
//     [--html x.html] [--run median|last|first|N]

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { TraceEvent } from '../src/runtime/trace.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS: Record<string, string> = {
  cpu: '#9c755f',
  wasm: '#4e79a7',
  webgpu: '#e15759',
  accel: '#59a14f',
  transfers: '#bab0ac',
};
const color = (track: string) => COLORS[track] ?? COLORS[track.split(':')[0]!] ?? '#b07aa1';

interface Span {
  track: string;
  name: string;
  start: number;
  end: number;
  args?: Record<string, unknown>;
}
interface Panel {
  title: string;
  predicted: Span[];
  measured: Span[];
  instants: Span[];
  run: Span;
  runs: number;
  index: number;
}

function load(file: string, title: string, which: string): Panel {
  const t = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] };
  const names = new Map<string, string>();
  for (const e of t.traceEvents)
    if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, String(e.args?.name));
  const spans = (pid: number) =>
    t.traceEvents
      .filter((e) => e.ph === 'X' && e.pid === pid)
      .map((e) => ({
        track: names.get(`${e.pid}:${e.tid}`) ?? '?',
        name: e.name,
        start: e.ts / 1000,
        end: (e.ts + (e.dur ?? 0)) / 1000,
        args: e.args,
      }));
  const measured = spans(1);
  const runs = measured.filter((s) => s.track === 'runs').sort((a, b) => a.start - b.start);
  if (!runs.length) throw new Error(`${file}: no 'runs' track (a trace from an older build?)`);
  // 'median': the run whose time is the median of those after the first (the typical one)
  const typical = () => {
    const r = runs.slice(1).sort((a, b) => a.end - a.start - (b.end - b.start));
    return r[Math.floor((r.length - 1) / 2)] ?? runs[0]!;
  };
  const run =
    which === 'first'
      ? runs[0]!
      : which === 'last'
        ? runs.at(-1)!
        : which === 'median'
          ? typical()
          : runs[Number(which) - 1];
  if (!run) throw new Error(`${file}: has ${runs.length} runs, no run ${which}`);
  const inRun = (s: Span) => s.start >= run.start - 1e-3 && s.start <= run.end + 1e-3;
  const predicted = spans(2).filter((s) => s.args?.run === run.args?.run);
  const instants = t.traceEvents
    .filter((e) => e.ph === 'i')
    .map((e) => ({ track: names.get(`${e.pid}:${e.tid}`) ?? '?', name: e.name, start: e.ts / 1000, end: e.ts / 1000 }));
  return {
    title,
    runs: runs.length,
    run,
    index: runs.indexOf(run) + 1,
    measured: measured.filter((s) => s.track !== 'runs' && inRun(s)),
    predicted,
    instants: instants.filter(inRun),
  };
}

function panelSvg(p: Panel, width: number): string {
  const t0 = p.run.start;
  const predMs = Number(p.run.args?.predictedMs ?? 0);
  const span = Math.max(p.run.end - t0, predMs, ...p.predicted.map((s) => s.end - t0)) * 1.02;
  const devices = [
    ...new Set([
      ...p.predicted.map((s) => s.track),
      ...p.measured.filter((s) => s.track !== 'transfers').map((s) => s.track),
    ]),
  ];
  const rows: { label: string; track: string; kind: 'predicted' | 'measured'; only?: Span[] }[] = [];
  for (const d of devices) {
    rows.push({ label: `${d} · plan`, track: d, kind: 'predicted' });
    rows.push({ label: `${d} · measured`, track: d, kind: 'measured' });
  }
  // transfers overlap one another: stacked on as many rows as it takes
  const lanes: Span[][] = [];
  for (const t of p.measured.filter((s) => s.track === 'transfers').sort((a, b) => a.start - b.start)) {
    const lane = lanes.find((l) => l.at(-1)!.end <= t.start) ?? (lanes.push([]), lanes.at(-1)!);
    lane.push(t);
  }
  lanes.forEach((l, i) =>
    rows.push({ label: i ? '' : 'transfers · measured', track: 'transfers', kind: 'measured', only: l }),
  );
  const left = 170,
    right = 20,
    top = 44,
    row = 26,
    axis = 28;
  const x = (ms: number) => left + (ms / span) * (width - left - right);
  const height = top + rows.length * row + axis + 8;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu ` +
      `Sans, sans-serif" font-size="11">`,
  );
  out.push(
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" ` +
      `patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" ` +
      `y2="6" stroke="#888" stroke-width="2"/></pattern></defs>`,
  );
  out.push(`<text x="8" y="18" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  out.push(
    `<text x="8" y="34" fill="#444">plan predicted ${predMs.toFixed(1)} ms · measured ` +
      `${(p.run.end - t0).toFixed(1)} ms (run ${p.index} of ${p.runs}; hatched: the plan's prediction, ` +
      `solid: what ran)</text>`,
  );
  rows.forEach((r, i) => {
    const y = top + i * row;
    out.push(
      `<rect x="${left}" y="${y}" width="${width - left - right}" height="${row}" ` +
        `fill="${i % 2 ? '#fafafa' : '#f1f1f1'}"/>`,
    );
    out.push(
      `<text x="8" y="${y + row / 2 + 4}" fill="${r.kind === 'predicted' ? '#777' : '#000'}">${esc(r.label)}</text>`,
    );
    const spans = r.only ?? (r.kind === 'predicted' ? p.predicted : p.measured).filter((s) => s.track === r.track);
    for (const s of spans) {
      const a = x(s.start - t0),
        b = x(s.end - t0),
        w = Math.max(1.5, b - a);
      const c = color(r.track);
      const fill = r.kind === 'predicted' ? 'url(#hatch)' : c;
      const tip = `${s.name} (${r.track}, ${r.kind}): ${(s.start - t0).toFixed(2)}–${(s.end - t0).toFixed(2)} ms`;
      out.push(`<g><title>${esc(tip)}</title>`);
      out.push(
        `<rect x="${a.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" rx="2" ` +
          `fill="${fill}" stroke="${c}" stroke-width="${r.kind === 'predicted' ? 1.5 : 0.5}"/>`,
      );
      const label = r.track === 'transfers' ? s.name.split(':')[0]! : s.name;
      if (w > label.length * 6.2 + 6)
        out.push(
          `<text x="${(a + 3).toFixed(1)}" y="${y + row / 2 + 4}" ` +
            `fill="${r.kind === 'predicted' ? '#333' : '#fff'}">${esc(label)}</text>`,
        );
      out.push('</g>');
    }
  });
  for (const s of p.instants) {
    const a = x(s.start - t0);
    out.push(
      `<line x1="${a}" y1="${top}" x2="${a}" y2="${top + rows.length * row}" stroke="#d62728" ` +
        `stroke-dasharray="3,2"/><text x="${a + 2}" y="${top - 3}" fill="#d62728" font-size="10">${esc(s.name)}</text>`,
    );
  }
  const yAxis = top + rows.length * row;
  const step =
    [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => span / s <= 12) ?? 10000;
  out.push(`<line x1="${left}" y1="${yAxis}" x2="${width - right}" y2="${yAxis}" stroke="#333"/>`);
  for (let v = 0; v <= span; v += step) {
    out.push(
      `<line x1="${x(v)}" y1="${yAxis}" x2="${x(v)}" y2="${yAxis + 4}" stroke="#333"/><text x="${x(v)}" ` +
        `y="${yAxis + 16}" text-anchor="middle">${v >= 1 || v === 0 ? v.toFixed(0) : v.toFixed(1)}</text>`,
    );
  }
  out.push(`<text x="${width - right}" y="${yAxis + 16}" text-anchor="end" fill="#444">ms</text>`);
  out.push('</svg>');
  return out.join('\n');
}

export function renderHtml(panels: Panel[], width = 1100, heading = ''): string {
  const style =
    "body{margin:12px;background:#fff;font-family:'DejaVu Sans',sans-serif} " +
    'h1{font-size:16px;margin:0 0 6px} .p{margin-bottom:14px}';
  const body = panels.map((p) => `<div class="p">${panelSvg(p, width)}</div>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Switchyard trace</title>
<style>${style}</style></head>
<body>${heading ? `<h1>${esc(heading)}</h1>` : ''}${body}</body></html>`;
}

async function screenshot(html: string, png: string, width: number): Promise<void> {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(exe)) throw new Error(`no Chromium at ${exe} (set CHROMIUM_PATH)`);
  const spec = 'playwright-core';
  const { chromium } = (await import(spec)) as typeof import('playwright-core');
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: width + 24, height: 100 }, deviceScaleFactor: 1 });
    await page.setContent(html);
    await page.screenshot({ path: png, fullPage: true });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (f: string) => {
    const i = args.indexOf(f);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const png = opt('--png'),
    htmlOut = opt('--html'),
    which = opt('--run') ?? 'median',
    heading = opt('--heading') ?? '';
  const width = Number(opt('--width') ?? 1100);
  if (!args.length)
    throw new Error(
      'usage: trace-render <trace.json[=title]>... [--png out.png] [--html out.html] [--run ' +
        'median|last|first|N] [--heading text]',
    );
  const panels = args.map((a) => {
    const [f, ...t] = a.split('=');
    return load(f!, t.join('=') || f!, which);
  });
  const html = renderHtml(panels, width, heading);
  if (htmlOut) writeFileSync(htmlOut, html);
  if (png) await screenshot(html, png, width);
  if (!png && !htmlOut) process.stdout.write(html);
}

try {
  await main();
} catch (e) {
  console.error(`trace-render: ${(e as Error).message}`);
  process.exitCode = 1;
}
