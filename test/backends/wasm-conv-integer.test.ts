// ConvInteger's integer GEMM on WASM (wasm/conv-integer.ts) against the reference interpreter, exactly:
// 8-bit extremes (0/255, -128/127) so an overflow or a lost zero point shows, odd channel counts
// (rows past a 4-row block, K odd), images wide enough for the 8-column fast gather and for several
// tiles per thread, dilations, strides, 1-D, groups, and the float path kept for 3-D. Stride 1 takes the
// padded-planes path (no im2col), other strides the tiled im2col.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { packIntegerWeights } from '../../src/backends/wasm/ops/conv-integer.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';

let seed = 5;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** Random 8-bit values, a third of them at the type's extremes. */
function int8T(type: 'uint8' | 'int8', dims: number[]) {
  const n = dims.reduce((a, b) => a * b, 1);
  const [lo, hi] = type === 'uint8' ? [0, 255] : [-128, 127];
  const vals = Array.from({ length: n }, () => {
    const r = rnd();
    return r < 0.17 ? lo : r < 0.34 ? hi : lo + Math.floor(rnd() * (hi - lo + 1));
  });
  return new Tensor(type, type === 'uint8' ? Uint8Array.from(vals) : Int8Array.from(vals), dims);
}

interface Case {
  x: number[];
  w: number[];
  xt: 'uint8' | 'int8';
  wt: 'uint8' | 'int8';
  attrs: Record<string, number | number[]>;
  xz: number;
  wz: number[];
}

const cases: Case[] = [
  // wide rows: the fast 8-byte gather, borders, several tiles; M = 13 (a partial 4-row block), K = 16·9
  { x: [1, 16, 20, 37], w: [13, 16, 3, 3], xt: 'uint8', wt: 'uint8', attrs: { pads: [1, 1, 1, 1] }, xz: 255, wz: [0] },
  // dilation 4 (the U²-Net blocks), weights zero point 128, input zero point 0
  {
    x: [1, 5, 24, 40],
    w: [6, 5, 3, 3],
    xt: 'uint8',
    wt: 'uint8',
    attrs: { pads: [4, 4, 4, 4], dilations: [4, 4] },
    xz: 0,
    wz: [128],
  },
  // stride 2, odd sizes, two images, int8 input with zero point -128, per-channel int8 weight zero points
  {
    x: [2, 3, 33, 35],
    w: [5, 3, 3, 3],
    xt: 'int8',
    wt: 'int8',
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    xz: -128,
    wz: [1, -2, 0, 127, -128],
  },
  // stride 1 (padded channel-pair planes, taps read in place) with an int8 input, odd channel count
  { x: [1, 3, 10, 21], w: [4, 3, 3, 3], xt: 'int8', wt: 'int8', attrs: { pads: [1, 2, 1, 0] }, xz: -7, wz: [3] },
  // groups and a 1×1 kernel over a large K
  { x: [1, 64, 9, 17], w: [8, 32, 1, 1], xt: 'uint8', wt: 'int8', attrs: { group: 2 }, xz: 17, wz: [-3] },
  // 1-D with asymmetric pads
  { x: [1, 7, 50], w: [9, 7, 5], xt: 'uint8', wt: 'uint8', attrs: { pads: [3, 1] }, xz: 200, wz: [255] },
  // 3-D: the float path
  {
    x: [1, 2, 4, 5, 6],
    w: [3, 2, 2, 3, 3],
    xt: 'uint8',
    wt: 'uint8',
    attrs: { pads: [0, 1, 1, 0, 1, 1] },
    xz: 9,
    wz: [4],
  },
];

test('ConvInteger on the integer GEMM equals the reference exactly (extremes, dilation, stride, groups)', async () => {
  for (const c of cases) {
    const W = int8T(c.wt, c.w);
    const wz =
      c.wz.length === 1
        ? new Tensor(c.wt, c.wt === 'uint8' ? Uint8Array.of(c.wz[0]!) : Int8Array.of(c.wz[0]!), [])
        : new Tensor(c.wt, Int8Array.from(c.wz), [c.wz.length]);
    const xz = new Tensor(c.xt, c.xt === 'uint8' ? Uint8Array.of(c.xz) : Int8Array.of(c.xz), []);
    const X = int8T(c.xt, c.x);
    const mk = () => {
      const g = new GraphBuilder();
      const x = g.input('x', c.xt, c.x);
      const z = g.input('xz', c.xt, []);
      g.output(g.op('ConvInteger', [x, g.constant(W, 'W'), z, g.constant(wz, 'wz')], c.attrs), 'y');
      return g.build();
    };
    const want = interpret(mk(), [X, xz])[0]!.toNumbers();
    for (const threads of [1, 2]) {
      const s = await Session.create(mk(), { backend: 'wasm', threads });
      const got = (await s.run({ x: X, xz }))['y']!;
      assert.equal(got.type, 'int32');
      const g = got.toNumbers();
      const bad = g.findIndex((v, i) => v !== want[i]);
      assert.equal(bad, -1, `${c.x} * ${c.w} (${threads} threads): element ${bad} is ${g[bad]}, want ${want[bad]}`);
      assert.deepEqual([...s.fallbacks.keys()], [], 'fell back to the reference path');
      await s.release();
    }
  }
});

