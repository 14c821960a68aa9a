#!/usr/bin/env node
// Cold start on one WebGPU adapter: two sessions of the same model one after the other in one
// process, each created (its pipelines compiled, in parallel, at create) and run once, the first
// released before the second is made. "dispose at once" is the old behaviour (the shared device
// went when its last session did, so the second session compiled everything again); "kept" keeps
// the idle shared device and its pipeline cache for the next session (shared-device.ts).
//   node bench/gpu-cold-start.mjs [--adapter swiftshader|llvmpipe|default] [--model encoder-minilm6|gpt2-decode]
import { parseArgs } from 'node:util';
import { getSpec, makeInputs } from './peers/src/common/workloads.js';
import { buildModel } from './peers/src/onnx/build-models.js';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'swiftshader' },
    model: { type: 'string', default: 'encoder-minilm6' },
    json: { type: 'boolean', default: false },
  },
});
if (args.adapter === 'swiftshader') process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
if (args.adapter === 'llvmpipe') process.env.EGL_PLATFORM ||= 'surfaceless';
const sy = await import('../dist/src/index.js');

const spec = getSpec(args.model);
const bytes = buildModel(spec);
const feeds = {};
for (const [name, t] of Object.entries(makeInputs(spec))) feeds[name] = new sy.Tensor('float32', t.data, t.shape);

let lastDevice,
  lastTotal = 0;
async function oneSession() {
  const t0 = performance.now();
  const s = await sy.Session.create(bytes, { backend: 'webgpu', adapter: args.adapter });
  const createMs = performance.now() - t0;
  const device = s.preparedModel?.device;
  const before = device?.snapshot?.().pipelinesCreated;
  const t1 = performance.now();
  await s.run(feeds);
  const runMs = performance.now() - t1;
  const compiled = device?.snapshot?.().pipelinesCreated;
  await s.release();
  const compiledBySession = (compiled ?? 0) - (device === lastDevice ? lastTotal : 0);
  lastDevice = device;
  lastTotal = compiled ?? 0;
  return { createMs, firstRunMs: runMs, compiledBySession, compiledInRun: (compiled ?? 0) - (before ?? 0) };
}

const rows = [];
for (const mode of ['dispose at once (before)', 'kept (after)']) {
  sy.setSharedDeviceIdleMs(mode.startsWith('kept') ? 60_000 : 0);
  await sy.disposeIdleSharedDevices();
  const first = await oneSession();
  const second = await oneSession();
  rows.push({ mode, first, second });
}
await sy.disposeIdleSharedDevices();

if (args.json) console.log(JSON.stringify({ adapter: args.adapter, model: args.model, rows }, null, 1));
else {
  console.log(`${args.model} on ${args.adapter}; session create includes the parallel pipeline compile`);
  console.log(
    '| shared device | session 1: create + first run ms | session 2: create + first run ms | pipelines compiled 1 / 2 |',
  );
  console.log('|---|---:|---:|---:|');
  for (const r of rows) {
    const f = (x) => `${x.createMs.toFixed(0)} + ${x.firstRunMs.toFixed(0)}`;
    console.log(
      `| ${r.mode} | ${f(r.first)} | ${f(r.second)} | ${r.first.compiledBySession} / ${r.second.compiledBySession} |`,
    );
  }
}
