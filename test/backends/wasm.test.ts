// WASM kernels against the reference interpreter on random shapes (odd sizes, broadcasts,
// transposes, batches), plus the device's guarantees: no allocation after the first run, a dead
// worker is recovered, oversize tensors are refused at create.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import type { WasmDevice } from '../../src/backends/wasm/index.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';
import type { Graph } from '../../src/ir/graph.js';

let seed = 7;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648) * 2 - 1;
};
const randT = (dims: number[]) =>
  new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rnd), dims);

function close(a: Tensor, b: Tensor, what: string, tol = 2e-4) {
  assert.deepEqual([...a.dims], [...b.dims], `${what}: shape`);
  const x = a.data as Float32Array,
    y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= tol * (1 + Math.abs(y[i]!))) && !(Number.isNaN(x[i]!) && Number.isNaN(y[i]!))) {
      assert.fail(`${what}: element ${i} is ${x[i]}, reference ${y[i]} (|diff| ${d})`);
    }
  }
}

async function againstReference(
  build: (b: GraphBuilder) => void,
  feeds: Record<string, Tensor>,
  what: string,
  threads = 2,
): Promise<Session> {
  const mk = () => {
    const b = new GraphBuilder();
    build(b);
    return b.build();
  };
  const ref = mk();
  const s = await Session.create(mk(), { backend: 'wasm', threads });
  const out = await s.run(feeds);
  const want = interpret(
    ref,
    ref.inputs.map((v) => feeds[v.name]!),
  );
  ref.outputs.forEach((v, i) => close(out[v.name]!, want[i]!, `${what} output ${v.name}`));
  return s;
}

test('matmul on odd shapes, transposes, batches and constant weights matches the reference', async () => {
  const cases: [number[], number[], boolean][] = [
    [[1, 7], [7, 5], false],
    [[3, 1], [1, 4], false],
    [[37, 129], [129, 67], true],
    [[2, 3, 17, 33], [33, 9], true],
    [[5, 13, 21], [5, 21, 11], false],
    [[1, 300], [300, 513], true],
    [[300, 64], [64, 1], false],
    [[4, 1, 64], [4, 64, 33], false],
    [[130, 70], [70, 257], true],
  ];
  for (const [ad, bd, constB] of cases) {
    const B = randT(bd);
    const s = await againstReference(
      (g) => {
        const a = g.input('a', 'float32', ad);
        const b = constB ? g.constant(B, 'B') : g.input('b', 'float32', bd);
        g.output(g.op('MatMul', [a, b]), 'y');
      },
      constB ? { a: randT(ad) } : { a: randT(ad), b: B },
      `matmul ${ad}x${bd}`,
    );
    await s.release();
  }
});

test('gemm with transposes, alpha/beta and a broadcast C matches the reference', async () => {
  for (const [tA, tB, cd] of [
    [0, 0, [1, 9]],
    [1, 0, [5, 1]],
    [0, 1, [9]],
    [1, 1, [5, 9]],
  ] as [number, number, number[]][]) {
    const s = await againstReference(
      (g) => {
        const a = g.input('a', 'float32', tA ? [13, 5] : [5, 13]);
        const b = g.input('b', 'float32', tB ? [9, 13] : [13, 9]);
        const c = g.input('c', 'float32', cd);
        g.output(g.op('Gemm', [a, b, c], { transA: tA, transB: tB, alpha: 0.5, beta: 1 }), 'y');
      },
      { a: randT(tA ? [13, 5] : [5, 13]), b: randT(tB ? [9, 13] : [13, 9]), c: randT(cd) },
      `gemm tA=${tA} tB=${tB}`,
    );
    await s.release();
  }
});

test('fused elementwise chains with broadcasts match the reference', async () => {
  for (const [ad, bd] of [
    [[3, 5, 7], [7]],
    [
      [3, 1, 7],
      [1, 5, 1],
    ],
    [[17], [1]],
    [
      [2, 3, 4, 5, 6],
      [3, 1, 5, 1],
    ],
    [
      [1000, 33],
      [1000, 1],
    ],
  ] as number[][][]) {
    const s = await againstReference(
      (g) => {
        const a = g.input('a', 'float32', ad!);
        const b = g.input('b', 'float32', bd!);
        const t = g.op('Add', [a, b]);
        const u = g.op('Erf', [g.op('Mul', [t, a])]);
        g.output(g.op('Tanh', [g.op('Sigmoid', [u])]), 'y');
      },
      { a: randT(ad!), b: randT(bd!) },
      `map ${ad} ${bd}`,
    );
    await s.release();
  }
});

