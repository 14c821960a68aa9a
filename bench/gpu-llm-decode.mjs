#!/usr/bin/env node
// One LLM decode step timed on one device (the LLM runtime's step graph through DeviceProgram, a
// device-resident KV cache fed back step after step): first step, median step (ms per token) and
// dispatches per token on WebGPU. A synthetic Llama-shaped model: random f32 weights, or random
// 4-bit MatMulNBits codes (blocks of 32, one f32 scale each: the transformers.js/onnxruntime
// layout, the one gguf-nbits gives GGUF Q4_0) for every projection and the LM head.
// --device ort-webgpu runs the same step graph exported to ONNX (MatMulNBits in the com.microsoft
// domain) in onnxruntime-node's WebGPU EP (the KV cache goes through the host each step there).
//   node bench/gpu-llm-decode.mjs --device webgpu|wasm|ort-webgpu [--adapter default|swiftshader|llvmpipe]
//                                 [--size tiny|small|0.5b|1b] [--weights f32|q4] [--steps N] [--capacity C]
//                                 [--threads N] (WASM worker threads)
// Prints one line `@@RESULT@@ {json}`.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    device: { type: 'string', default: 'webgpu' },
    adapter: { type: 'string', default: 'swiftshader' },
    size: { type: 'string', default: 'tiny' },
    weights: { type: 'string', default: 'f32' },
    steps: { type: 'string', default: '8' },
    capacity: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
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
const { exportOnnx } = await import('../dist/src/frontend/onnx/export.js');
const { mulberry32 } = await import('../dist/src/util/rng.js');

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
  // ~1.2B parameters (Llama-3.2-1B widths, a 32k vocabulary): 0.6 GB of 4-bit codes
  '1b': {
    hiddenSize: 2048,
    numLayers: 16,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 64,
    intermediateSize: 8192,
    vocabSize: 32000,
  },
};

/** Random 4-bit MatMulNBits codes (blocks of 32) for every projection and the LM head: made directly, fast. */
function q4Weights(c, seed) {
  const u = mulberry32(seed);
  const linear = (K, N) => {
    const kb = K / 32;
    const words = new Uint32Array((N * kb * 16) / 4);
    for (let i = 0; i < words.length; i++) words[i] = (u() * 2 ** 32) >>> 0;
    const scales = Float32Array.from({ length: N * kb }, () => 0.003 + 0.002 * u());
    const values = new sy.Tensor('uint8', new Uint8Array(words.buffer), [N, kb, 16]);
    const w = {
      kind: 'nbits',
      values,
      scales: new sy.Tensor('float32', scales, [N * kb]),
      nbits: { bits: 4, blockSize: 32, K, N },
    };
    return { w };
  };
  const H = c.hiddenSize,
    q = c.numHeads * c.headDim,
    kv = c.numKvHeads * c.headDim;
  const ones = () => ({ w: new sy.Tensor('float32', new Float32Array(H).fill(1), [H]) });
  const embed = Float32Array.from({ length: c.vocabSize * H }, () => (u() - 0.5) * 0.2);
  return {
    embed: new sy.Tensor('float32', embed, [c.vocabSize, H]),
    layers: Array.from({ length: c.numLayers }, () => ({
      attnNorm: ones(),
      q: linear(H, q),
      k: linear(H, kv),
      v: linear(H, kv),
      o: linear(q, H),
      ffnNorm: ones(),
      gate: linear(H, c.intermediateSize),
      up: linear(H, c.intermediateSize),
      down: linear(c.intermediateSize, H),
    })),
    finalNorm: ones(),
    lmHead: linear(H, c.vocabSize),
  };
}

const C = Number(args.capacity);
const c = llamaConfig({ ...SIZES[args.size], contextLength: Math.max(C, 64) });
const weights =
  args.weights === 'q4' ? q4Weights(c, 7) : weightsFromHf(syntheticHfTensors(c, 7, 0.02, 0.02), c, 'synthetic');
const device =
  args.device === 'webgpu'
    ? await sy.WebGpuDevice.create({ adapter: args.adapter })
    : args.device === 'wasm'
      ? await wasmDevice()
      : await ortDevice();

async function wasmDevice() {
  const { WasmDevice } = await import('../dist/src/backends/wasm/index.js');
  return WasmDevice.create({ threads: Number(args.threads) });
}

/** onnxruntime-node's WebGPU EP behind DeviceProgram's run/download/release (host tensors). */
async function ortDevice() {
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const graph = buildStepGraph(c, weights, { seq: 1, capacity: C, cacheWrite: 'scatter' });
  const t = performance.now();
  const session = await ort.InferenceSession.create(exportOnnx(graph), {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
  });
  const createMs = performance.now() - t;
  const names = graph.inputs.map((v) => v.name);
  const outNames = graph.outputs.map((v) => v.name);
  const toOrt = (x) => new ort.Tensor(x.type === 'int64' ? 'int64' : 'float32', x.data, [...x.dims]);
  const program = {
    fallbacks: new Map(),
    async run(inputs) {
      const feeds = Object.fromEntries(
        names.map((n, i) => [n, inputs[i] instanceof sy.Tensor ? toOrt(inputs[i]) : inputs[i]]),
      );
      const out = await session.run(feeds);
      return outNames.map((n) => out[n]);
    },
  };
  return { kind: 'ort', name: 'onnxruntime-node WebGPU EP', program, createMs, download: async (x) => x, release() {} };
}

const modes = device.kind === 'ort' ? { cacheWrite: 'scatter' } : stepModesFor(device, c);
const tCompile = performance.now();
const program =
  device.kind === 'ort'
    ? device.program
    : await DeviceProgram.create(
        buildStepGraph(c, weights, { seq: 1, capacity: C, ...modes }),
        new WeightCache(device),
      );
const compileMs = device.kind === 'ort' ? device.createMs : performance.now() - tCompile;
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
  for (const t of cache) if (!(t instanceof sy.Tensor) && device.kind !== 'ort') device.release(t);
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
  device: args.device === 'webgpu' ? device.name : args.device === 'wasm' ? 'wasm' : device.name,
  size: args.size,
  weights: args.weights,
  params:
    2 * c.vocabSize * c.hiddenSize +
    c.numLayers *
      (c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim +
        c.numHeads * c.headDim * c.hiddenSize +
        3 * c.hiddenSize * c.intermediateSize),
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
  kernels: device.kernelDispatches ? Object.fromEntries(device.kernelDispatches) : undefined,
};
process.stdout.write(`@@RESULT@@ ${JSON.stringify(result)}\n`);
await device.dispose?.();
process.exit(0);
