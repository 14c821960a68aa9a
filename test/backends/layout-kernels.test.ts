// DepthToSpace (DCR and CRD) and SpaceToDepth run as kernels on WASM (one strided copy) and
// WebGPU (a gather), OneHot on WebGPU:
// no fallback recorded, outputs equal to the reference interpreter's exactly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session, type SessionOptions } from '../../src/runtime/session.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

function model(dtype: 'float32' | 'int32') {
  const g = new GraphBuilder();
  const x = g.input('x', dtype, [2, 12, 3, 5]);
  g.output(g.op('DepthToSpace', [x], { blocksize: 2 }), 'dcr');
  g.output(g.op('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' }), 'crd');
  const y = g.input('y', dtype, [1, 3, 6, 4]);
  g.output(g.op('SpaceToDepth', [y], { blocksize: 2 }), 's2d');
  return g.build();
}

async function check(opts: SessionOptions) {
  for (const dtype of ['float32', 'int32'] as const) {
    const feeds = {
      x: Tensor.from(
        dtype,
        Array.from({ length: 360 }, (_, i) => i * 3 - 7),
      ),
      y: Tensor.from(
        dtype,
        Array.from({ length: 72 }, (_, i) => 100 - i),
      ),
    };
    feeds.x = feeds.x.reshape([2, 12, 3, 5]);
    feeds.y = feeds.y.reshape([1, 3, 6, 4]);
    const ref = await Session.create(model(dtype), { backend: 'reference' });
    const dev = await Session.create(model(dtype), opts);
    try {
      const want = await ref.run(feeds),
        got = await dev.run(feeds);
      for (const k of ['dcr', 'crd', 's2d']) {
        assert.deepEqual(got[k]!.dims, want[k]!.dims, k);
        assert.deepEqual(got[k]!.toNumbers(), want[k]!.toNumbers(), `${opts.backend} ${dtype} ${k}`);
      }
      assert.deepEqual([...dev.fallbacks.entries()], [], 'no fallback');
    } finally {
      await dev.release();
      await ref.release();
    }
  }
}

test('DepthToSpace / SpaceToDepth on WASM match the reference without fallback', async () => {
  await check({ backend: 'wasm', threads: 1 });
});

test('DepthToSpace / SpaceToDepth on WebGPU match the reference without fallback', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  await check({ backend: 'webgpu', adapter: 'swiftshader' });
});

test('OneHot on WebGPU (negative, out-of-range and float indices, axis 1) matches the reference without fallback', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const g = new GraphBuilder();
  const ind = g.input('ind', 'int64', [2, 3]);
  const depth = g.constant(Tensor.from('float32', [4], []), 'depth');
  g.output(g.op('OneHot', [ind, depth, g.input('v', 'float32', [2])], { axis: 1 }), 'y');
  const f = g.input('f', 'float32', [3]);
  g.output(g.op('OneHot', [f, depth, g.input('w', 'int32', [2])]), 'z');
  const m = g.build();
  const feeds = {
    ind: Tensor.from('int64', [0n, -1n, 5n, 3n, -4n, 2n], [2, 3]),
    v: Tensor.from('float32', [-1, 2]),
    f: Tensor.from('float32', [1.7, -2, 9]),
    w: Tensor.from('int32', [0, 7]),
  };
  const ref = await Session.create(m, { backend: 'reference' });
  const dev = await Session.create(m, { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    const want = await ref.run(feeds),
      got = await dev.run(feeds);
    assert.deepEqual(got.y!.dims, [2, 4, 3]);
    assert.deepEqual(got.y!.toNumbers(), want.y!.toNumbers());
    assert.deepEqual(got.z!.toNumbers(), [0, 7, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0]);
    assert.deepEqual(got.z!.toNumbers(), want.z!.toNumbers());
    assert.deepEqual([...dev.fallbacks.entries()], [], 'no fallback');
  } finally {
    await dev.release();
    await ref.release();
  }
});