test('softmax, layer norm, reductions and transpose on odd shapes match the reference', async () => {
  const x = randT([3, 7, 19]);
  const sc = randT([19]),
    bi = randT([19]);
  const s = await againstReference(
    (g) => {
      const a = g.input('x', 'float32', [3, 7, 19]);
      g.output(g.op('Softmax', [a], { axis: 1 }), 'sm');
      g.output(g.op('LogSoftmax', [a], { axis: -1 }), 'lsm');
      g.output(g.op('LayerNormalization', [a, g.constant(sc, 's'), g.constant(bi, 'b')], { axis: -1 }), 'ln');
      g.output(g.op('ReduceMean', [a, g.constant(Tensor.from('int64', [0n, 2n]), 'ax')], { keepdims: 0 }), 'rm');
      g.output(g.op('ReduceMax', [a, g.constant(Tensor.from('int64', [1n]), 'ax1')]), 'rx');
      g.output(g.op('Transpose', [a], { perm: [2, 0, 1] }), 'tr');
    },
    { x },
    'reductions',
  );
  await s.release();
});

test('a second run of the same shapes allocates nothing and does not grow memory', async () => {
  const W = randT([64, 96]);
  const s = await againstReference(
    (g) => {
      const a = g.input('a', 'float32', [33, 64]);
      const h = g.op('MatMul', [a, g.constant(W, 'W')]);
      g.output(g.op('Relu', [g.op('Add', [h, h])]), 'y');
    },
    { a: randT([33, 64]) },
    'steady state',
  );
  const dev = (s as unknown as { prepared: { device: WasmDevice } }).prepared.device;
  const before = { ...dev.mem.stats };
  for (let i = 0; i < 3; i++) await s.run({ a: randT([33, 64]) });
  assert.equal(dev.mem.stats.grows, before.grows, 'memory grew after the first run');
  assert.equal(dev.mem.stats.fresh, before.fresh, 'fresh blocks were allocated after the first run');
  await s.release();
});

test('a worker that dies mid-session is replaced by the main thread, never a hang', async () => {
  const build = (g: GraphBuilder) => {
    const a = g.input('a', 'float32', [256, 256]);
    g.output(g.op('MatMul', [a, a]), 'y');
  };
  const s = await againstReference(build, { a: randT([256, 256]) }, 'before');
  const dev = (s as unknown as { prepared: { device: WasmDevice } }).prepared.device;
  dev.pool.killWorkerForTest(0);
  const feeds = { a: randT([256, 256]) };
  const out = await s.run(feeds);
  const g = new GraphBuilder();
  build(g);
  const ref = g.build();
  close(out.y!, interpret(ref, [feeds.a])[0]!, 'after a worker died');
  await s.release();
});

test('a tensor over the 4 GiB wasm32 limit is refused at create with its size and the limit', async () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [65536, 32768]);
  g.output(g.op('Relu', [a]), 'y');
  const graph: Graph = g.build();
  await assert.rejects(Session.create(graph, { backend: 'wasm', threads: 1 }), /8\.00 GiB.*4 GiB/);
});

