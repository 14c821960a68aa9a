#!/usr/bin/env node
// One LLM decode step timed on one device (the LLM runtime's step graph through DeviceProgram, a
// device-resident KV cache fed back step after step): first step, median step (ms per token) and
// dispatches per token on WebGPU. A synthetic Llama-shaped model (random weights, f32).
//   node bench/gpu-llm-decode.mjs --device webgpu|wasm [--adapter default|swiftshader|llvmpipe]
//                                 [--size tiny|small|0.5b] [--steps N] [--capacity C]
// Prints one line `@@RESULT@@ {json}`.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    device: { type: 'string', default: 'webgpu' },
    adapter: { type: 'string', default: 'swiftshader' },
    size: { type: 'string', default: 'tiny' },
    steps: { type: 'string', default: '8' },
    capacity: { type: 'string', default: '256' },
  },
});
if (args.adapter === 'swiftshader') process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
if (args.adapter === 'llvmpipe') process.env.EGL_PLATFORM ||= 'surfaceless';

const sy = await import('../dist/src/index.js');
const { buildStepGraph } = await import('../dist/src/agent/llm/model.js');
const { DeviceProgram, WeightCache } = await import('../dist/src/agent/llm/program.js');
const { stepModesFor } = await import('../dist/src/agent/llm/engine.js');
const { llamaConfig, syntheticHfTensors } = await import('../dist/src/agent/llm/synthetic.js');
const { weightsFromHf } = await import('../dist/src/agent/llm/weights.js');

const SIZES = {
  tiny: {
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 128,
    vocabSize: 256,
  },
  small: {
    hiddenSize: 512,
    numLayers: 8,
    numHeads: 8,
    numKvHeads: 4,
    headDim: 64,
    intermediateSize: 1408,
    vocabSize: 8192,
  },
  // ~0.5B parameters (Qwen2.5-0.5B-like widths), f32: 2 GB of weights
  '0.5b': {
    hiddenSize: 896,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    intermediateSize: 4864,
    vocabSize: 32000,
  },
};

const C = Number(args.capacity);
const c = llamaConfig({ ...SIZES[args.size], contextLength: Math.max(C, 64) });
const device = args.device === 'webgpu' ? await sy.WebGpuDevice.create({ adapter: args.adapter }) : await wasmDevice();

async function wasmDevice() {
  const { WasmDevice } = await import('../dist/src/backends/wasm/index.js');
  return WasmDevice.create({ threads: 2 });
}

const weights = weightsFromHf(syntheticHfTensors(c, 7, 0.02, 0.02), c, 'synthetic');
const modes = stepModesFor(device, c);
const tCompile = performance.now();
const program = await DeviceProgram.create(
  buildStepGraph(c, weights, { seq: 1, capacity: C, ...modes }),
  new WeightCache(device),
);
const compileMs = performance.now() - tCompile;
let cache = [];
for (let i = 0; i < c.numLayers * 2; i++) cache.push(sy.Tensor.zeros('float32', [1, c.numKvHeads, C, c.headDim]));

async function step(pos) {
  const mask = Float32Array.from({ length: C }, (_, j) => (j <= pos ? 0 : -1e9));
  const place = new Float32Array(C);
  place[pos] = 1;
  const keep = Float32Array.from({ length: C }, (_, j) => (j === pos ? 0 : 1));
  const outs = await program.run([
    sy.Tensor.from('int64', [BigInt(3 + (pos % 50))], [1, 1]),
    sy.Tensor.from('int64', [BigInt(pos)], [1, 1]),
    new sy.Tensor('float32', mask, [1, 1, 1, C]),
    new sy.Tensor('float32', place, [C, 1]),
    new sy.Tensor('float32', keep, [C, 1]),
    sy.Tensor.from('int64', [0n], []),
    ...cache,
  ]);
  // the logits come back (one readback); the presents stay on the device as the next past
  await device.download(outs[0]);
  device.release(outs[0]);
  for (const t of cache) if (!(t instanceof sy.Tensor)) device.release(t);
  cache = outs.slice(1);
}

const t0 = performance.now();
await step(0);
const firstMs = performance.now() - t0 + compileMs;
// two more warm-up steps: the cache alternates between two sets of buffers (past in, present out)
await step(1);
await step(2);
const times = [];
const before = device.snapshot?.();
const steps = Number(args.steps);
for (let p = 3; p < 3 + steps; p++) {
  const t = performance.now();
  await step(p);
  times.push(performance.now() - t);
}
const after = device.snapshot?.();
times.sort((a, b) => a - b);
const result = {
  device: args.device === 'webgpu' ? device.name : 'wasm',
  size: args.size,
  params: weights.layers.length,
  capacity: C,
  modes,
  firstStepMs: firstMs,
  medianStepMs: times[times.length >> 1],
  tokensPerSecond: 1000 / times[times.length >> 1],
  dispatchesPerToken: before ? (after.dispatches - before.dispatches) / steps : undefined,
  createdPerToken: before
    ? (after.pipelinesCreated +
        after.bindGroupsCreated +
        after.buffersCreated -
        (before.pipelinesCreated + before.bindGroupsCreated + before.buffersCreated)) /
      steps
    : undefined,
  fallbacks: [...program.fallbacks.keys()],
};
process.stdout.write(`@@RESULT@@ ${JSON.stringify(result)}\n`);
await device.dispose?.();
process.exit(0);
