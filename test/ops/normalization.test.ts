import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { assertClose, inferOp, onnxModel, rand, randT, runOnnx, runOp } from './nn-helpers.js';

const f32 = (v: number[], dims?: number[]) => Tensor.from('float32', v, dims);

function bnRef(
  x: number[],
  N: number,
  C: number,
  plane: number,
  s: number[],
  b: number[],
  m: number[],
  v: number[],
  eps: number,
) {
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < plane; p++) {
        y.push(((x[(n * C + c) * plane + p] - m[c]) / Math.sqrt(v[c] + eps)) * s[c] + b[c]);
      }
  return y;
}

test('BatchNormalization inference on N x C x D…, N x C and 1-D inputs', () => {
  const s = [1.5, -0.5, 2],
    b = [0.1, 0.2, -0.3],
    m = [0.5, -1, 0],
    v = [0.25, 1, 4];
  const x = randT([2, 3, 2, 2], 1);
  const [y] = runOp('BatchNormalization', [x, { c: f32(s) }, { c: f32(b) }, { c: f32(m) }, { c: f32(v) }], {
    epsilon: 0.01,
  });
  assertClose(y, { dims: [2, 3, 2, 2], values: bnRef(x.toNumbers(), 2, 3, 4, s, b, m, v, 0.01) });
  const x2 = randT([4, 3], 2);
  assertClose(runOp('BatchNormalization', [x2, { c: f32(s) }, { c: f32(b) }, { c: f32(m) }, { c: f32(v) }])[0], {
    dims: [4, 3],
    values: bnRef(x2.toNumbers(), 4, 3, 1, s, b, m, v, 1e-5),
  });
  // a 1-D input of size N has C = 1
  const x1 = f32([1, 2, 3]);
  assertClose(
    runOp('BatchNormalization', [x1, { c: f32([2]) }, { c: f32([1]) }, { c: f32([2]) }, { c: f32([4]) }], {
      epsilon: 0,
    })[0],
    { dims: [3], values: [0, 1, 2] },
  );
  // float16 data with float32 statistics (BatchNormalization-15 allows mixed types)
  const h = Tensor.from('float16', [1, 2, 3, 4], [1, 1, 2, 2]);
  const [yh] = runOp('BatchNormalization', [h, { c: f32([1]) }, { c: f32([0]) }, { c: f32([2.5]) }, { c: f32([1]) }], {
    epsilon: 0,
  });
  assert.equal(yh.type, 'float16');
  assert.deepEqual(yh.toNumbers(), [-1.5, -0.5, 0.5, 1.5]);
});

test('BatchNormalization training mode: batch statistics, running averages with momentum', () => {
  const x = f32([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2]); // channel 0: 1,2,10,20; channel 1: 3,4,30,40
  const [y, rm, rv] = runOp(
    'BatchNormalization',
    [x, { c: f32([1, 1]) }, { c: f32([0, 0]) }, { c: f32([0, 1]) }, { c: f32([1, 2]) }],
    { training_mode: 1, momentum: 0.75, epsilon: 0 },
    3,
  );
  const stats = (a: number[]) => {
    const mu = a.reduce((p, q) => p + q, 0) / a.length;
    return [mu, a.reduce((p, q) => p + (q - mu) ** 2, 0) / a.length];
  };
  const [m0, v0] = stats([1, 2, 10, 20]),
    [m1, v1] = stats([3, 4, 30, 40]);
  assertClose(rm, { dims: [2], values: [0 * 0.75 + m0 * 0.25, 1 * 0.75 + m1 * 0.25] });
  assertClose(rv, { dims: [2], values: [1 * 0.75 + v0 * 0.25, 2 * 0.75 + v1 * 0.25] });
  const norm = (v: number, m: number, s: number) => (v - m) / Math.sqrt(s);
  assertClose(y, {
    dims: [2, 2, 2],
    values: [
      norm(1, m0, v0),
      norm(2, m0, v0),
      norm(3, m1, v1),
      norm(4, m1, v1),
      norm(10, m0, v0),
      norm(20, m0, v0),
      norm(30, m1, v1),
      norm(40, m1, v1),
    ],
  });
});

