// The fused WGSL attention kernel (and its flash-decoding split) against the reference interpreter
// on SwiftShader and llvmpipe: 4-D and 3-D layouts, grouped-query heads, float and boolean masks,
// short masks, the causal frontier, softcap, a value head size unlike the key's, fully masked rows.
// Tolerance: 2e-5 absolute + 2e-4 relative (f32 accumulation in a different order).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { keySplits } from '../../src/backends/webgpu/kernels/attention.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { mulberry32 } from '../../src/util/rng.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

interface Case {
  name: string;
  q: number[];
  k: number[];
  v: number[];
  mask?: { dims: number[]; bool?: boolean; fill?: (i: number) => number };
  attrs?: Record<string, number>;
  /** past_key / past_value dims. */
  past?: number[];
  /** The kernel label that must have run (the split path for decode shapes). */
  kernel: string;
}

const CASES: Case[] = [
  { name: 'MHA 4-D', q: [1, 2, 5, 8], k: [1, 2, 7, 8], v: [1, 2, 7, 8], kernel: 'nn.Attention:attention' },
  {
    name: 'GQA with a float mask and softcap',
    q: [2, 4, 3, 8],
    k: [2, 2, 6, 8],
    v: [2, 2, 6, 8],
    mask: { dims: [1, 1, 3, 6], fill: (i) => (i % 5 === 0 ? -1e9 : (i % 3) * 0.25) },
    attrs: { softcap: 2.5 },
    kernel: 'nn.Attention:attention',
  },
  {
    name: '3-D causal, q_num_heads / kv_num_heads',
    q: [1, 6, 32],
    k: [1, 6, 16],
    v: [1, 6, 16],
    attrs: { q_num_heads: 4, kv_num_heads: 2, is_causal: 1, scale: 0.3 },
    kernel: 'nn.Attention:attention',
  },
  {
    name: 'boolean mask [S, L] with a fully masked row',
    q: [1, 2, 4, 8],
    k: [1, 2, 5, 8],
    v: [1, 2, 5, 16],
    mask: { dims: [4, 5], bool: true, fill: (i) => (i < 5 ? 0 : i % 3 === 0 ? 0 : 1) },
    kernel: 'nn.Attention:attention',
  },
  {
    name: 'prefill: 128 rows, 150 keys in three tiles (online softmax rescaling)',
    q: [1, 2, 64, 8],
    k: [1, 2, 150, 8],
    v: [1, 2, 150, 8],
    attrs: { scale: 2 },
    kernel: 'nn.Attention:attention',
  },
  {
    name: 'past cache read in place (4-D), causal with the past offset, GQA',
    q: [1, 4, 3, 8],
    k: [1, 2, 3, 8],
    v: [1, 2, 3, 8],
    past: [1, 2, 90, 8],
    attrs: { is_causal: 1 },
    kernel: 'nn.Attention:attention',
  },
  {
    name: 'decode: one query row, 300 keys, split across workgroups (flash-decoding)',
    q: [1, 4, 1, 16],
    k: [1, 2, 300, 16],
    v: [1, 2, 300, 80],
    mask: { dims: [1, 1, 1, 300], fill: (i) => (i > 250 ? -Infinity : 0) },
    kernel: 'nn.Attention:attention-combine',
  },
  {
    name: 'decode with a short mask (padded with -inf)',
    q: [1, 2, 1, 8],
    k: [1, 2, 200, 8],
    v: [1, 2, 200, 8],
    mask: { dims: [1, 1, 1, 150], fill: (i) => (i % 7) * 0.1 },
    kernel: 'nn.Attention:attention-combine',
  },
];

function modelOf(c: Case) {
  const g = new GraphBuilder('attention', 24);
  const ins = [g.input('q', 'float32', c.q), g.input('k', 'float32', c.k), g.input('v', 'float32', c.v)];
  const all: (ReturnType<typeof g.input> | null)[] = ins;
  all.push(c.mask ? g.input('mask', c.mask.bool ? 'bool' : 'float32', c.mask.dims) : null);
  if (c.past) all.push(g.input('pk', 'float32', c.past), g.input('pv', 'float32', c.past));
  g.output(g.opN('Attention', all, c.attrs ?? {}, 1)[0]!, 'y');
  return g.build();
}

