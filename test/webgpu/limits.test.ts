// Device limits: Mesa llvmpipe caps a storage binding at 128 MiB, so a larger tensor is bound in
// slices and still computes right; where slicing cannot fit the per-stage binding count, the
// session refuses at create with an error naming the node, the tensor, its size and the limit.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

test('llvmpipe: a 136 MB weight over the 128 MiB binding limit is bound in slices', async (t) => {
  if (!(await adapterOrSkip(t, 'llvmpipe'))) return;
  const device = await WebGpuDevice.create({ adapter: 'llvmpipe' });
  try {
    assert.equal(device.limits.maxStorageBufferBindingSize, 128 * 1024 * 1024);
    const n = 34_000_000; // 136 MB of float32
    const w = Tensor.zeros('float32', [n]);
    const wd = w.data as Float32Array;
    for (let i = 0; i < n; i++) wd[i] = i % 1000;
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1]);
    g.output(g.add(g.constant(w, 'big_weight'), x), 'y');
    const s = await Session.create(g.build(), { backend: 'webgpu', device });
    try {
      const y = (await s.run({ x: new Tensor('float32', new Float32Array([0.5]), [1]) })).y!.data as Float32Array;
      assert.equal(y.length, n);
      for (const i of [0, 999, 33_554_431, 33_554_432, n - 1]) assert.equal(y[i], (i % 1000) + 0.5, `element ${i}`);
    } finally {
      await s.release();
    }
  } finally {
    await device.dispose();
  }
});

test('a tensor that needs more slices than the stage has bindings is refused at create, naming node, tensor, size and limit', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  // the same rule on a device whose binding limit is lowered to 64 KiB
  const device = await WebGpuDevice.create({
    adapter: 'swiftshader',
    limitOverrides: { maxStorageBufferBindingSize: 65536 },
  });
  try {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1]);
    g.output(g.op('Add', [g.constant(Tensor.zeros('float32', [1_000_000]), 'huge'), x], {}, 'add_huge'), 'y');
    await assert.rejects(Session.create(g.build(), { backend: 'webgpu', device }), (e: Error) => {
      assert.match(e.message, /node 'add_huge'/);
      assert.match(e.message, /'huge' \(4,000,000 bytes, 62 parts\)/);
      assert.match(e.message, /maxStorageBufferBindingSize 65,536 bytes/);
      assert.match(e.message, /allows 12 per shader stage \(maxStorageBuffersPerShaderStage\)/);
      return true;
    });
    // within the limit the same graph runs, bound in slices
    const g2 = new GraphBuilder();
    const x2 = g2.input('x', 'float32', [1]);
    const big = Tensor.zeros('float32', [60_000]);
    (big.data as Float32Array).fill(2);
    g2.output(g2.add(g2.constant(big, 'w'), x2), 'y');
    const s = await Session.create(g2.build(), { backend: 'webgpu', device });
    const y = (await s.run({ x: new Tensor('float32', new Float32Array([1]), [1]) })).y!.data as Float32Array;
    assert.ok(y.every((v) => v === 3));
    await s.release();
  } finally {
    await device.dispose();
  }
});