test('BatchNormalization old opsets: is_test, consumed_inputs, spatial=0 and the five outputs', () => {
  const x = randT([2, 3, 2, 2], 3);
  const st = (vals: number[]) => f32(vals);
  const ins = (s: number[], b: number[], m: number[], v: number[]) => [
    { name: 'x', t: x },
    { name: 's', t: st(s), init: true },
    { name: 'b', t: st(b), init: true },
    { name: 'm', t: st(m), init: true },
    { name: 'v', t: st(v), init: true },
  ];
  const s = [1, 2, 3],
    b = [0, 1, 0],
    m = [0.1, 0.2, 0.3],
    v = [1, 2, 3];
  const want = { dims: [2, 3, 2, 2], values: bnRef(x.toNumbers(), 2, 3, 4, s, b, m, v, 1e-5) };
  // opset 1 with consumed_inputs, is_test=1 and all five outputs: inference, statistics pass through
  const r1 = runOnnx(
    onnxModel('BatchNormalization', 1, ins(s, b, m, v), ['y', 'om', 'ov', 'sm', 'sv'], {
      is_test: 1,
      consumed_inputs: [0, 0, 0, 1, 1],
    }),
    [x],
  );
  assertClose(r1.outputs[0], want);
  assertClose(r1.outputs[1], { dims: [3], values: m });
  assert.equal(r1.graph.nodes[0].attrs.training_mode, undefined);
  assert.equal(r1.graph.nodes[0].attrs.consumed_inputs, undefined);
  // opset 6 without is_test and a single output: inference
  assertClose(
    runOnnx(onnxModel('BatchNormalization', 6, ins(s, b, m, v), ['y'], { spatial: 1 }), [x]).outputs[0],
    want,
  );
  // opset 7 asking for the statistics: training
  const r7 = runOnnx(onnxModel('BatchNormalization', 7, ins(s, b, m, v), ['y', 'om', 'ov', 'sm', 'sv'], {}), [x]);
  assert.equal(r7.graph.nodes[0].attrs.training_mode?.value, 1);
  const xv = x.toNumbers();
  const ch = (c: number) => [0, 1].flatMap((n) => xv.slice((n * 3 + c) * 4, (n * 3 + c) * 4 + 4));
  const mean = [0, 1, 2].map((c) => ch(c).reduce((p, q) => p + q, 0) / 8);
  assertClose(r7.outputs[3], { dims: [3], values: mean });
  assertClose(r7.outputs[1], { dims: [3], values: m.map((mm, c) => mm * 0.9 + mean[c] * 0.1) });
  // opset 7 spatial=0: statistics per element of C x H x W
  const per = (seed: number) =>
    Tensor.from(
      'float32',
      rand(12, seed).map((q) => q + 1.5),
      [3, 2, 2],
    );
  const S = per(4),
    B = per(5),
    M = per(6),
    V = per(7);
  const r0 = runOnnx(
    onnxModel(
      'BatchNormalization',
      7,
      [
        { name: 'x', t: x },
        { name: 's', t: S, init: true },
        { name: 'b', t: B, init: true },
        { name: 'm', t: M, init: true },
        { name: 'v', t: V, init: true },
      ],
      ['y'],
      { spatial: 0 },
    ),
    [x],
  );
  const [sv, bv, mv, vv] = [S, B, M, V].map((t) => t.toNumbers());
  assertClose(r0.outputs[0], {
    dims: [2, 3, 2, 2],
    values: xv.map((q, i) => {
      const e = i % 12;
      return ((q - mv[e]) / Math.sqrt(vv[e] + 1e-5)) * sv[e] + bv[e];
    }),
  });
  // spatial is dropped from opset 9 on
  const r9 = runOnnx(onnxModel('BatchNormalization', 9, ins(s, b, m, v), ['y'], {}), [x]);
  assertClose(r9.outputs[0], want);
});

test('BatchNormalization shape rule checks the statistics against C', () => {
  const c3 = { c: f32([1, 2, 3]) };
  const [t, rm] = inferOp(
    'BatchNormalization',
    [{ dtype: 'float32', shape: ['N', 3, 'H', 'W'] }, c3, c3, c3, c3],
    { training_mode: 1 },
    3,
  );
  assert.deepEqual(t.shape, ['N', 3, 'H', 'W']);
  assert.deepEqual(rm.shape, [3]);
  assert.throws(
    () => inferOp('BatchNormalization', [{ dtype: 'float32', shape: [1, 4, 2, 2] }, c3, c3, c3, c3]),
    /C = 4/,
  );
});

