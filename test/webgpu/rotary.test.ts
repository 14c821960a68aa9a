// The WGSL RotaryEmbedding kernel against the reference interpreter on SwiftShader and llvmpipe:
// 4-D and 3-D inputs, rotate-half and interleaved pairs, a partial rotary_embedding_dim, caches
// indexed by position_ids (negative ids wrap) or by [batch, seq]. Tolerance 1e-6 absolute.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { mulberry32 } from '../../src/util/rng.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

interface Case {
  name: string;
  x: number[];
  cache: number[];
  pos?: { dims: number[]; values: number[] };
  attrs?: Record<string, number>;
}

const CASES: Case[] = [
  {
    name: '4-D rotate-half with positions',
    x: [1, 2, 3, 8],
    cache: [16, 4],
    pos: { dims: [1, 3], values: [0, 5, -1] },
  },
  {
    name: '3-D interleaved, num_heads',
    x: [2, 3, 24],
    cache: [10, 2],
    pos: { dims: [2, 3], values: [1, 2, 3, 7, 8, 9] },
    attrs: { num_heads: 3, interleaved: 1, rotary_embedding_dim: 4 },
  },
  {
    name: 'partial rotation, caches by [batch, seq]',
    x: [2, 2, 3, 8],
    cache: [2, 3, 2],
    attrs: { rotary_embedding_dim: 4 },
  },
];

for (const adapter of ['swiftshader', 'llvmpipe']) {
  test(`RotaryEmbedding kernel equals the reference on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    try {
      for (const [n, c] of CASES.entries()) {
        const g = new GraphBuilder('rope', 24);
        const ins = [
          g.input('x', 'float32', c.x),
          g.input('cos', 'float32', c.cache),
          g.input('sin', 'float32', c.cache),
        ];
        if (c.pos) ins.push(g.input('pos', 'int64', c.pos.dims));
        g.output(g.op('RotaryEmbedding', ins, c.attrs ?? {}), 'y');
        const r = mulberry32(5 + n);
        const rand = (d: number[]) =>
          new Tensor(
            'float32',
            Float32Array.from({ length: d.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
            d,
          );
        const feeds: Record<string, Tensor> = { x: rand(c.x), cos: rand(c.cache), sin: rand(c.cache) };
        if (c.pos) feeds.pos = Tensor.from('int64', c.pos.values.map(BigInt), c.pos.dims);
        const ref = await Session.create(g.build(), { backend: 'reference' });
        const gpu = await Session.create(g.build(), { backend: 'webgpu', device });
        const want = (await ref.run(feeds)).y!.data as Float32Array;
        const got = (await gpu.run(feeds)).y!.data as Float32Array;
        assert.deepEqual([...gpu.fallbacks.keys()], [], `${c.name}: on the GPU`);
        assert.equal(got.length, want.length);
        for (let i = 0; i < got.length; i++)
          assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6, `${adapter} ${c.name} [${i}]: ${got[i]} vs ${want[i]}`);
        await gpu.release();
        await ref.release();
      }
    } finally {
      await device.dispose();
    }
  });
}
