#!/usr/bin/env node
// Dispatches per transformer layer and per decode token on one WebGPU adapter, beside the times:
// the MiniLM-6-shaped encoder and the GPT-2-shaped decode step of the peers suite (the same ONNX
// builders), and one LLM decode step (a Llama-shaped synthetic model through DeviceProgram, the
// LLM runtime's path). Per layer = dispatches of the 2-layer model minus those of the 1-layer one,
// so the embedding, final norm and LM head do not blur it. With --profile and an adapter that has
// `timestamp-query`, GPU time per kernel from timestamp queries; otherwise "not available".
//   node bench/gpu-dispatches.mjs [--adapter swiftshader|llvmpipe|default] [--runs N] [--profile]
//                                 [--json out.json] [--full]
// --full also times the whole 6-layer encoder, the 12-layer GPT-2 decode step and a bigger LLM.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { getSpec, makeInputs } from './peers/src/common/workloads.js';
import { buildModel } from './peers/src/onnx/build-models.js';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'swiftshader' },
    runs: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
if (args.adapter === 'swiftshader') process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
if (args.adapter === 'llvmpipe') process.env.EGL_PLATFORM ||= 'surfaceless';

const sy = await import('../dist/src/index.js');
const { buildStepGraph } = await import('../dist/src/agent/llm/model.js');
const { DeviceProgram, WeightCache } = await import('../dist/src/agent/llm/program.js');
const { stepModesFor } = await import('../dist/src/agent/llm/engine.js');
const { llamaConfig, gpt2Config, syntheticHfTensors, hfToGguf } = await import('../dist/src/agent/llm/synthetic.js');
const { weightsFromHf, weightsFromGguf } = await import('../dist/src/agent/llm/weights.js');
const { readGguf, writeGguf } = await import('../dist/src/frontend/weights/gguf.js');

/** GGUF Q4_0 weights kept as MatMulNBits codes (the 'native' quantization). */
function q4Weights(c) {
  const { metadata, tensors } = hfToGguf(c, syntheticHfTensors(c, 3), 'Q4_0');
  return weightsFromGguf(readGguf(writeGguf(metadata, tensors)), c, 'native');
}

const RUNS = Number(args.runs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A peers workload spec with another layer count (decode specs carry one past K/V pair per layer). */
function withLayers(id, layers) {
  const spec = getSpec(id);
  const params = { ...spec.params, layers };
  const inputs = spec.inputs.filter((i) => !/^past_[kv]_(\d+)$/.test(i.name) || Number(i.name.split('_')[2]) < layers);
  return { ...spec, params, inputs };
}

/** Dispatches, submits and created objects of one warm run, its median time and first run. */
async function measure(device, run) {
  const t0 = performance.now();
  await run();
  await device.finish();
  const firstMs = performance.now() - t0;
  await run();
  const before = device.snapshot();
  const kernelsBefore = new Map(device.kernelDispatches);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run();
    await device.finish();
    times.push(performance.now() - t);
  }
  const after = device.snapshot();
  const per = {};
  for (const k of Object.keys(after)) per[k] = (after[k] - before[k]) / RUNS;
  const kernels = {};
  for (const [k, n] of device.kernelDispatches) {
    const d = (n - (kernelsBefore.get(k) ?? 0)) / RUNS;
    if (d) kernels[k] = d;
  }
  return { per, kernels, firstMs, medianMs: median(times) };
}

async function onnxCase(device, id, layers) {
  const spec = withLayers(id, layers);
  const session = await sy.Session.create(buildModel(spec), { backend: 'webgpu', device });
  const inputs = makeInputs(spec);
  const feeds = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = new sy.Tensor('float32', t.data, t.shape);
  try {
    return { ...(await measure(device, () => session.run(feeds))), fallbacks: [...session.fallbacks.keys()] };
  } finally {
    await session.release();
  }
}

/** One decode step of a synthetic model (the LLM runtime's step graph) with a cache of `capacity`. */
async function llmCase(device, config, { capacity = 64, modes = {}, weights: makeWeights } = {}) {
  const c = config;
  const weights = makeWeights ? makeWeights(c) : weightsFromHf(syntheticHfTensors(c, 3), c, 'synthetic');
  // the modes the LLM engine picks on this device (plain ops where it lacks an Attention/RoPE kernel)
  const graph = buildStepGraph(c, weights, { seq: 1, capacity, ...stepModesFor(device, c), ...modes });
  const program = await DeviceProgram.create(graph, new WeightCache(device));
  const pos = 5;
  const mask = new Float32Array(capacity).map((_, j) => (j <= pos ? 0 : -1e9));
  const place = new Float32Array(capacity);
  place[pos] = 1;
  const keep = new Float32Array(capacity).fill(1);
  keep[pos] = 0;
  const feeds = [
    sy.Tensor.from('int64', [7n], [1, 1]),
    sy.Tensor.from('int64', [BigInt(pos)], [1, 1]),
    new sy.Tensor('float32', mask, [1, 1, 1, capacity]),
    new sy.Tensor('float32', place, [capacity, 1]),
    new sy.Tensor('float32', keep, [capacity, 1]),
    sy.Tensor.from('int64', [0n], []),
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const kv = [1, c.numKvHeads, capacity, c.headDim];
    feeds.push(sy.Tensor.zeros('float32', kv), sy.Tensor.zeros('float32', kv));
  }
  const run = async () => {
    const outs = await program.run(feeds);
    await device.download(outs[0]);
    for (const t of outs) device.release(t);
  };
  return { ...(await measure(device, run)), fallbacks: [...program.fallbacks.keys()] };
}