function feedsOf(c: Case, seed: number): Record<string, Tensor> {
  const r = mulberry32(seed);
  const rand = (dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return new Tensor(
      'float32',
      Float32Array.from({ length: n }, () => r() * 2 - 1),
      dims,
    );
  };
  const feeds: Record<string, Tensor> = { q: rand(c.q), k: rand(c.k), v: rand(c.v) };
  if (c.past) Object.assign(feeds, { pk: rand(c.past), pv: rand(c.past) });
  if (c.mask) {
    const n = c.mask.dims.reduce((a, b) => a * b, 1);
    const vals = Array.from({ length: n }, (_, i) => c.mask!.fill!(i));
    feeds.mask = c.mask.bool ? Tensor.from('bool', vals, c.mask.dims) : new Tensor('float32', vals, c.mask.dims);
  }
  return feeds;
}

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const tol = 2e-5 + 2e-4 * Math.abs(want[i]!);
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}: [${i}] ${got[i]} vs reference ${want[i]}`);
  }
}

for (const adapter of ['swiftshader', 'llvmpipe']) {
  test(`fused attention equals the reference on ${adapter}`, async (t) => {
    if (!(await adapterOrSkip(t, adapter))) return;
    const device = await WebGpuDevice.create({ adapter });
    try {
      for (const [n, c] of CASES.entries()) {
        const model = modelOf(c);
        const feeds = feedsOf(c, 11 + n);
        const ref = await Session.create(model, { backend: 'reference' });
        const gpu = await Session.create(modelOf(c), { backend: 'webgpu', device });
        const before = device.kernelDispatches.get(c.kernel) ?? 0;
        const want = (await ref.run(feeds)).y!;
        const got = (await gpu.run(feeds)).y!;
        assert.deepEqual([...gpu.fallbacks.keys()], [], `${c.name}: ran on the GPU`);
        assert.equal((device.kernelDispatches.get(c.kernel) ?? 0) - before, 1, `${c.name}: ${c.kernel} ran once`);
        assert.deepEqual(got.dims, want.dims);
        assertClose(got.data as Float32Array, want.data as Float32Array, `${adapter} ${c.name}`);
        await gpu.release();
        await ref.release();
      }
    } finally {
      await device.dispose();
    }
  });
}

test('key splits: decode shapes split, prefill shapes do not', () => {
  assert.deepEqual(keySplits(8, 100, 64), { splits: 1, chunk: 100 });
  assert.deepEqual(keySplits(512, 4096, 64), { splits: 1, chunk: 4096 });
  const s = keySplits(4, 4096, 64);
  assert.ok(s.splits > 1 && s.chunk % 64 === 0 && s.splits * s.chunk >= 4096);
});

test('Attention with present outputs is refused with the reason (reference path)', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const g = new GraphBuilder('attention-past', 24);
  const x = (n: string, d: number[]) => g.input(n, 'float32', d);
  const [y, present] = g.opN(
    'Attention',
    [
      x('q', [1, 1, 1, 4]),
      x('k', [1, 1, 1, 4]),
      x('v', [1, 1, 1, 4]),
      null,
      x('pk', [1, 1, 2, 4]),
      x('pv', [1, 1, 2, 4]),
    ],
    {},
    2,
  );
  g.output(y!, 'y');
  g.output(present!, 'present_key');
  const s = await Session.create(g.build(), { backend: 'webgpu', adapter: 'swiftshader' });
  try {
    assert.match(
      [...s.fallbacks.values()].join(' '),
      /present_key\/present_value\/qk_matmul outputs has no WGSL kernel/,
    );
  } finally {
    await s.release();
  }
});
