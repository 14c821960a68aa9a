#!/usr/bin/env node
// The WebGPU comparison table of one bench run (bench/peers/results/run-*.json, the newest by
// default): Switchyard's WebGPU rows beside onnxruntime-web's WebGPU backend and the other WebGPU
// peers on the same adapter, first run apart from the median, and the ratio of medians (and of
// first runs) against onnxruntime-web WebGPU measured in the same run.
//   node bench/webgpu-table.js [results.json]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('./peers/results/', import.meta.url).pathname;
const file =
  process.argv[2] ??
  join(
    dir,
    readdirSync(dir)
      .filter((f) => /^run-.*\.json$/.test(f))
      .sort()
      .pop(),
  );
const run = JSON.parse(readFileSync(file, 'utf8'));
const cells = run.cells;
const workloads = [...new Set(cells.map((c) => c.workload))];
const cell = (a, v, w) => cells.find((c) => c.adapter === a && c.variant === v && c.workload === w);
const f = (x) => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const show = (c) =>
  !c
    ? ['', '']
    : c.status !== 'ok'
      ? [c.status, '']
      : [f(c.firstRunMs), f(c.medianMs) + (c.check && c.check.ok === false ? ' (wrong output)' : '')];
const ratio = (a, b, k) => (a?.status === 'ok' && b?.status === 'ok' ? (a[k] / b[k]).toFixed(2) : '');

const groups = [
  {
    adapter: 'SwiftShader, Chromium',
    ours: ['switchyard-webgpu-browser', 'swiftshader'],
    peer: ['ort-web-webgpu-browser', 'swiftshader'],
    others: [],
  },
  {
    adapter: 'SwiftShader, Node (Dawn)',
    ours: ['switchyard-webgpu', 'swiftshader'],
    peer: ['ort-web-webgpu-browser', 'swiftshader'],
    others: [
      ['ort-node-webgpu', 'swiftshader'],
      ['tfjs-webgpu-node', 'swiftshader'],
    ],
  },
  {
    adapter: 'llvmpipe, Node (Dawn)',
    ours: ['switchyard-webgpu', 'llvmpipe'],
    peer: ['ort-web-webgpu-browser', 'swiftshader'],
    others: [['tfjs-webgpu-node', 'llvmpipe']],
  },
];
const lines = [];
lines.push(
  `WebGPU rows of ${file.split('/').pop()} (${run.meta?.startedAt ?? ''}); times in ms; ratio = Switchyard / onnxruntime-web WebGPU (Chromium, SwiftShader) in the same run`,
);
lines.push('');
lines.push(
  '| workload | adapter | Switchyard first | Switchyard median | ORT-web WebGPU first | ORT-web WebGPU median | median ratio | first-run ratio | other peers on this adapter: median (first) |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
for (const w of workloads) {
  for (const g of groups) {
    const o = cell(...g.ours, w),
      p = cell(...g.peer, w);
    if (!o) continue;
    const others = g.others
      .map(([a, v]) => {
        const c = cell(a, v, w);
        const [fr, md] = show(c);
        return c ? `${a}/${v} ${md} (${fr})` : '';
      })
      .filter(Boolean)
      .join('; ');
    lines.push(
      `| ${w} | ${g.adapter} | ${show(o)[0]} | ${show(o)[1]} | ${show(p)[0]} | ${show(p)[1]} | ${ratio(o, p, 'medianMs')} | ${ratio(o, p, 'firstRunMs')} | ${others} |`,
    );
  }
}
console.log(lines.join('\n'));
