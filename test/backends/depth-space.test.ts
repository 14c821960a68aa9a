// DepthToSpace (DCR and CRD) and SpaceToDepth run as kernels on WASM (one strided copy) and
// WebGPU (a gather): no fallback recorded, outputs equal to the reference interpreter's exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
      x: Tensor.from(dtype, Array.from({ length: 360 }, (_, i) => i * 3 - 7)),
      y: Tensor.from(dtype, Array.from({ length: 72 }, (_, i) => 100 - i)),
    };
    feeds.x = feeds.x.reshape([2, 12, 3, 5]);
    feeds.y = feeds.y.reshape([1, 3, 6, 4]);
    const ref = await Session.create(model(dtype), { backend: 'reference' });
    const dev = await Session.create(model(dtype), opts);
    try {
      const want = await ref.run(feeds), got = await dev.run(feeds);
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
