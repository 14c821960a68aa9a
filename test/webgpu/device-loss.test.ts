// Device loss: destroying the GPU device under a session fails the run in flight with a clear
// error, and the next run opens a fresh device, re-creates pipelines and re-uploads the weights.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function model() {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [64, 256]);
  const w = Tensor.zeros('float32', [256, 128]);
  (w.data as Float32Array).forEach((_, i, a) => {
    a[i] = ((i * 7) % 13) / 13 - 0.5;
  });
  const y = g.relu(g.add(g.matmul(x, g.constant(w, 'w')), g.scalar(0.25)));
  g.output(y, 'y');
  return g.build();
}

test('a lost device fails the run in flight clearly; the next run gets a fresh device and the same answer', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const device = await WebGpuDevice.create({ adapter: 'swiftshader' });
  const s = await Session.create(model(), { backend: 'webgpu', device });
  try {
    const x = Tensor.zeros('float32', [64, 256]);
    (x.data as Float32Array).forEach((_, i, a) => {
      a[i] = Math.sin(i);
    });
    // relu(x·w + 0.25) in plain JS
    const w = model().constants()[0]!.const!.data as Float32Array;
    const xd = x.data as Float32Array;
    const want = new Float32Array(64 * 128);
    for (let i = 0; i < 64; i++) {
      for (let k = 0; k < 256; k++) {
        const a = xd[i * 256 + k]!;
        for (let j = 0; j < 128; j++) want[i * 128 + j]! += a * w[k * 128 + j]!;
      }
    }
    for (let i = 0; i < want.length; i++) want[i] = Math.max(0, want[i]! + 0.25);
    const first = (await s.run({ x })).y!.data as Float32Array;
    assert.ok(first.every((v, i) => Math.abs(v - want[i]!) < 1e-3));

    // loss while a run is in flight: the device goes away right after the run submits its work
    device.afterSubmit = () => {
      device.afterSubmit = undefined;
      device.gpuDevice.destroy();
    };
    const inflight = s.run({ x });
    await assert.rejects(inflight, (e: Error) => {
      assert.equal(e.name, 'DeviceLostError');
      assert.match(e.message, /WebGPU device lost during .*the next run opens a fresh device/);
      return true;
    });
    assert.ok(device.isLost);

    // the next run: fresh device, pipelines and weights re-created
    const old = device.gpuDevice;
    const again = (await s.run({ x })).y!.data as Float32Array;
    assert.notEqual(device.gpuDevice, old);
    assert.ok(again.every((v, i) => Math.abs(v - want[i]!) < 1e-3));
    assert.ok(device.pipelineCount > 0);
  } finally {
    await s.release();
    await device.dispose();
  }
});
