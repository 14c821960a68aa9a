// Program variants and uniform parameters (src/backends/webgpu/variant.ts). Without a device: every
// node of the ONNX conformance models, lowered by the WebGPU pass pipeline and planned the way a
// compile plans it, emits programs that declare family/variant/key in their first line, and two
// programs under one declared key (plus bindings) are the same text, so the pipeline cache may key
// by the declaration. On SwiftShader: nodes that differ only in sizes share one pipeline and
// still equal the reference, and explain() names the key fields that made a program compile again.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import type { KernelContext, TensorInfo } from '../../src/backends/webgpu/kernel.js';
import { kernelFor } from '../../src/backends/webgpu/kernel.js';
import { planStep } from '../../src/backends/webgpu/node-plan.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { variantOf } from '../../src/backends/webgpu/variant.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { runPipeline, WEBGPU_KERNEL_PIPELINE } from '../../src/passes/index.js';
import { loadGraph, Session } from '../../src/runtime/session.js';
import { CPU, GPU } from '../golden/wgsl-cases.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

const CONFORMANCE = '/work/shared/conformance/onnx-node';

/** Plan every node with static shapes, as compileUnit does; programs by key, per context. */
function planGraph(
  g: Graph,
  ctx: KernelContext,
  byKey: Map<string, { code: string; where: string }>,
  seen: Set<string>,
  refused: string[],
) {
  let planned = 0;
  for (const node of g.nodes) {
    const fam = kernelFor(node.op);
    if (!fam) continue;
    const hostInputs = fam.hostInputs?.(node) ?? [];
    let infos;
    try {
      infos = node.inputs.map((v, i) => {
        if (!v) return undefined;
        const dims = v.type?.shape;
        if (!dims || !dims.every((d) => typeof d === 'number')) return null;
        if (hostInputs.includes(i) && !v.const) return null;
        const n = (dims as number[]).reduce((a, b) => a * b, 1);
        return { dtype: v.type!.dtype, dims: dims as number[], layout: ctx.layout(v.type!.dtype, n), host: v.const };
      });
    } catch {
      continue; // a dtype WGSL cannot store: the device places the node elsewhere
    }
    if (infos.some((x) => x === null)) continue;
    let step;
    try {
      step = planStep(ctx, { node, memo: new Map(), hostInputs }, infos as (TensorInfo | undefined)[]);
    } catch (e) {
      refused.push(`${node.op}: ${(e as Error).message.slice(0, 160)}`);
      continue;
    }
    for (const d of step.plan.dispatches) {
      planned++;
      const v = variantOf(d.code);
      assert.ok(v, `${d.label} (${node.op}) emits a program without a variant declaration`);
      assert.equal(v.template, `${d.variant.family}/${d.variant.name}`, d.label);
      seen.add(v.family);
      const key = PipelineCache.key(d);
      const prev = byKey.get(key);
      if (prev && prev.code !== d.code) {
        const a = prev.code.split('\n'),
          b = d.code.split('\n');
        const at = a.findIndex((l, i) => l !== b[i]);
        assert.fail(`${d.label} and ${prev.where} differ under one declared variant ${key}: ${a[at]} / ${b[at]}`);
      }
      if (!prev) byKey.set(key, { code: d.code, where: `${d.label} (${node.op})` });
    }
  }
  return planned;
}

test('every program of every conformance model declares its variant, and one key means one program', async () => {
  const dirs = readdirSync(CONFORMANCE).filter((d) => d.startsWith('test_'));
  const keys = [new Map(), new Map()] as Map<string, { code: string; where: string }>[];
  const families = new Set<string>();
  let programs = 0;
  const refused: string[] = [];
  for (const d of dirs) {
    let g: Graph;
    try {
      g = runPipeline(await loadGraph(join(CONFORMANCE, d, 'model.onnx')), WEBGPU_KERNEL_PIPELINE);
    } catch {
      continue; // models the importer or the passes refuse are the conformance suite's business
    }
    programs += planGraph(g, GPU, keys[0]!, families, refused);
    programs += planGraph(g, CPU, keys[1]!, families, refused);
  }
  console.log(`# ${programs} programs, ${keys[0]!.size + keys[1]!.size} distinct keys, ${families.size} families`);
  assert.ok(programs > 500, `only ${programs} programs planned`);
  // a plan may refuse a node only for a reason the device reports (its limits); no kernel error
  assert.deepEqual(
    refused.filter(
      (r) => !/maxStorageBuffersPerShaderStage|maxComputeWorkgroupsPerDimension|has no WGSL storage type/.test(r),
    ),
    [],
  );
  for (const f of ['elementwise', 'matmul', 'softmax', 'reduce', 'normalization', 'pool', 'conv', 'slice', 'gather'])
    assert.ok(families.has(f), `no ${f} program planned: ${[...families].join(', ')}`);
});