test('InstanceNormalization normalizes each (n, c) image', () => {
  const x = randT([2, 3, 5], 10);
  const s = [1, -2, 0.5],
    b = [0, 1, 2];
  const [y] = runOp('InstanceNormalization', [x, { c: f32(s) }, { c: f32(b) }], { epsilon: 0.1 });
  const xv = x.toNumbers();
  const want: number[] = [];
  for (let p = 0; p < 6; p++) {
    const a = xv.slice(p * 5, p * 5 + 5);
    const mu = a.reduce((q, r) => q + r, 0) / 5;
    const va = a.reduce((q, r) => q + (r - mu) ** 2, 0) / 5;
    for (const q of a) want.push(((q - mu) / Math.sqrt(va + 0.1)) * s[p % 3] + b[p % 3]);
  }
  assertClose(y, { dims: [2, 3, 5], values: want });
  assert.throws(
    () =>
      inferOp('InstanceNormalization', [
        { dtype: 'float32', shape: [1, 3, 4] },
        { c: f32([1, 2]) },
        { c: f32([1, 2, 3]) },
      ]),
    /scale/,
  );
});

function layerRef(
  x: number[],
  rows: number,
  cols: number,
  eps: number,
  scale: (i: number) => number,
  bias: (i: number) => number,
) {
  const y: number[] = [],
    mean: number[] = [],
    inv: number[] = [];
  for (let r = 0; r < rows; r++) {
    const a = x.slice(r * cols, (r + 1) * cols);
    const mu = a.reduce((p, q) => p + q, 0) / cols;
    const is = 1 / Math.sqrt(a.reduce((p, q) => p + (q - mu) ** 2, 0) / cols + eps);
    mean.push(mu);
    inv.push(is);
    a.forEach((q, j) => y.push((q - mu) * is * scale(r * cols + j) + bias(r * cols + j)));
  }
  return { y, mean, inv };
}

test('LayerNormalization: axis, negative axis, Mean/InvStdDev outputs and broadcast Scale/B', () => {
  const x = randT([2, 3, 4], 20);
  const xv = x.toNumbers();
  for (const axis of [0, 1, 2, -1, -2, -3]) {
    const a = axis < 0 ? axis + 3 : axis;
    const norm = [2, 3, 4].slice(a);
    const n = norm.reduce((p, q) => p * q, 1);
    const S = randT(norm, 21),
      B = randT(norm, 22);
    const [y, mean, inv] = runOp('LayerNormalization', [x, { c: S }, { c: B }], { axis, epsilon: 1e-3 }, 3);
    const ref = layerRef(
      xv,
      24 / n,
      n,
      1e-3,
      (i) => S.toNumbers()[i % n],
      (i) => B.toNumbers()[i % n],
    );
    const statDims = [2, 3, 4].map((d, i) => (i < a ? d : 1));
    assertClose(y, { dims: [2, 3, 4], values: ref.y }, 1e-5, `axis ${axis}`);
    assertClose(mean, { dims: statDims, values: ref.mean }, 1e-6);
    assertClose(inv, { dims: statDims, values: ref.inv }, 1e-5);
  }
  // Scale [1, 4] and B [3, 1] broadcast over the normalized [3, 4]; no bias at all
  const S = randT([1, 4], 23),
    B = randT([3, 1], 24);
  const [yb] = runOp('LayerNormalization', [x, { c: S }, { c: B }], { axis: 1 });
  assertClose(yb, {
    dims: [2, 3, 4],
    values: layerRef(
      xv,
      2,
      12,
      1e-5,
      (i) => S.toNumbers()[i % 4],
      (i) => B.toNumbers()[Math.floor((i % 12) / 4)],
    ).y,
  });
  const [yn] = runOp('LayerNormalization', [x, { c: S }]);
  assertClose(yn, {
    dims: [2, 3, 4],
    values: layerRef(
      xv,
      6,
      4,
      1e-5,
      (i) => S.toNumbers()[i % 4],
      () => 0,
    ).y,
  });
  // statistics are float32 (stash_type 1) even for float64 data; stash_type 11 gives float64
  const [t, m] = inferOp(
    'LayerNormalization',
    [{ dtype: 'float64', shape: ['B', 'S', 8] }, { c: Tensor.zeros('float64', [8]) }],
    {},
    3,
  );
  assert.deepEqual(t, { dtype: 'float64', shape: ['B', 'S', 8] });
  assert.deepEqual(m, { dtype: 'float32', shape: ['B', 'S', 1] });
  assert.equal(
    inferOp(
      'LayerNormalization',
      [{ dtype: 'float64', shape: [2, 8] }, { c: Tensor.zeros('float64', [8]) }],
      { stash_type: 11 },
      3,
    )[2].dtype,
    'float64',
  );
  assert.throws(
    () =>
      inferOp('LayerNormalization', [{ dtype: 'float32', shape: [2, 8] }, { c: Tensor.zeros('float32', [8]) }], {
        axis: 2,
      }),
    /axis 2 is out of range/,
  );
  assert.throws(
    () => inferOp('LayerNormalization', [{ dtype: 'float32', shape: [2, 8] }, { c: Tensor.zeros('float32', [7]) }]),
    /Scale/,
  );
});

