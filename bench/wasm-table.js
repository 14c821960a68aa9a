#!/usr/bin/env node
// The WASM backend's comparison table from one peers-bench run (the newest, or the JSON named):
// per workload and thread count, Switchyard beside onnxruntime-web WASM in the same runtime
// (Node and Chromium), with first-run latency, median, GFLOP/s or GB/s, the median ratio
// (Switchyard / ORT-web: below 0.67 is the 1.5x target) and onnxruntime-node for reference.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('./peers/results/', import.meta.url).pathname;
const file =
  process.argv[2] ??
  join(
    dir,
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .pop(),
  );
const run = JSON.parse(readFileSync(file, 'utf8'));
const cell = (adapter, variant, w) =>
  run.cells.find((c) => c.adapter === adapter && c.variant === variant && c.workload === w && c.status === 'ok');
const f = (x, d = 1) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));
const rate = (c, w) => {
  if (!c) return '–';
  const memBound = /decode|add|vecsearch/.test(w);
  return memBound ? `${f(c.gbs)} GB/s` : `${f(c.gflops)} GFLOP/s`;
};
const workloads = [...new Set(run.cells.map((c) => c.workload))];
const rows = [];
for (const rt of [
  ['switchyard-wasm', 'ort-web-wasm-node', 'Node'],
  ['switchyard-wasm-browser', 'ort-web-wasm-browser', 'Chromium'],
]) {
  for (const w of workloads) {
    for (const v of ['t1', 't2']) {
      const s = cell(rt[0], v, w),
        o = cell(rt[1], v, w),
        n = cell('ort-node', v, w);
      if (!s && !o) continue;
      const ratio = s && o ? s.medianMs / o.medianMs : undefined;
      rows.push(
        `| ${w} | ${rt[2]} ${v} | ${f(s?.medianMs, 2)} | ${f(s?.firstRunMs, 0)} | ${rate(s, w)} | ${f(o?.medianMs, 2)} | ${f(o?.firstRunMs, 0)} | ${ratio === undefined ? '–' : `**${ratio.toFixed(2)}**`} | ${f(n?.medianMs, 2)} |`,
      );
    }
  }
}
const m = run.meta?.machine ?? {};
console.log(
  `Run ${run.meta?.startedAt ?? ''} (${file.split('/').pop()}): ${m.cpuModel ?? ''} family ${m.family ?? '?'}, ${m.cpus ?? '?'} vCPU, Node ${m.node ?? ''}, onnxruntime-web ${run.meta?.versions?.['onnxruntime-web'] ?? '?'}\n`,
);
console.log(
  '| workload | runtime, threads | Switchyard median ms | Switchyard first run ms | Switchyard rate | ORT-web median ms | ORT-web first run ms | ratio (median) | ORT-node median ms |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(rows.join('\n'));