function plannedKey(op: string, dims: number[][], attrs: Record<string, number> = {}) {
  const b = new GraphBuilder();
  const ins = dims.map((d, i) => b.input(`x${i}`, 'float32', d));
  b.output(b.op(op, ins, attrs), 'y');
  const g = runPipeline(b.build(), WEBGPU_KERNEL_PIPELINE);
  const node = g.nodes.find((n) => kernelFor(n.op))!;
  const infos = node.inputs.map((v) => {
    const d = v!.type!.shape as number[];
    return {
      dtype: 'float32' as const,
      dims: d,
      layout: GPU.layout(
        'float32',
        d.reduce((p, q) => p * q, 1),
      ),
    };
  });
  const { plan } = planStep(GPU, { node, memo: new Map(), hostInputs: [] }, infos);
  return plan.dispatches.map((d) => PipelineCache.key(d));
}

test('sizes are uniforms: same-variant nodes of different shapes share a key; rank and broadcast do not', () => {
  assert.deepEqual(plannedKey('Add', [[2, 3], [3]]), plannedKey('Add', [[40, 7], [7]]));
  assert.notDeepEqual(plannedKey('Add', [[2, 3], [3]]), plannedKey('Add', [[2, 3, 4], [4]]));
  assert.deepEqual(plannedKey('Softmax', [[4, 16]], { axis: 1 }), plannedKey('Softmax', [[9, 12]], { axis: 1 }));
  assert.deepEqual(
    plannedKey('ReduceSum', [[4, 6, 8]], { keepdims: 1 }),
    plannedKey('ReduceSum', [[5, 7, 9]], { keepdims: 1 }),
  );
  assert.deepEqual(plannedKey('Transpose', [[4, 6, 8]]), plannedKey('Transpose', [[3, 5, 2]]));
});

test('two same-variant nodes with different sizes compile one pipeline on SwiftShader and equal the reference', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [3, 20]);
  const z = b.input('z', 'float32', [5, 24]);
  const xs = b.op('Softmax', [x], { axis: 1 });
  const zs = b.op('Softmax', [z], { axis: 1 });
  // two Sub nodes of different shapes (Softmax on a Sub keeps them elementwise)
  b.output(b.op('Sub', [xs, b.op('Softmax', [xs], { axis: 1 })]), 'a');
  b.output(b.op('Sub', [zs, b.op('Softmax', [zs], { axis: 1 })]), 'b');
  const g = b.build();
  const feeds = {
    x: new Tensor(
      'float32',
      Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3),
      [3, 20],
    ),
    z: new Tensor(
      'float32',
      Float32Array.from({ length: 120 }, (_, i) => Math.cos(i * 0.7) * 2),
      [5, 24],
    ),
  };
  const device = await WebGpuDevice.create({ adapter: 'swiftshader' });
  try {
    const before = device.snapshot();
    const gpu = await Session.create(g, { backend: 'webgpu', device });
    const got = await gpu.run(feeds);
    const created = device.snapshot().pipelinesCreated - before.pipelinesCreated;
    const programs = device.programs().map((p) => variantOf(p.code)!.template);
    // one softmax pipeline for four Softmax nodes over two shapes, one for both Subs
    assert.equal(programs.filter((p) => p === 'softmax/Softmax').length, 1, programs.join(', '));
    assert.equal(created, new Set(programs).size);
    const want = await (await Session.create(g, { backend: 'reference' })).run(feeds);
    for (const k of ['a', 'b']) {
      const w = want[k]!.data as Float32Array,
        o = got[k]!.data as Float32Array;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(o[i]! - w[i]!) < 1e-5, `${k}[${i}]: ${o[i]} vs ${w[i]}`);
    }
    const warm0 = device.snapshot();
    await gpu.run(feeds);
    const warm = device.snapshot();
    assert.equal(warm.pipelinesCreated - warm0.pipelinesCreated, 0);
    assert.equal(warm.buffersCreated - warm0.buffersCreated, 0);
    assert.equal(warm.bindGroupsCreated - warm0.bindGroupsCreated, 0);
  } finally {
    await device.dispose();
  }
});