test('RMSNormalization divides by the root mean square over the trailing axes', () => {
  const x = f32([3, 4, 0, 0, 1, -1, 1, -1], [2, 4]);
  const [y] = runOp('RMSNormalization', [x, { c: f32([1, 2, 3, 4]) }], { epsilon: 0 });
  const r0 = Math.sqrt(25 / 4);
  assertClose(y, { dims: [2, 4], values: [3 / r0, 8 / r0, 0, 0, 1, -2, 3, -4] });
  const [z] = runOp('RMSNormalization', [x, { c: f32([2]) }], { axis: 0, epsilon: 0 });
  const r = Math.sqrt((9 + 16 + 4) / 8);
  assertClose(z, { dims: [2, 4], values: x.toNumbers().map((v) => (2 * v) / r) });
});

test('LRN sums squares over neighbouring channels, also for even sizes', () => {
  const x = randT([1, 5, 2], 30);
  const xv = x.toNumbers();
  for (const size of [1, 2, 3, 4]) {
    const [y] = runOp('LRN', [x], { size, alpha: 0.5, beta: 0.75, bias: 2 });
    const want = xv.map((v, i) => {
      const c = Math.floor(i / 2),
        p = i % 2;
      let sq = 0;
      for (let k = Math.max(0, c - Math.floor((size - 1) / 2)); k <= Math.min(4, c + Math.ceil((size - 1) / 2)); k++)
        sq += xv[k * 2 + p] ** 2;
      return v / (2 + (0.5 / size) * sq) ** 0.75;
    });
    assertClose(y, { dims: [1, 5, 2], values: want }, 1e-6, `size ${size}`);
  }
});

test('MeanVarianceNormalization over the default and custom axes', () => {
  const x = randT([2, 3, 2, 2], 40);
  const xv = x.toNumbers();
  const [y] = runOp('MeanVarianceNormalization', [x]);
  const want = new Array<number>(24);
  for (let c = 0; c < 3; c++) {
    const idx = [0, 1].flatMap((n) => [0, 1, 2, 3].map((p) => (n * 3 + c) * 4 + p));
    const mu = idx.reduce((a, i) => a + xv[i], 0) / 8;
    const sd = Math.sqrt(idx.reduce((a, i) => a + xv[i] ** 2, 0) / 8 - mu * mu);
    for (const i of idx) want[i] = (xv[i] - mu) / (sd + 1e-9);
  }
  assertClose(y, { dims: [2, 3, 2, 2], values: want });
  const [z] = runOp('MeanVarianceNormalization', [x], { axes: [-1] });
  const wz = xv.map((v, i) => {
    const g = xv.slice(i - (i % 2), i - (i % 2) + 2);
    const mu = (g[0] + g[1]) / 2;
    return (v - mu) / (Math.sqrt((g[0] ** 2 + g[1] ** 2) / 2 - mu * mu) + 1e-9);
  });
  assertClose(z, { dims: [2, 3, 2, 2], values: wz }, 1e-4);
});