/** Per layer: the difference of the 2-layer and 1-layer figures. */
async function perLayer(name, make) {
  const one = await make(1);
  const two = await make(2);
  const diff = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
  return {
    name,
    dispatchesPerLayer: two.per.dispatches - one.per.dispatches,
    dispatchesOneLayer: one.per.dispatches,
    kernelsPerLayer: Object.fromEntries(Object.entries(diff(one.kernels, two.kernels)).filter(([, v]) => v)),
    steady: {
      pipelinesCreated: two.per.pipelinesCreated,
      bindGroupsCreated: two.per.bindGroupsCreated,
      buffersCreated: two.per.buffersCreated,
      submits: two.per.submits,
      readbacks: two.per.readbacks,
    },
    fallbacks: two.fallbacks,
  };
}

export async function dispatchReport(device, { full = false } = {}) {
  const llama = (layers) =>
    llamaConfig({
      numLayers: layers,
      hiddenSize: 64,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 16,
      intermediateSize: 128,
      contextLength: 512,
    });
  const gpt2 = (layers) =>
    gpt2Config({ numLayers: layers, hiddenSize: 64, numHeads: 4, headDim: 16, contextLength: 512 });
  const rows = [
    await perLayer('encoder-minilm6 (MiniLM-6 shape, seq 128)', (l) => onnxCase(device, 'encoder-minilm6', l)),
    await perLayer('gpt2-decode (GPT-2 small shape, past 128)', (l) => onnxCase(device, 'gpt2-decode', l)),
    await perLayer('LLM decode step, Llama-shaped (GQA, RoPE), cache 64', (l) => llmCase(device, llama(l))),
    await perLayer('LLM decode step, Llama-shaped, cache 256 (split keys)', (l) =>
      llmCase(device, llama(l), { capacity: 256 }),
    ),
    await perLayer('LLM decode step, Llama-shaped, separate Q/K/V (before)', (l) =>
      llmCase(device, llama(l), { modes: { qkv: 'separate' } }),
    ),
    await perLayer('LLM decode step, Llama-shaped, GGUF Q4_0 weights (MatMulNBits), cache 64', (l) =>
      llmCase(device, llama(l), { weights: q4Weights }),
    ),
    await perLayer('LLM decode step, GPT-2-shaped, cache 64', (l) => llmCase(device, gpt2(l))),
    await perLayer('LLM decode step, GPT-2-shaped, cache 256 (split keys)', (l) =>
      llmCase(device, gpt2(l), { capacity: 256 }),
    ),
  ];
  const timed = [];
  if (full) {
    timed.push({ name: 'encoder-minilm6, 6 layers', ...(await onnxCase(device, 'encoder-minilm6', 6)) });
    timed.push({ name: 'gpt2-decode, 12 layers', ...(await onnxCase(device, 'gpt2-decode', 12)) });
  }
  return { rows, timed };
}

function print(device, report, kernelTimes) {
  const a = device.adapter.info;
  console.log(
    `adapter: ${device.name} (${a.vendor} ${a.architecture}); shader-f16: ${device.features.includes('shader-f16')}`,
  );
  console.log(`timestamp-query: ${device.features.includes('timestamp-query') ? 'available' : 'not available'}`);
  console.log('');
  console.log('| workload | dispatches / layer | 1-layer model | submits / run | created in a warm run | fallbacks |');
  console.log('|---|---:|---:|---:|---|---|');
  for (const r of report.rows) {
    const s = r.steady;
    const made = `${s.pipelinesCreated} pipelines, ${s.bindGroupsCreated} bind groups, ${s.buffersCreated} buffers`;
    const fb = r.fallbacks.join(', ') || 'none';
    console.log(`| ${r.name} | ${r.dispatchesPerLayer} | ${r.dispatchesOneLayer} | ${s.submits} | ${made} | ${fb} |`);
  }
  for (const r of report.rows) {
    const ks = Object.entries(r.kernelsPerLayer).map(([k, n]) => `${k}×${n}`);
    console.log(`\n${r.name}, kernels per layer: ${ks.join(', ')}`);
  }
  for (const t of report.timed) {
    console.log(
      `\n${t.name}: first ${t.firstMs.toFixed(1)} ms, median ${t.medianMs.toFixed(1)} ms, ${t.per.dispatches} dispatches`,
    );
  }
  if (kernelTimes === undefined)
    console.log('\nGPU time per kernel: not available (no timestamp-query, or run with --profile)');
  else {
    console.log('\n| kernel | dispatches | GPU ms |\n|---|---:|---:|');
    for (const k of kernelTimes.slice(0, 25)) console.log(`| ${k.label} | ${k.count} | ${k.gpuMs.toFixed(3)} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const device = await sy.WebGpuDevice.create({ adapter: args.adapter, profile: args.profile });
  try {
    const report = await dispatchReport(device, { full: args.full });
    const kernelTimes = await device.kernelTimes();
    print(device, report, kernelTimes);
    if (args.json)
      fs.writeFileSync(args.json, JSON.stringify({ adapter: device.name, ...report, kernelTimes }, null, 1));
  } finally {
    await device.dispose();
  }
}
