// MatMulNBits on WebGPU without widening: the pack-nbits pass turns constant-code MatMulNBits into
// k.matmul_nbits (codes as uint32 words, 4 or 8 bits a weight on the GPU), whose kernel equals
// the reference on SwiftShader (subgroup reduction: it exposes `subgroups`) and llvmpipe (no
// subgroups: the workgroup-memory tree), for 4- and 8-bit codes, with and without zero points and
// bias, one to six rows (transformers.js's ONNX layout); and the LLM engine with GGUF Q4_0 and Q8_0
// weights repacked by gguf-nbits decodes on WebGPU as the reference engine does, in ≤ 6 dispatches
// per decode layer (quantized k.decode_qkv, attention, O + residual, RMSNorm + gate/up + SiLU, down
// + residual).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { configFromGguf } from '../../src/agent/llm/config.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { DeviceProgram, WeightCache } from '../../src/agent/llm/program.js';
import { hfToGguf, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { weightsFromGguf } from '../../src/agent/llm/weights.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { readGguf, writeGguf } from '../../src/frontend/weights/gguf.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { mulberry32 } from '../../src/util/rng.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

interface Case {
  bits: 4 | 8;
  K: number;
  N: number;
  block: number;
  M: number;
  zp: boolean;
  bias: boolean;
}
const CASES: Case[] = [
  { bits: 4, K: 256, N: 48, block: 32, M: 1, zp: false, bias: false },
  { bits: 4, K: 128, N: 20, block: 64, M: 3, zp: true, bias: true },
  { bits: 8, K: 96, N: 33, block: 32, M: 1, zp: false, bias: true },
  { bits: 8, K: 64, N: 16, block: 16, M: 6, zp: true, bias: false },
];

function nbitsGraph(c: Case) {
  const u = mulberry32(c.K * 7 + c.N + c.bits);
  const kb = c.K / c.block;
  const blob = (c.block * c.bits) / 8;
  const g = new GraphBuilder('nbits', 21);
  const codes = Uint8Array.from({ length: c.N * kb * blob }, () => Math.floor(u() * 256));
  const scales = Float32Array.from({ length: c.N * kb }, () => 0.01 + u() * 0.05);
  const zpRow = Math.ceil((kb * c.bits) / 8);
  const zp = Uint8Array.from({ length: c.N * zpRow }, () => Math.floor(u() * 256));
  const ins = [
    g.input('a', 'float32', [c.M, c.K]),
    g.constant(new Tensor('uint8', codes, [c.N, kb, blob])),
    g.constant(new Tensor('float32', scales, [c.N * kb])),
    c.zp ? g.constant(new Tensor('uint8', zp, [c.N * zpRow])) : null,
    null,
    c.bias
      ? g.constant(
          new Tensor(
            'float32',
            Float32Array.from({ length: c.N }, () => u() - 0.5),
            [c.N],
          ),
        )
      : null,
  ];
  const attrs = { K: c.K, N: c.N, bits: c.bits, block_size: c.block };
  g.output(g.op('ms.MatMulNBits', ins, attrs), 'y');
  return g.build();
}

for (const adapter of ['swiftshader', 'llvmpipe']) {
  test(`MatMulNBits stays packed on WebGPU and equals the reference on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    const reference = new ReferenceDevice();
    try {
      const subgroups = device.features.includes('subgroups');
      console.log(`# ${adapter}: subgroups ${subgroups}, shader-f16 ${device.features.includes('shader-f16')}`);
      for (const c of CASES) {
        const what = `${adapter} ${c.bits}-bit K=${c.K} N=${c.N} M=${c.M}${c.zp ? ' zp' : ''}${c.bias ? ' bias' : ''}`;
        const u = mulberry32(c.M);
        const a = new Tensor(
          'float32',
          Float32Array.from({ length: c.M * c.K }, () => u() * 2 - 1),
          [c.M, c.K],
        );
        const ref = await DeviceProgram.create(nbitsGraph(c), new WeightCache(reference));
        const want = (await reference.download((await ref.run([a]))[0]!)).data as Float32Array;
        const gpu = await DeviceProgram.create(nbitsGraph(c), new WeightCache(device));
        assert.deepEqual([...gpu.fallbacks.keys()], [], `${what}: on the GPU`);
        const node = gpu.graph.nodes.find((n) => n.op === 'k.matmul_nbits');
        assert.ok(node, `${what}: kept as k.matmul_nbits (${gpu.graph.nodes.map((n) => n.op).join(' ')})`);
        const words = node.inputs[1]!.const!;
        assert.equal(words.type, 'uint32');
        assert.equal(words.byteLength, (c.N * c.K * c.bits) / 8, `${what}: ${c.bits} bits a weight on the GPU`);
        const before = new Map(device.kernelDispatches);
        const out = (await gpu.run([a]))[0]!;
        const got = (await device.download(out)).data as Float32Array;
        device.release(out);
        const ran = [...device.kernelDispatches].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k]) => k);
        const label = `k.matmul_nbits:q${c.bits}-matvec${subgroups ? '-subgroups' : ''}`;
        assert.deepEqual(ran, [label], `${what}: the kernel that ran`);
        for (let i = 0; i < want.length; i++) {
          const tol = 1e-4 + 1e-4 * Math.abs(want[i]!);
          assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}: [${i}] ${got[i]} vs reference ${want[i]}`);
        }
      }
    } finally {
      await device.dispose();
    }
  });

  test(`GGUF Q4_0 and Q8_0 weights decode on WebGPU as on the reference (${adapter})`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    const reference = new ReferenceDevice();
    const modelOf = (type: 'Q4_0' | 'Q8_0', numLayers: number) => {
      const c = llamaConfig({
        vocabSize: 128,
        hiddenSize: 64,
        numLayers,
        numHeads: 4,
        numKvHeads: 2,
        headDim: 16,
        intermediateSize: 128,
        contextLength: 64,
      });
      const { metadata, tensors } = hfToGguf(c, syntheticHfTensors(c, 5, 0.05, 0.5), type);
      const file = readGguf(writeGguf(metadata, tensors));
      const config = configFromGguf(file.metadata);
      return { name: type, config, weights: weightsFromGguf(file, config, 'native'), source: type };
    };
    /** Dispatches of one decode step (after a 3-token prefill) on the WebGPU device. */
    const decodeDispatches = async (type: 'Q4_0' | 'Q8_0', layers: number) => {
      const engine = new LlmEngine(modelOf(type, layers), { prefill: device, capacity: 32, buckets: [8] });
      const cache = await engine.allocate(device);
      try {
        await engine.step(cache, [1, 2, 3], 0);
        await engine.step(cache, [4], 3);
        const before = device.snapshot().dispatches;
        await engine.step(cache, [5], 4);
        return device.snapshot().dispatches - before;
      } finally {
        cache.release();
        engine.dispose();
      }
    };
    try {
      for (const type of ['Q4_0', 'Q8_0'] as const) {
        const perLayer = (await decodeDispatches(type, 2)) - (await decodeDispatches(type, 1));
        console.log(`# ${adapter} ${type}: ${perLayer} dispatches per decode layer`);
        assert.ok(perLayer <= 6, `${type}: ${perLayer} dispatches per decode layer`);
        const model = modelOf(type, 2);
        const gen = async (d: WebGpuDevice | ReferenceDevice) => {
          const engine = new LlmEngine(model, { prefill: d, capacity: 32, buckets: [8] });
          try {
            const prompt = [5, 9, 33, 70, 2, 18];
            const r = await engine.generate(prompt, { maxTokens: 8, ignoreEos: true }).collect();
            // the prefill's last row, then three decode steps (teacher-forced)
            const logits = (await engine.score([...prompt, 11, 40, 7], 6)).flatMap((row) => [...row]);
            assert.deepEqual([...(await engine.fallbacks()).keys()], [], `${type}: no fallback`);
            return { tokens: r.tokens, logits };
          } finally {
            engine.dispose();
          }
        };
        const nbitsRuns = () =>
          [...device.kernelDispatches].filter(([k]) => k.startsWith('k.matmul_nbits')).reduce((s, [, n]) => s + n, 0);
        const want = await gen(reference);
        const before = nbitsRuns();
        const got = await gen(device);
        assert.ok(nbitsRuns() > before, `${type}: the packed kernel ran`);
        const bits = type === 'Q4_0' ? 4 : 8;
        const fused = [...device.kernelDispatches.keys()].filter((k) =>
          k.startsWith(`k.decode_qkv:rms-q${bits}-qkv-rope`),
        );
        assert.equal(fused.length, 1, `${type}: decode ran the quantized k.decode_qkv`);
        let d = 0;
        for (let i = 0; i < want.logits.length; i++) d = Math.max(d, Math.abs(want.logits[i]! - got.logits[i]!));
        assert.ok(d < 1e-3, `${adapter} ${type}: logits differ by ${d}`);
        assert.deepEqual(got.tokens, want.tokens, `${adapter} ${type}: greedy tokens`);
      }
    } finally {
      await device.dispose();
    }
  });
}
