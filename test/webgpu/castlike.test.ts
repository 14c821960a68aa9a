// CastLike on WebGPU where the type donor has more axes than the input (as in the
// expanded attention and Swish graphs of the ONNX suite): the kernel must not index the donor.
// It used to emit WGSL that did not compile ("unresolved value 'c'").

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function model() {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [3, 5]);
  const like = g.input('like', 'float16', [2, 4, 3, 5]);
  g.output(g.op('Add', [g.op('CastLike', [x, like]), g.op('CastLike', [x, like])]), 'y');
  return g.build();
}

test('CastLike with a type donor of unrelated shape compiles and matches the reference', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const x = Tensor.from(
    'float32',
    Array.from({ length: 15 }, (_, i) => Math.sin(i) * 3),
    [3, 5],
  );
  const like = Tensor.zeros('float16', [2, 4, 3, 5]);
  const ref = await Session.create(model(), { backend: 'reference' });
  const gpu = await Session.create(model(), { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    const want = (await ref.run({ x, like })).y!;
    const got = (await gpu.run({ x, like })).y!;
    assert.equal(got.type, 'float16');
    assert.deepEqual(Array.from(got.data as Uint16Array), Array.from(want.data as Uint16Array));
    assert.equal(gpu.fallbacks.size, 0, [...gpu.fallbacks.values()].join('; '));
  } finally {
    await gpu.release();
    await ref.release();
  }
});
