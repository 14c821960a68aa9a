// The fused decode projections (k.decode_qkv: norm, packed QKV matvec, RoPE, KV-cache row written
// in place) on SwiftShader and llvmpipe against the reference interpreter: the op alone (RMS with
// RoPE and grouped-query heads, interleaved RoPE, LayerNorm with bias and no RoPE), the cache
// written where it lies (present shares past's GPU storage), the LLM decode step at ≤ 6 dispatches
// per layer, and the WebGPU engine's greedy tokens equal to the reference engine's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import type { LlmConfig } from '../../src/agent/llm/config.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { buildStepGraph } from '../../src/agent/llm/model.js';
import { DeviceProgram, WeightCache } from '../../src/agent/llm/program.js';
import { stepModesFor } from '../../src/agent/llm/step-modes.js';
import { gpt2Config, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { weightsFromHf } from '../../src/agent/llm/weights.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import type { GpuTensor } from '../../src/backends/webgpu/tensor.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { mulberry32 } from '../../src/util/rng.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-4 + 1e-3 * Math.abs(want[i]!);
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}: [${i}] ${got[i]} vs reference ${want[i]}`);
  }
}

const random = (seed: number, n: number, scale = 1) => {
  const u = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (u() * 2 - 1) * scale);
};

interface OpCase {
  name: string;
  K: number;
  hq: number;
  hkv: number;
  D: number;
  C: number;
  rms: boolean;
  rope: boolean;
  interleaved?: boolean;
  bias: boolean;
}
const CASES: OpCase[] = [
  { name: 'RMS + RoPE, GQA 8/2', K: 96, hq: 8, hkv: 2, D: 16, C: 40, rms: true, rope: true, bias: false },
  {
    name: 'RMS + interleaved RoPE',
    K: 64,
    hq: 4,
    hkv: 4,
    D: 8,
    C: 20,
    rms: true,
    rope: true,
    interleaved: true,
    bias: false,
  },
  { name: 'LayerNorm + bias, no RoPE', K: 80, hq: 5, hkv: 5, D: 16, C: 33, rms: false, rope: false, bias: true },
];

function opGraph(o: OpCase) {
  const g = new GraphBuilder('decode_qkv', 24);
  const N = (o.hq + 2 * o.hkv) * o.D;
  const t = (seed: number, dims: number[], s = 1) =>
    g.constant(
      new Tensor(
        'float32',
        random(
          seed,
          dims.reduce((a, b) => a * b, 1),
          s,
        ),
        dims,
      ),
    );
  const cache = [1, o.hkv, o.C, o.D];
  const ins = [
    g.input('x', 'float32', [1, 1, o.K]),
    t(2, [o.K, N], 0.2),
    t(3, [o.K]),
    o.rms ? null : t(4, [o.K]),
    o.bias ? t(5, [N]) : null,
    g.input('pos', 'int64', [1, 1]),
    g.input('past_key', 'float32', cache),
    g.input('past_value', 'float32', cache),
    o.rope ? t(6, [o.C, o.D / 2]) : null,
    o.rope ? t(7, [o.C, o.D / 2]) : null,
  ];
  const attrs = {
    q_num_heads: o.hq,
    kv_num_heads: o.hkv,
    head_size: o.D,
    rms: o.rms ? 1 : 0,
    interleaved: o.interleaved ? 1 : 0,
  };
  const outs = g.opN('k.decode_qkv', ins, attrs, 3);
  outs.forEach((v, i) => g.output(v, ['q', 'present_key', 'present_value'][i]));
  return g.build();
}

for (const adapter of ['swiftshader', 'llvmpipe']) {
  test(`k.decode_qkv equals the reference and writes the cache in place on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    const reference = new ReferenceDevice();
    try {
      for (const o of CASES) {
        const cache = [1, o.hkv, o.C, o.D];
        const n = o.hkv * o.C * o.D;
        const pos = o.C - 3;
        const feeds = [
          new Tensor('float32', random(11, o.K, 2), [1, 1, o.K]),
          Tensor.from('int64', [BigInt(pos)], [1, 1]),
          new Tensor('float32', random(12, n), cache),
          new Tensor('float32', random(13, n), cache),
        ];
        const ref = await DeviceProgram.create(opGraph(o), new WeightCache(reference));
        const want = await Promise.all((await ref.run(feeds)).map((x) => reference.download(x)));
        const gpu = await DeviceProgram.create(opGraph(o), new WeightCache(device));
        assert.deepEqual([...gpu.fallbacks.keys()], [], `${o.name}: on the GPU`);
        // the cache resident on the GPU, as the engine holds it: the step writes into it
        const pastK = await device.upload(feeds[2]!);
        const pastV = await device.upload(feeds[3]!);
        const outs = (await gpu.run([feeds[0]!, feeds[1]!, pastK, pastV])) as GpuTensor[];
        assert.ok(outs[1]!.storage === pastK.storage, `${o.name}: present_key is past_key's storage`);
        assert.ok(outs[2]!.storage === pastV.storage, `${o.name}: present_value is past_value's storage`);
        device.release(pastK);
        device.release(pastV);
        const got = await Promise.all(outs.map((x) => device.download(x)));
        for (const x of outs) device.release(x);
        got.forEach((g, k) =>
          close(g.data as Float32Array, want[k]!.data as Float32Array, `${adapter} ${o.name} #${k}`),
        );
        // rows other than `pos` are untouched, bit for bit
        const keyIn = feeds[2]!.data as Float32Array,
          keyOut = got[1]!.data as Float32Array;
        for (let i = 0; i < n; i++) if (Math.floor(i / o.D) % o.C !== pos) assert.equal(keyOut[i], keyIn[i]);
      }
    } finally {
      await device.dispose();
    }
  });

  test(`LLM decode steps run in ≤ 6 dispatches per layer and generate the reference's tokens on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    const reference = new ReferenceDevice();
    try {
      const configs: LlmConfig[] = [
        llamaConfig({
          hiddenSize: 64,
          numHeads: 4,
          numKvHeads: 2,
          headDim: 16,
          intermediateSize: 96,
          contextLength: 256,
        }),
        gpt2Config({ hiddenSize: 64, numHeads: 4, headDim: 16, contextLength: 256 }),
      ];
      for (const base of configs) {
        // dispatches per layer: a 2-layer decode step minus a 1-layer one (split attention at C = 150)
        const perRun: number[] = [];
        for (const layers of [1, 2]) {
          const c = { ...base, numLayers: layers };
          const w = weightsFromHf(syntheticHfTensors(c, 4), c, 'synthetic');
          const modes = stepModesFor(device, c);
          assert.equal(modes.qkv, 'fused', `${c.arch}: the fused projections on WebGPU`);
          const C = 150;
          const p = await DeviceProgram.create(
            buildStepGraph(c, w, { seq: 1, capacity: C, ...modes }),
            new WeightCache(device),
          );
          assert.deepEqual([...p.fallbacks.keys()], [], `${c.arch}: on the GPU`);
          const mask = Float32Array.from({ length: C }, (_, j) => (j <= 130 ? 0 : -1e9));
          const kv = () => Tensor.zeros('float32', [1, c.numKvHeads, C, c.headDim]);
          const feeds = [
            Tensor.from('int64', [9n], [1, 1]),
            Tensor.from('int64', [130n], [1, 1]),
            new Tensor('float32', mask, [1, 1, 1, C]),
            Tensor.zeros('float32', [C, 1]),
            Tensor.zeros('float32', [C, 1]),
            Tensor.from('int64', [0n], []),
          ];
          const run = async () => {
            const outs = await p.run([...feeds, ...Array.from({ length: 2 * layers }, kv)]);
            await device.download(outs[0]!);
            for (const o of outs) device.release(o);
          };
          await run();
          const before = device.snapshot().dispatches;
          await run();
          perRun.push(device.snapshot().dispatches - before);
        }
        const perLayer = perRun[1]! - perRun[0]!;
        console.log(`# ${adapter} ${base.arch}: ${perLayer} dispatches per decode layer`);
        assert.ok(perLayer <= 6, `${base.arch}: ${perLayer} dispatches per layer`);

        // greedy generation: WebGPU engine (fused decode, packed prefill) against the reference engine
        const w = weightsFromHf(syntheticHfTensors(base, 7), base, 'synthetic');
        const model = { name: `tiny-${base.arch}`, config: base, weights: w, source: 'synthetic' };
        const gen = async (d: WebGpuDevice | ReferenceDevice) => {
          const engine = new LlmEngine(model, { prefill: d, capacity: 64, buckets: [8] });
          try {
            const r = await engine.generate([3, 17, 5, 42, 8], { maxTokens: 12, ignoreEos: true }).collect();
            assert.deepEqual([...(await engine.fallbacks()).keys()], [], `${base.arch}: no fallback`);
            return r.tokens;
          } finally {
            engine.dispose();
          }
        };
        const fusedRuns = () =>
          [...device.kernelDispatches].filter(([k]) => k.startsWith('k.decode_qkv')).reduce((a, [, n]) => a + n, 0);
        const want = await gen(reference);
        const before = fusedRuns();
        const got = await gen(device);
        // 11 decode steps × 2 layers
        assert.equal(fusedRuns() - before, 22, `${base.arch}: every decode step ran k.decode_qkv per layer`);
        assert.deepEqual(got, want, `${adapter} ${base.arch}: greedy tokens`);
      }
    } finally {
      await device.dispose();
    }
  });
}