test('conv (im2col + gemm) with groups, strides, dilations, pads, bias and relu matches the reference', async () => {
  const cases: { x: number[]; w: number[]; attrs: Record<string, number | number[]> }[] = [
    { x: [1, 3, 11, 13], w: [8, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
    { x: [2, 4, 9, 7], w: [6, 2, 3, 2], attrs: { group: 2, strides: [2, 1], dilations: [1, 2], pads: [0, 1, 2, 0] } },
    { x: [1, 5, 17], w: [7, 5, 4], attrs: { strides: [3], pads: [2, 1] } },
    { x: [1, 16, 6, 6], w: [24, 16, 1, 1], attrs: {} },
    { x: [1, 2, 5, 6, 7], w: [3, 2, 2, 3, 2], attrs: { pads: [1, 0, 1, 0, 1, 0] } },
  ];
  for (const c of cases) {
    const W = randT(c.w),
      B = randT([c.w[0]!]);
    const s = await againstReference(
      (g) => {
        const x = g.input('x', 'float32', c.x);
        g.output(g.op('Relu', [g.op('Conv', [x, g.constant(W, 'W'), g.constant(B, 'B')], c.attrs)]), 'y');
      },
      { x: randT(c.x) },
      `conv ${c.x} * ${c.w}`,
    );
    assert.equal(s.fallbacks.size, 0, `conv ran on the reference path: ${[...s.fallbacks.values()].join('; ')}`);
    await s.release();
  }
});

test('maps with bool inputs and bool outputs (comparisons, Where) match the reference', async () => {
  for (const [ad, cd] of [
    [[7], [7]],
    [
      [3, 9],
      [1, 9],
    ],
    [
      [2, 5, 6],
      [2, 1, 6],
    ],
    [[1031], [1]],
  ] as number[][][]) {
    const s = await againstReference(
      (g) => {
        const a = g.input('a', 'float32', ad!);
        const b = g.input('b', 'float32', cd!);
        const gt = g.op('Greater', [a, b]);
        const w = g.op('Where', [gt, a, g.op('Neg', [b])]);
        g.output(w, 'y');
      },
      { a: randT(ad!), b: randT(cd!) },
      `bool map ${ad} ${cd}`,
    );
    await s.release();
    const g2 = new GraphBuilder();
    const a = g2.input('a', 'float32', ad!);
    const b = g2.input('b', 'float32', cd!);
    g2.output(g2.op('Less', [a, b]), 'm');
    const feeds = { a: randT(ad!), b: randT(cd!) };
    const s2 = await Session.create(g2.build(), { backend: 'wasm', threads: 2 });
    const out = (await s2.run(feeds)).m!;
    assert.equal(out.type, 'bool');
    const A = feeds.a.data as Float32Array,
      B = feeds.b.data as Float32Array;
    const bb = (i: number) => B[cd!.length === ad!.length && B.length === A.length ? i : i % B.length]!;
    if (B.length === A.length || B.length === 1 || cd!.length === 1) {
      for (let i = 0; i < A.length; i++)
        assert.equal(out.data[i], A[i]! < (B.length === 1 ? B[0]! : bb(i)) ? 1 : 0, `Less element ${i}`);
    }
    await s2.release();
  }
});

test('fused attention (GQA, causal, bool and float masks, KV cache, 3-D layout) matches the reference', async () => {
  const cases: {
    q: number[];
    k: number[];
    v: number[];
    mask?: [number[], 'bool' | 'float32' | 'cache'];
    past?: number;
    attrs: Record<string, number>;
  }[] = [
    { q: [2, 4, 5, 8], k: [2, 2, 7, 8], v: [2, 2, 7, 6], attrs: { is_causal: 1 } },
    { q: [1, 3, 6, 5], k: [1, 3, 6, 5], v: [1, 3, 6, 5], mask: [[6, 6], 'bool'], attrs: { softcap: 2 } },
    {
      q: [1, 2, 3, 4],
      k: [1, 2, 3, 4],
      v: [1, 2, 3, 4],
      mask: [[1, 1, 3, 5], 'float32'],
      past: 2,
      attrs: { scale: 0.3 },
    },
    { q: [2, 5, 12], k: [2, 7, 6], v: [2, 7, 6], attrs: { q_num_heads: 4, kv_num_heads: 2, is_causal: 1 } },
    // an LLM's KV cache: -1e9 on empty slots and future positions (the kernel skips them), keys in
    // groups of four and a tail, head sizes with and without a remainder of four
    { q: [1, 4, 6, 64], k: [1, 2, 37, 64], v: [1, 2, 37, 64], mask: [[1, 1, 6, 37], 'cache'], attrs: {} },
    { q: [1, 2, 5, 6], k: [1, 1, 23, 6], v: [1, 1, 23, 7], mask: [[1, 1, 5, 23], 'cache'], attrs: { softcap: 3 } },
  ];
  // row i sees keys 3..(20 + i) but 9 (a hole), the rest is -1e9 as an engine fills its cache mask
  const cacheMask = (dims: number[]) => {
    const [n, C] = [dims[2]!, dims[3]!];
    const m = new Float32Array(n * C).fill(-1e9);
    for (let i = 0; i < n; i++) for (let j = 3; j <= Math.min(C - 1, 20 + i); j++) if (j !== 9) m[i * C + j] = 0;
    return new Tensor('float32', m, dims);
  };
  for (const c of cases) {
    const feeds: Record<string, Tensor> = { q: randT(c.q), k: randT(c.k), v: randT(c.v) };
    if (c.mask)
      feeds.m =
        c.mask[1] === 'bool'
          ? new Tensor(
              'bool',
              Uint8Array.from({ length: c.mask[0].reduce((a, b) => a * b, 1) }, (_, i) => (i % 3 ? 1 : 0)),
              c.mask[0],
            )
          : c.mask[1] === 'cache'
            ? cacheMask(c.mask[0])
            : randT(c.mask[0]);
    const kvh = c.k[1]!;
    if (c.past) {
      feeds.pk = randT([c.k[0]!, kvh, c.past, c.k[3]!]);
      feeds.pv = randT([c.v[0]!, kvh, c.past, c.v[3]!]);
    }
    const s = await againstReference(
      (g) => {
        const q = g.input('q', 'float32', c.q),
          k = g.input('k', 'float32', c.k),
          v = g.input('v', 'float32', c.v);
        const m = c.mask ? g.input('m', c.mask[1] === 'bool' ? 'bool' : 'float32', c.mask[0]) : null;
        const pk = c.past ? g.input('pk', 'float32', feeds.pk!.dims as number[]) : null;
        const pv = c.past ? g.input('pv', 'float32', feeds.pv!.dims as number[]) : null;
        const outs = g.opN('Attention', [q, k, v, m, pk, pv], c.attrs, c.past ? 3 : 1);
        g.output(outs[0]!, 'y');
        if (c.past) {
          g.output(outs[1]!, 'pk_out');
          g.output(outs[2]!, 'pv_out');
        }
      },
      feeds,
      `attention ${c.q}`,
    );
    assert.equal(s.fallbacks.size, 0, `attention ran on the reference path: ${[...s.fallbacks.values()].join('; ')}`);
    await s.release();
  }
});

test('constant Pad (positive, negative and partial-axis pads) matches the reference', async () => {
  for (const [dims, pads, axes] of [
    [[3, 5], [1, 2, 0, 3], undefined],
    [[2, 3, 4], [0, -1, 2, 1, 0, -1], undefined],
    [[4, 6], [2, -3], [1]],
  ] as [number[], number[], number[] | undefined][]) {
    const s = await againstReference(
      (g) => {
        const x = g.input('x', 'float32', dims);
        const ins = [
          x,
          g.constant(Tensor.from('int64', pads.map(BigInt)), 'pads'),
          g.constant(Tensor.from('float32', [1.5], []), 'v'),
        ];
        if (axes) ins.push(g.constant(Tensor.from('int64', axes.map(BigInt)), 'axes'));
        g.output(g.op('Pad', ins), 'y');
      },
      { x: randT(dims) },
      `pad ${dims} ${pads}`,
    );
    assert.equal(s.fallbacks.size, 0);
    await s.release();
  }
});

test('MatMulInteger, QuantizeLinear and DequantizeLinear match the reference', async () => {
  const ints = (type: 'int8' | 'uint8', dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return type === 'int8'
      ? new Tensor(
          'int8',
          Int8Array.from({ length: n }, () => Math.round(rnd() * 127)),
          dims,
        )
      : new Tensor(
          'uint8',
          Uint8Array.from({ length: n }, () => Math.round((rnd() + 1) * 127)),
          dims,
        );
  };
  for (const [ta, tb, M, K, N] of [
    ['uint8', 'int8', 5, 7, 9],
    ['int8', 'uint8', 1, 33, 17],
    ['uint8', 'uint8', 13, 64, 3],
  ] as ['int8' | 'uint8', 'int8' | 'uint8', number, number, number][]) {
    const feeds = { a: ints(ta, [M, K]), b: ints(tb, [K, N]), za: ints(ta, [M]), zb: ints(tb, [1]) };
    const g = new GraphBuilder();
    const ins = [g.input('a', ta, [M, K]), g.input('b', tb, [K, N]), g.input('za', ta, [M]), g.input('zb', tb, [1])];
    g.output(g.op('MatMulInteger', ins), 'y');
    const graph = g.build();
    const want = interpret(graph, [feeds.a, feeds.b, feeds.za, feeds.zb])[0]!;
    const s = await Session.create(graph, { backend: 'wasm', threads: 2 });
    const got = (await s.run(feeds)).y!;
    assert.deepEqual(
      Array.from(got.data as Int32Array),
      Array.from(want.data as Int32Array),
      `MatMulInteger ${ta}x${tb} ${M}x${K}x${N}`,
    );
    assert.equal(s.fallbacks.size, 0);
    await s.release();
  }
  const x = randT([3, 5, 7]);
  const scale = new Tensor('float32', Float32Array.from([0.01, 0.02, 0.005, 0.03, 0.015]), [5]);
  const zp = new Tensor('int8', Int8Array.from([0, -3, 5, 2, -1]), [5]);
  const s = await againstReference(
    (g) => {
      const xv = g.input('x', 'float32', [3, 5, 7]);
      const q = g.op('QuantizeLinear', [xv, g.constant(scale, 'scale'), g.constant(zp, 'zp')], { axis: 1 });
      g.output(g.op('DequantizeLinear', [q, g.constant(scale, 'scale2'), g.constant(zp, 'zp2')], { axis: 1 }), 'y');
    },
    { x },
    'quantize round trip',
  );
  assert.equal(s.fallbacks.size, 0);
  await s.release();
});

test('RotaryEmbedding (position ids or per-token caches, interleaved, partial rotation, 3-D) matches the reference', async () => {
  const cases: { x: number[]; cache: number[]; pos?: number[]; attrs: Record<string, number> }[] = [
    { x: [2, 3, 5, 8], cache: [16, 4], pos: [2, 5], attrs: {} },
    { x: [1, 2, 4, 6], cache: [1, 4, 2], attrs: { interleaved: 1, rotary_embedding_dim: 4 } },
    { x: [2, 5, 12], cache: [10, 3], pos: [1, 5], attrs: { num_heads: 2 } },
  ];
  for (const c of cases) {
    const feeds: Record<string, Tensor> = { x: randT(c.x), cos: randT(c.cache), sin: randT(c.cache) };
    if (c.pos)
      feeds.pos = Tensor.from(
        'int64',
        Array.from({ length: c.pos[0]! * c.pos[1]! }, (_, i) => BigInt((i * 3) % c.cache[0]!)),
        c.pos,
      );
    const s = await againstReference(
      (g) => {
        const ins = [
          g.input('x', 'float32', c.x),
          g.input('cos', 'float32', c.cache),
          g.input('sin', 'float32', c.cache),
        ];
        if (c.pos) ins.push(g.input('pos', 'int64', c.pos));
        g.output(g.op('RotaryEmbedding', ins, c.attrs), 'y');
      },
      feeds,
      `rope ${c.x}`,
    );
    assert.equal(s.fallbacks.size, 0);
    await s.release();
  }
});

test('concurrent runs of one session do not interfere', async () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [64, 64]);
  g.output(g.op('Tanh', [g.op('MatMul', [a, a])]), 'y');
  const graph = g.build();
  const s = await Session.create(graph, { backend: 'wasm', threads: 2 });
  const feeds = [0, 1, 2, 3].map(() => ({ a: randT([64, 64]) }));
  const outs = await Promise.all(feeds.map((f) => s.run(f)));
  outs.forEach((o, i) => close(o.y!, interpret(graph, [feeds[i]!.a])[0]!, `run ${i}`));
  await s.release();
});
