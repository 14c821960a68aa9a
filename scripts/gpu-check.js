#!/usr/bin/env node
// The GPU check, in one go, for a session that has a real GPU (NVIDIA through Dawn's Vulkan
// backend); it also runs, slowly, on SwiftShader so it can be tested without one.
//   node scripts/gpu-check.js [--adapter default|swiftshader] [--quick] [--llm-size tiny|small|0.5b|1b]
//                             [--workloads encoder-minilm6,gpt2-decode] (emulated: the encoder only)
//                             [--out bench/gpu-check-results/<stamp>.json]
// 1. adapter facts: name, shader-f16, subgroups, timestamp-query, limits;
// 2. dispatches per transformer layer and per decode token (bench/gpu-dispatches.mjs), with GPU
//    time per kernel from timestamp queries where the adapter has them;
// 3. the MiniLM-6 encoder and the GPT-2 decode step of the peers suite: Switchyard WebGPU vs
//    onnxruntime-node's WebGPU EP on the same adapter, first run and median, each in a fresh
//    process (bench/peers/src/cell.js), and the ratios (the targets: median <= 0.67x,
//    first run <= 1x);
// 4. LLM decode (a Llama-shaped synthetic model, ~1B with 4-bit weights on a GPU): tok/s on WebGPU
//    vs WASM on this CPU vs onnxruntime-node's WebGPU EP on the same step graph; then the cold
//    start of a second session on the same adapter (bench/gpu-cold-start.mjs);
// 5. the fusion passes on and off (bench/gpu-ablation.mjs): which ones pay on this adapter.
// Prints markdown tables and writes the JSON. Needs `npm run build` first (dist/ and wasm/build/).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'default' },
    quick: { type: 'boolean', default: false },
    'llm-size': { type: 'string' },
    workloads: { type: 'string' },
    out: { type: 'string' },
  },
});
const adapter = args.adapter;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env = { ...process.env };
if (adapter === 'swiftshader') env.VK_ICD_FILENAMES ||= SWIFTSHADER_ICD;
// onnxruntime's adapter defaults to SwiftShader unless VK_ICD_FILENAMES names a driver: on a GPU
// machine point it at the real one
if (adapter === 'default' && !env.VK_ICD_FILENAMES) {
  const icd = ['/usr/share/vulkan/icd.d/nvidia_icd.json', '/etc/vulkan/icd.d/nvidia_icd.json'].find((f) =>
    fs.existsSync(f),
  );
  if (icd) env.VK_ICD_FILENAMES = icd;
}
env.SWITCHYARD_BENCH_GPU = '1'; // exposes the peers adapter's 'default' variant
const quick = args.quick || adapter !== 'default';
const policy = quick ? { warmup: 1, minRuns: 3, maxRuns: 5, targetMs: 500, slowMs: 2000 } : {};
const report = { startedAt: new Date().toISOString(), adapter, env: { VK_ICD_FILENAMES: env.VK_ICD_FILENAMES } };

function run(cmd, argv, timeoutS) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT@@ '));
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    result: line && JSON.parse(line.slice(11)),
  };
}

