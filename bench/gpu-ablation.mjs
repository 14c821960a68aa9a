#!/usr/bin/env node
// Which WebGPU fusion passes pay on this adapter: the peers encoder (and, without --quick, the GPT-2
// decode step) on one device in one process, with the shared kernel passes, the full WebGPU
// pipeline, and the WebGPU pipeline without each fusion; first run, median, dispatches per run.
//   node bench/gpu-ablation.mjs [--adapter default|swiftshader] [--layers N] [--runs N] [--quick]
import { parseArgs } from 'node:util';
import { getSpec, makeInputs } from './peers/src/common/workloads.js';
import { buildModel } from './peers/src/onnx/build-models.js';

const { values: args } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'swiftshader' },
    layers: { type: 'string' },
    runs: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
  },
});
if (args.adapter === 'swiftshader') process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
const sy = await import('../dist/src/index.js');
const W = sy.WEBGPU_KERNEL_PIPELINE;
const without = (...ps) => W.filter((p) => !ps.includes(p));
const variants = [
  ['shared kernel passes', sy.KERNEL_PIPELINE],
  ['WebGPU pipeline', W],
  ['without fuse-attention, pack-qkv', without('fuse-attention', 'pack-qkv')],
  ['without pack-qkv', without('pack-qkv')],
  ['without fuse-matmul-norm', without('fuse-matmul-norm')],
  ['without fuse-norm-matmul', without('fuse-norm-matmul')],
];
const device = await sy.WebGpuDevice.create({ adapter: args.adapter });
const runs = Number(args.runs);
console.log(`| workload | passes | first ms | median ms | dispatches / run |\n|---|---|---:|---:|---:|`);
for (const id of args.quick ? ['encoder-minilm6'] : ['encoder-minilm6', 'gpt2-decode']) {
  const base = getSpec(id);
  const layers = Number(args.layers ?? base.params.layers);
  const spec = {
    ...base,
    params: { ...base.params, layers },
    inputs: base.inputs.filter((i) => !/^past_[kv]_/.test(i.name) || Number(i.name.split('_')[2]) < layers),
  };
  const bytes = buildModel(spec);
  const feeds = {};
  for (const [n, t] of Object.entries(makeInputs(spec))) feeds[n] = new sy.Tensor('float32', t.data, t.shape);
  for (const [name, passes] of variants) {
    const t0 = performance.now();
    const s = await sy.Session.create(bytes, { backend: 'webgpu', device, passes });
    await s.run(feeds);
    const first = performance.now() - t0;
    const d0 = device.snapshot().dispatches;
    const ts = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await s.run(feeds);
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    const per = (device.snapshot().dispatches - d0) / runs;
    console.log(`| ${id} (${layers} layers) | ${name} | ${first.toFixed(1)} | ${ts[runs >> 1].toFixed(2)} | ${per} |`);
    await s.release();
  }
}
await device.dispose();
