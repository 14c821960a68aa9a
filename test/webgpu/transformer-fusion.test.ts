// Whole transformer layers through the WebGPU fusion passes (fuse-attention, pack-qkv,
// free-transpose, fuse-matmul-norm, fuse-norm-matmul) against the reference interpreter on SwiftShader and llvmpipe: the peers
// suite's MiniLM-shaped encoder and GPT-2-shaped decode step (small widths), and the LLM
// runtime's decode step (Llama-shaped: GQA, RoPE; and GPT-2-shaped). Also: the fused kernels
// really ran, the dispatch count per layer, and a warm step creates no pipeline, bind group or
// buffer. Tolerance: 1e-4 absolute + 1e-3 relative (f32, different summation order).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
// @ts-expect-error the peers suite is plain JavaScript
import { getSpec, makeInputs } from '../../../bench/peers/src/common/workloads.js';
// @ts-expect-error the peers suite is plain JavaScript
import { buildModel } from '../../../bench/peers/src/onnx/build-models.js';
import type { LlmConfig } from '../../src/agent/llm/config.js';
import { buildStepGraph } from '../../src/agent/llm/model.js';
import { DeviceProgram, WeightCache } from '../../src/agent/llm/program.js';
import { gpt2Config, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { weightsFromHf } from '../../src/agent/llm/weights.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-4 + 1e-3 * Math.abs(want[i]!);
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}: [${i}] ${got[i]} vs reference ${want[i]}`);
  }
}

/** A peers workload at small widths with `layers` layers. */
function peersModel(id: string, layers: number) {
  const spec = getSpec(id);
  const small = id === 'gpt2-decode' ? { hidden: 64, heads: 4, ffn: 256, past: 40, vocab: 97 } : { seq: 24 };
  const params = { ...spec.params, ...small, layers };
  const inputs = (spec.inputs as { name: string; shape: number[] }[])
    .filter((i) => !/^past_[kv]_/.test(i.name) || Number(i.name.split('_')[2]) < layers)
    .map((i) =>
      i.name === 'x'
        ? { ...i, shape: [1, id === 'gpt2-decode' ? 1 : params.seq, params.hidden] }
        : { ...i, shape: [1, params.heads, params.past, params.hidden / params.heads] },
    );
  return { spec: { ...spec, params, inputs }, bytes: buildModel({ ...spec, params, inputs }) as Uint8Array };
}

async function dispatchesOfRun(device: WebGpuDevice, run: () => Promise<unknown>) {
  await run();
  await run();
  const before = device.snapshot();
  await run();
  const after = device.snapshot();
  return {
    dispatches: after.dispatches - before.dispatches,
    created: after.pipelinesCreated + after.bindGroupsCreated + after.buffersCreated,
    createdBefore: before.pipelinesCreated + before.bindGroupsCreated + before.buffersCreated,
  };
}

for (const adapter of ['swiftshader', 'llvmpipe']) {
  test(`encoder and GPT-2 decode layers, fused, equal the reference on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    try {
      const perRun: Record<string, number[]> = {};
      for (const id of ['encoder-minilm6', 'gpt2-decode']) {
        for (const layers of [1, 2]) {
          const { spec, bytes } = peersModel(id, layers);
          const feeds: Record<string, Tensor> = {};
          for (const [n, v] of Object.entries(
            makeInputs(spec) as Record<string, { data: Float32Array; shape: number[] }>,
          ))
            feeds[n] = new Tensor('float32', v.data, v.shape);
          const ref = await Session.create(bytes, { backend: 'reference' });
          const gpu = await Session.create(bytes, { backend: 'webgpu', device });
          const out = spec.outputs[0] as string;
          const want = (await ref.run(feeds))[out]!;
          const got = (await gpu.run(feeds))[out]!;
          assert.deepEqual([...gpu.fallbacks.keys()], [], `${id}: on the GPU`);
          close(got.data as Float32Array, want.data as Float32Array, `${adapter} ${id} ${layers} layers`);
          const ops = gpu.graph.nodes.map((n) => n.op);
          assert.ok(
            ops.includes('k.attention'),
            `${id}: attention fused on packed QKV (${[...new Set(ops)].join(' ')})`,
          );
          if (id === 'encoder-minilm6') assert.ok(ops.includes('k.matmul_norm'), 'encoder: LayerNorm in the matmul');
          else assert.ok(ops.includes('k.norm_matmul'), "decode: LayerNorm as the projections' prologue");
          const d = await dispatchesOfRun(device, () => gpu.run(feeds));
          assert.equal(d.created, d.createdBefore, `${id}: a warm run creates no GPU objects`);
          (perRun[id] ??= []).push(d.dispatches);
          await gpu.release();
          await ref.release();
        }
      }
      const perLayer = (id: string) => perRun[id]![1]! - perRun[id]![0]!;
      console.log(
        `# ${adapter}: dispatches per layer: encoder ${perLayer('encoder-minilm6')}, gpt2 decode ${perLayer('gpt2-decode')}`,
      );
      assert.ok(perLayer('encoder-minilm6') <= 5, `encoder: ${perLayer('encoder-minilm6')} dispatches per layer`);
      assert.ok(perLayer('gpt2-decode') <= 6, `gpt2 decode: ${perLayer('gpt2-decode')} dispatches per layer`);
    } finally {
      await device.dispose();
    }
  });

  test(`LLM decode steps (Llama GQA+RoPE, GPT-2) equal the reference on ${adapter}`, async (t) => {
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
      for (const c of configs) {
        const C = 150; // long enough for the flash-decoding split
        const w = weightsFromHf(syntheticHfTensors(c, 4), c, 'synthetic');
        const shape = { seq: 1, capacity: C, rope: 'op', attention: 'op' } as const;
        const gpu = await DeviceProgram.create(buildStepGraph(c, w, shape), new WeightCache(device));
        const ref = await DeviceProgram.create(buildStepGraph(c, w, shape), new WeightCache(reference));
        const pos = 130;
        const mask = Float32Array.from({ length: C }, (_, j) => (j <= pos ? 0 : -1e9));
        const place = new Float32Array(C);
        place[pos] = 1;
        const keep = Float32Array.from({ length: C }, (_, j) => (j === pos ? 0 : 1));
        const feeds: Tensor[] = [
          Tensor.from('int64', [9n], [1, 1]),
          Tensor.from('int64', [BigInt(pos)], [1, 1]),
          new Tensor('float32', mask, [1, 1, 1, C]),
          new Tensor('float32', place, [C, 1]),
          new Tensor('float32', keep, [C, 1]),
          Tensor.from('int64', [0n], []),
        ];
        let seed = 1;
        for (let i = 0; i < c.numLayers * 2; i++) {
          const n = c.numKvHeads * C * c.headDim;
          const kv = Float32Array.from(
            { length: n },
            () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1,
          );
          feeds.push(new Tensor('float32', kv, [1, c.numKvHeads, C, c.headDim]));
        }
        const run = async (p: DeviceProgram, d: WebGpuDevice | ReferenceDevice) => {
          const outs = await p.run(feeds);
          const host = await Promise.all(outs.map((o) => d.download(o)));
          for (const o of outs) d.release(o);
          return host;
        };
        const want = await run(ref, reference);
        const got = await run(gpu, device);
        assert.deepEqual([...gpu.fallbacks.keys()], [], `${c.arch}: on the GPU`);
        got.forEach((g, k) =>
          close(g.data as Float32Array, want[k]!.data as Float32Array, `${adapter} ${c.arch} out ${k}`),
        );
        const d = await dispatchesOfRun(device, () => run(gpu, device));
        assert.equal(d.created, d.createdBefore, `${c.arch}: a warm decode step creates no GPU objects`);
        const ops = gpu.graph.nodes.map((n) => n.op);
        assert.ok(ops.includes('nn.Attention'), `${c.arch}: the attention kernel`);
        if (c.arch === 'llama') assert.ok(ops.includes('nn.RotaryEmbedding'), 'llama: the RoPE kernel');
        const gated = gpu.graph.nodes.some((n) => n.op === 'k.norm_matmul' && n.attrs.gated);
        if (c.arch === 'llama') assert.ok(gated, 'llama: gate and up projections (and SiLU) in one kernel');
        assert.ok(ops.includes('k.norm_matmul'), `${c.arch}: norms folded into the projections`);
      }
    } finally {
      await device.dispose();
    }
  });
}