test('packed integer weights: 16-bit pairs per 4-row block, zero past M and K, row sums of w - wz', () => {
  // M = 5, K = 3: two row blocks, two pairs each
  const w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const { packed, rowSum, Kp, Mb } = packIntegerWeights(w, [1], 5, 1, 3);
  assert.equal(Kp, 2);
  assert.equal(Mb, 2);
  // block 0, pair 0: rows 0..3, (k0, k1)
  assert.deepEqual([...packed.slice(0, 8)], [0, 1, 3, 4, 6, 7, 9, 10]);
  // block 0, pair 1: (k2, 0)
  assert.deepEqual([...packed.slice(8, 16)], [2, 0, 5, 0, 8, 0, 11, 0]);
  // block 1: row 4 then zeros
  assert.deepEqual([...packed.slice(16, 24)], [12, 13, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...rowSum], [3, 12, 21, 30, 39, 0, 0, 0]);
});

test('QuantizeLinear and DynamicQuantizeLinear on SIMD rows equal the reference (ties, NaN, ±Inf)', async () => {
  const n = 3 * 37;
  const vals = Array.from({ length: n }, (_, i) => {
    if (i % 11 === 3) return NaN;
    if (i % 13 === 5) return i % 2 ? Infinity : -Infinity;
    if (i % 5 === 0) return (Math.floor(i / 5) - 10 + 0.5) * 0.5; // exact ties of x / 0.5
    return (rnd() - 0.5) * 300;
  });
  const X = new Tensor('float32', Float32Array.from(vals), [3, 37]);
  const finite = new Tensor(
    'float32',
    Float32Array.from(vals, (v) => (Number.isFinite(v) ? v : 1.25)),
    [3, 37],
  );
  for (const [zt, zv] of [
    ['uint8', 3],
    ['int8', -5],
  ] as const) {
    const zp = new Tensor(zt, zt === 'uint8' ? Uint8Array.of(zv) : Int8Array.of(zv), []);
    const mk = () => {
      const g = new GraphBuilder();
      const x = g.input('x', 'float32', [3, 37]);
      g.output(
        g.op('QuantizeLinear', [x, g.constant(Tensor.from('float32', [0.5], []), 's'), g.constant(zp, 'z')]),
        'q',
      );
      const [y, ys, yz] = g.opN('DynamicQuantizeLinear', [g.input('f', 'float32', [3, 37])], {}, 3);
      g.output(y!, 'dq');
      g.output(ys!, 'ds');
      g.output(yz!, 'dz');
      return g.build();
    };
    const want = interpret(mk(), [X, finite]);
    for (const threads of [1, 2]) {
      const s = await Session.create(mk(), { backend: 'wasm', threads });
      const out = await s.run({ x: X, f: finite });
      ['q', 'dq', 'ds', 'dz'].forEach((name, i) =>
        assert.deepEqual(out[name]!.toNumbers(), want[i]!.toNumbers(), `${name} (${zt}, ${threads} threads)`),
      );
      assert.deepEqual([...s.fallbacks.keys()], [], 'fell back to the reference path');
      await s.release();
    }
  }
});

test('MatMulInteger, constant B (pair panels), equals the reference: batches, column zero points', async () => {
  for (const [ta, tb, ad, K, N, zbN] of [
    ['uint8', 'int8', [2, 5], 33, 19, 19],
    ['int8', 'uint8', [3, 1, 4], 64, 8, 1],
    ['uint8', 'uint8', [13], 7, 3, 1],
  ] as ['uint8' | 'int8', 'uint8' | 'int8', number[], number, number, number][]) {
    const A = int8T(ta, [...ad, K]),
      B = int8T(tb, [K, N]);
    const M = ad[ad.length - 1]!;
    const za = int8T(ta, [M]),
      zb = int8T(tb, zbN === 1 ? [] : [zbN]);
    const mk = () => {
      const g = new GraphBuilder();
      const ins = [g.input('a', ta, [...ad, K]), g.constant(B, 'B'), g.input('za', ta, [M]), g.constant(zb, 'zb')];
      g.output(g.op('MatMulInteger', ins), 'y');
      return g.build();
    };
    const want = interpret(mk(), [A, za])[0]!.toNumbers();
    for (const threads of [1, 2]) {
      const s = await Session.create(mk(), { backend: 'wasm', threads });
      const got = (await s.run({ a: A, za }))['y']!.toNumbers();
      const bad = got.findIndex((v, i) => v !== want[i]);
      assert.equal(
        bad,
        -1,
        `${ta}x${tb} ${ad}x${K}x${N} (${threads} threads): element ${bad} is ${got[bad]}, want ${want[bad]}`,
      );
      assert.deepEqual([...s.fallbacks.keys()], [], 'fell back to the reference path');
      await s.release();
    }
  }
});
