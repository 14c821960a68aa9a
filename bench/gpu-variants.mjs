#!/usr/bin/env node
// Pipelines compiled and first-run time on one WebGPU adapter: the MiniLM-6-shaped encoder and the
// GPT-2-shaped decode step of the peers suite (the same ONNX builders) and a small CNN, each on a
// fresh device; then the same model at a second shape on that device (another sequence length,
// past length or image size), where programs whose sizes are uniforms are reused instead of
// compiled again. A warm run must create no pipeline, bind group or buffer.
//   node bench/gpu-variants.mjs [--adapter swiftshader] [--dist dist] [--json out.json]
// --dist points at another build's dist/ (a baseline checkout) to compare side by side.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getSpec, makeInputs } from './peers/src/common/workloads.js';
import { buildModel } from './peers/src/onnx/build-models.js';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'swiftshader' },
    dist: { type: 'string', default: 'dist' },
    json: { type: 'string' },
  },
});
if (args.adapter === 'swiftshader') process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
const dist = path.resolve(args.dist);
const sy = await import(path.join(dist, 'src/index.js'));
const { WebGpuDevice } = await import(path.join(dist, 'src/backends/webgpu/device.js'));
const { GraphBuilder } = await import(path.join(dist, 'src/ir/builder.js'));
const { Tensor, Session } = sy;

/** A peers workload with some of its parameters changed, as ONNX bytes and feeds. */
function peers(id, change) {
  const spec = getSpec(id);
  const params = { ...spec.params, ...change };
  const inputs = spec.inputs.map((i) =>
    i.name === 'x'
      ? { ...i, shape: [1, id === 'gpt2-decode' ? 1 : params.seq, params.hidden] }
      : { ...i, shape: [1, params.heads, params.past, params.hidden / params.heads] },
  );
  const full = { ...spec, params, inputs };
  const feeds = {};
  for (const [n, v] of Object.entries(makeInputs(full))) feeds[n] = new Tensor('float32', v.data, v.shape);
  return { model: buildModel(full), feeds };
}

/** conv3x3-relu-maxpool ×3, global average pool, a linear layer and softmax, on a `size`² image. */
function cnn(size) {
  const b = new GraphBuilder();
  let seed = 7;
  const rand = (n, scale) =>
    Float32Array.from({ length: n }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
  const w = (dims, scale) =>
    b.constant(
      new Tensor(
        'float32',
        rand(
          dims.reduce((p, q) => p * q, 1),
          scale,
        ),
        dims,
      ),
    );
  let x = b.input('img', 'float32', [1, 3, size, size]);
  let c = 3;
  for (const m of [16, 32, 64]) {
    const conv = b.op('Conv', [x, w([m, c, 3, 3], Math.sqrt(3 / (9 * c))), w([m], 0.02)], { pads: [1, 1, 1, 1] });
    x = b.op('MaxPool', [b.op('Relu', [conv])], { kernel_shape: [2, 2], strides: [2, 2] });
    c = m;
  }
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])]);
  b.output(b.op('Softmax', [b.op('Gemm', [pooled, w([64, 10], 0.3), w([10], 0.02)])], { axis: 1 }), 'probs');
  const img = new Tensor('float32', rand(3 * size * size, 1), [1, 3, size, size]);
  return { model: b.build(), feeds: { img } };
}

const WORKLOADS = [
  {
    name: 'MiniLM-6 encoder (seq 128, then 96)',
    first: () => peers('encoder-minilm6', {}),
    second: () => peers('encoder-minilm6', { seq: 96 }),
  },
  {
    // the real widths and 12 layers; a smaller vocabulary keeps the LM head's weights small here
    name: 'GPT-2 decode step (past 128, then 129; vocab 8192)',
    first: () => peers('gpt2-decode', { vocab: 8192 }),
    second: () => peers('gpt2-decode', { vocab: 8192, past: 129 }),
  },
  { name: 'CNN 3×(conv3x3+relu+maxpool) (64², then 96²)', first: () => cnn(64), second: () => cnn(96) },
];

const created = (s) => s.pipelinesCreated + s.bindGroupsCreated + s.buffersCreated;
const rows = [];
for (const wl of WORKLOADS) {
  const device = await WebGpuDevice.create({ adapter: args.adapter });
  try {
    const a = wl.first();
    let t = performance.now();
    const s1 = await Session.create(a.model, { backend: 'webgpu', device });
    await s1.run(a.feeds);
    const firstMs = performance.now() - t;
    const p1 = device.snapshot().pipelinesCreated;
    const w0 = device.snapshot();
    t = performance.now();
    await s1.run(a.feeds);
    const warmMs = performance.now() - t;
    const warmCreated = created(device.snapshot()) - created(w0);
    const b = wl.second();
    t = performance.now();
    const s2 = await Session.create(b.model, { backend: 'webgpu', device });
    await s2.run(b.feeds);
    const secondMs = performance.now() - t;
    const p2 = device.snapshot().pipelinesCreated - p1;
    rows.push({ workload: wl.name, pipelines: p1, firstMs, warmMs, secondPipelines: p2, secondMs, warmCreated });
    await s1.release();
    await s2.release();
  } finally {
    await device.dispose();
  }
}

const load = fs.existsSync('/proc/loadavg') ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ', 3).join(' ') : '?';
console.log(`adapter ${args.adapter}, build ${args.dist}, load average ${load}`);
console.log(
  '| workload | pipelines | first run (ms) | warm run (ms) | second shape: new pipelines | ' +
    'second shape first run (ms) | warm run creates |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.workload} | ${r.pipelines} | ${r.firstMs.toFixed(0)} | ${r.warmMs.toFixed(0)} | ${r.secondPipelines} | ` +
      `${r.secondMs.toFixed(0)} | ` +
      `${r.warmCreated} |`,
  );
if (args.json)
  fs.writeFileSync(args.json, JSON.stringify({ adapter: args.adapter, dist: args.dist, load, rows }, null, 2));