// 1. adapter facts
const facts = run(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const sy = await import('${path.join(ROOT, 'dist/src/index.js')}');
     const d = await sy.WebGpuDevice.create({ adapter: ${JSON.stringify(adapter)} });
     const l = d.limits;
     process.stdout.write('@@RESULT@@ ' + JSON.stringify({ name: d.name, info: d.adapter.info, features: d.features,
       limits: { maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
                 maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
                 maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize } }) + '\\n');
     await d.dispose(); process.exit(0);`,
  ],
  120,
);
if (!facts.result) {
  console.error(`no WebGPU adapter '${adapter}':\n${facts.stderr.slice(-2000)}`);
  process.exit(1);
}
report.facts = facts.result;
const has = (f) => facts.result.features.includes(f);
console.log(`# GPU check: ${facts.result.name} (${facts.result.info.vendor} ${facts.result.info.architecture})\n`);
console.log(
  `shader-f16: ${has('shader-f16') ? 'yes' : 'no (f16 kernels cannot run)'}; subgroups: ${has('subgroups') ? 'yes' : 'no'};` +
    ` timestamp-query: ${has('timestamp-query') ? 'yes' : 'not available'}`,
);
console.log(`limits: ${JSON.stringify(facts.result.limits)}\n`);

// 2. dispatch counts (and per-kernel GPU time)
const dispatchJson = path.join(ROOT, 'bench/gpu-check-results/.dispatches.json');
fs.mkdirSync(path.dirname(dispatchJson), { recursive: true });
const disp = run(
  process.execPath,
  ['bench/gpu-dispatches.mjs', '--adapter', adapter, '--profile', '--runs', quick ? '2' : '5', '--json', dispatchJson],
  1200,
);
process.stdout.write(disp.stdout.replace(/^adapter:.*\n/m, ''));
if (disp.status !== 0) console.log(`dispatch report failed:\n${disp.stderr.slice(-2000)}`);
else report.dispatches = JSON.parse(fs.readFileSync(dispatchJson, 'utf8'));

const f = (x) => (x === undefined ? '' : x.toFixed(x >= 100 ? 0 : 2));

// 4. LLM decode: the GPU against this machine's CPU (WASM) and onnxruntime-node's WebGPU EP, on
//    a Llama-shaped synthetic model with 4-bit MatMulNBits weights (~1B on a GPU, tiny emulated)
//    and the same widths in f32 on WebGPU
const size = args['llm-size'] ?? (quick ? 'tiny' : '1b');
const threads = String(Math.min(8, Math.max(2, os.availableParallelism?.() ?? 2)));
const llmCells = [
  ['webgpu', 'q4'],
  ['wasm', 'q4'],
  ['ort-webgpu', 'q4'],
  ['webgpu', 'f32'],
];
const llm = llmCells.map(([d, weights]) => {
  const r = run(
    process.execPath,
    [
      'bench/gpu-llm-decode.mjs',
      ...['--device', d, '--adapter', adapter, '--size', size, '--weights', weights],
      ...['--steps', quick ? '4' : '16', '--threads', threads],
    ],
    quick ? 600 : 240,
  );
  return r.result ?? { device: d, weights, error: `failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
});
report.llm = llm;
console.log(`\nLLM decode, Llama-shaped synthetic model '${size}', KV cache 256 (WASM: ${threads} threads):\n`);
console.log(
  '| device | weights | first step ms (with compile) | median ms / token | tok/s | dispatches / token | GPU objects created / token |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of llm) {
  if (r.error) console.log(`| ${r.device} | ${r.weights} | ${r.error.slice(0, 120)} | | | | |`);
  else
    console.log(
      `| ${r.device} | ${r.weights} | ${f(r.firstStepMs)} | ${f(r.medianStepMs)} | ${f(r.tokensPerSecond)} | ` +
        `${r.dispatchesPerToken ?? ''} | ${r.createdPerToken ?? ''} |`,
    );
}
// cells in llmCells order; a failed cell has no tok/s
const tokS = (d, w) => llm[llmCells.findIndex(([x, y]) => x === d && y === w)]?.tokensPerSecond;
const gpuQ4 = tokS('webgpu', 'q4'),
  cpuQ4 = tokS('wasm', 'q4'),
  ortQ4 = tokS('ort-webgpu', 'q4');
if (gpuQ4 && cpuQ4) console.log(`\n4-bit decode, WebGPU ÷ WASM tok/s: ${(gpuQ4 / cpuQ4).toFixed(2)} (target > 1)`);
if (gpuQ4 && ortQ4)
  console.log(`4-bit decode, Switchyard WebGPU ÷ onnxruntime WebGPU tok/s: ${(gpuQ4 / ortQ4).toFixed(2)} (target ≥ 1)`);

// cold start: a second session on the same adapter reuses the kept device's pipelines
const cold = run(process.execPath, ['bench/gpu-cold-start.mjs', '--adapter', adapter, '--model', 'gpt2-decode'], 600);
console.log(`\n${cold.stdout}`);
if (cold.status !== 0) console.log(`cold start failed:\n${cold.stderr.slice(-1500)}`);
report.coldStart = cold.stdout;

// 3. encoder and GPT-2 decode vs onnxruntime-node's WebGPU EP, each cell in a fresh process
const { ensureModels } = await import('../bench/peers/src/onnx/build-models.js');
ensureModels(['encoder-minilm6', 'gpt2-decode'], () => undefined);
const cell = (file, variant, workload) =>
  run(process.execPath, ['bench/peers/src/cell.js', file, variant, workload, JSON.stringify(policy)], 1800).result ?? {
    status: 'error',
    error: 'no result',
  };
const rows = [];
report.peers = rows;
const workloads = (args.workloads ?? (quick ? 'encoder-minilm6' : 'encoder-minilm6,gpt2-decode')).split(',');
console.log(
  '\n| workload | Switchyard first | Switchyard median | ORT WebGPU first | ORT WebGPU median | median ratio | first ratio |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
// each row printed when done: a slow adapter still shows what it finished
for (const workload of workloads) {
  const ours = cell('bench/peers/adapters/switchyard-webgpu.js', adapter, workload);
  const ort = cell('bench/peers/src/adapters/ort-node-webgpu.js', 'swiftshader', workload); // device: VK_ICD_FILENAMES
  rows.push({ workload, ours, ort });
  const ok = ours.status === 'ok' && ort.status === 'ok';
  const cellOf = (c, k) => (c.status === 'ok' ? f(c[k]) : c.status);
  console.log(
    `| ${workload} | ${cellOf(ours, 'firstRunMs')} | ${cellOf(ours, 'medianMs')} | ${cellOf(ort, 'firstRunMs')} | ` +
      `${cellOf(ort, 'medianMs')} | ${ok ? (ours.medianMs / ort.medianMs).toFixed(2) : ''} | ` +
      `${ok ? (ours.firstRunMs / ort.firstRunMs).toFixed(2) : ''} |`,
  );
  for (const [who, c] of [
    ['switchyard', ours],
    ['ort', ort],
  ])
    if (c.status !== 'ok') console.log(`  ${who} ${workload}: ${String(c.error).split('\n')[0]}`);
}

// 5. which fusion passes pay on this adapter (a real GPU only: on an emulated adapter it takes
//    longer than the whole check may)
const abl = quick
  ? { status: 0, stdout: 'skipped with --quick (run bench/gpu-ablation.mjs on its own)\n', stderr: '' }
  : run(
      process.execPath,
      [
        'bench/gpu-ablation.mjs',
        '--adapter',
        adapter,
        '--runs',
        quick ? '3' : '10',
        ...(quick ? ['--quick', '--layers', '2'] : []),
      ],
      1800,
    );
console.log(`\nFusion passes on and off (same device, same process):\n\n${abl.stdout}`);
if (abl.status !== 0) console.log(`ablation failed:\n${abl.stderr.slice(-1500)}`);
report.ablation = abl.stdout;

console.log(
  '\nThe 1B model is synthetic (random 4-bit codes in the transformers.js MatMulNBits layout, no download); ' +
    'onnxruntime runs the same step graph exported to ONNX, its KV cache through the host each step.',
);
const out =
  args.out ?? path.join(ROOT, 'bench/gpu-check-results', `gpu-check-${report.startedAt.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(out, JSON.stringify(report, null, 1));
console.log(`\nwrote ${path.relative(ROOT, out)}`);
