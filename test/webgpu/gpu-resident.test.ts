// Tensors stay on the GPU: with preferredOutputLocation 'gpu' a session returns outputs with
// location 'gpu' (no readback); another session on the same device takes them as feeds without a
// copy; getData() downloads on demand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { GpuResidentTensor } from '../../src/backends/webgpu/shared-device.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function scale(k: number) {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [4, 1000]);
  g.output(g.mul(x, g.scalar(k)), 'y');
  return g.build();
}

test('outputs kept on the GPU feed the next session without a copy', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const a = await Session.create(scale(2), {
    backend: 'webgpu',
    adapter: 'swiftshader',
    preferredOutputLocation: 'gpu',
  });
  const b = await Session.create(scale(3), { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 4000 }, (_, i) => i),
      [4, 1000],
    );
    const mid = (await a.run({ x })).y!;
    assert.equal(mid.location, 'gpu');
    assert.ok(mid instanceof GpuResidentTensor);
    assert.deepEqual(mid.dims, [4, 1000]);
    assert.throws(() => mid.data, /is on the GPU: await tensor.getData\(\) first/);
    const y = (await b.run({ x: mid })).y!;
    assert.equal(y.location, 'cpu');
    assert.equal((y.data as Float32Array)[1234], 1234 * 6);
    const back = await (mid as GpuResidentTensor).getData();
    assert.equal((back as Float32Array)[1234], 2468);
    (mid as GpuResidentTensor).dispose();
  } finally {
    await a.release();
    await b.release();
  }
});
