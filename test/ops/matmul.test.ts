import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, exact, f32, f64, i32, i64, inferOp, runOnnxNode, runOp, Tensor, t } from './math-helpers.js';

/** Independent naive numpy-matmul for checking: explicit index arithmetic per output element. */
function naiveMatMul(a: number[], ad: number[], b: number[], bd: number[]): { v: number[]; dims: number[] } {
  const A = ad.length === 1 ? [1, ad[0]!] : ad,
    B = bd.length === 1 ? [bd[0]!, 1] : bd;
  const M = A[A.length - 2]!,
    K = A[A.length - 1]!,
    N = B[B.length - 1]!;
  const ab = A.slice(0, -2),
    bb = B.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...Array(r - ab.length).fill(1), ...ab],
    pb = [...Array(r - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const nb = batch.reduce((x, y) => x * y, 1);
  const v: number[] = [];
  for (let t = 0; t < nb; t++) {
    let rem = t,
      ia = 0,
      ib = 0,
      sa = 1,
      sb = 1;
    for (let d = r - 1; d >= 0; d--) {
      const c = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      ia += (pa[d] === 1 ? 0 : c) * sa;
      sa *= pa[d]!;
      ib += (pb[d] === 1 ? 0 : c) * sb;
      sb *= pb[d]!;
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ia * M * K + i * K + k]! * b[ib * K * N + k * N + j]!;
        v.push(s);
      }
  }
  const dims = [...batch, ...(ad.length > 1 ? [M] : []), ...(bd.length > 1 ? [N] : [])];
  return { v, dims };
}

const seq = (n: number, f = (i: number) => ((i * 7) % 11) - 5) => Array.from({ length: n }, (_, i) => f(i));

test('MatMul follows numpy for 1-D operands and broadcast batch dims', () => {
  const cases: [number[], number[]][] = [
    [[3], [3]],
    [[4], [2, 4, 1]],
    [[2, 3, 4], [4]],
    [
      [3, 1, 2, 4],
      [1, 5, 4, 3],
    ],
    [
      [2, 3],
      [4, 3, 5],
    ],
    [
      [1, 2, 3],
      [3, 2],
    ],
  ];
  for (const [ad, bd] of cases) {
    const a = seq(ad.reduce((x, y) => x * y, 1)),
      b = seq(
        bd.reduce((x, y) => x * y, 1),
        (i) => (i % 5) - 2,
      );
    const want = naiveMatMul(a, ad, b, bd);
    close(runOp('MatMul', [f64(a, ad), f64(b, bd)]), want.v, want.dims);
    exact(runOp('MatMul', [i32(a, ad), i32(b, bd)]), 'int32', want.v, want.dims);
    exact(runOp('MatMul', [i64(a, ad), i64(b, bd)]), 'int64', want.v, want.dims);
  }
});

test('MatMul of two vectors is a scalar; empty K gives zeros; empty M gives an empty result', () => {
  exact(runOp('MatMul', [i32([1, 2, 3]), i32([4, 5, 6])]), 'int32', [32], []);
  close(runOp('MatMul', [f32([], [2, 0]), f32([], [0, 3])]), [0, 0, 0, 0, 0, 0], [2, 3]);
  close(runOp('MatMul', [f32([], [0, 3]), f32([1, 2, 3], [3, 1])]), [], [0, 1]);
});

test('MatMul integer arithmetic wraps like a C kernel; int64 is exact', () => {
  exact(runOp('MatMul', [i32([65536], [1, 1]), i32([65536], [1, 1])]), 'int32', [0], [1, 1]);
  exact(runOp('MatMul', [i32([46341, 1], [1, 2]), i32([46341, 0], [2, 1])]), 'int32', [-2147479015], [1, 1]);
  exact(
    runOp('MatMul', [t('uint8', [200, 100], [1, 2]), t('uint8', [2, 1], [2, 1])]),
    'uint8',
    [(400 + 100) % 256],
    [1, 1],
  );
  exact(runOp('MatMul', [t('uint32', [4000000000], [1, 1]), t('uint32', [1], [1, 1])]), 'uint32', [4000000000], [1, 1]);
  exact(
    runOp('MatMul', [i64([3000000000], [1, 1]), i64([3000000000], [1, 1])]),
    'int64',
    [9000000000000000000n],
    [1, 1],
  );
  exact(runOp('MatMul', [t('uint64', [2n ** 63n], [1, 1]), t('uint64', [1], [1, 1])]), 'uint64', [2n ** 63n], [1, 1]);
});

test('MatMul float16 rounds its result to half precision', () => {
  const y = runOp('MatMul', [t('float16', [1, 2], [1, 2]), t('float16', [0.1, 0.2], [2, 1])]);
  assert.equal(y.type, 'float16');
  close(y, [0.5], [1, 1], 1e-3);
});

test('MatMul propagates NaN and Inf like IEEE arithmetic', () => {
  close(runOp('MatMul', [f32([NaN, 1], [1, 2]), f32([0, 1], [2, 1])]), [NaN], [1, 1]);
  close(runOp('MatMul', [f32([Infinity, 1], [1, 2]), f32([0, 1], [2, 1])]), [NaN], [1, 1]);
});

test('MatMul infer: symbolic batch dims, errors name the rule', () => {
  const [y] = inferOp('MatMul', [
    { dtype: 'float32', shape: ['b', 's', 64] },
    { dtype: 'float32', shape: [64, 'n'] },
  ]);
  assert.deepEqual(y!.shape, ['b', 's', 'n']);
  const [z] = inferOp('MatMul', [
    { dtype: 'float32', shape: [5] },
    { dtype: 'float32', shape: ['b', 5, 3] },
  ]);
  assert.deepEqual(z!.shape, ['b', 3]);
  assert.deepEqual(inferOp('MatMul', [{ dtype: 'float32' }, { dtype: 'float32', shape: [3, 4] }])[0], {
    dtype: 'float32',
  });
  assert.throws(
    () =>
      inferOp('MatMul', [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float32', shape: [4, 5] },
      ]),
    /inner dims differ/,
  );
  assert.throws(
    () =>
      inferOp('MatMul', [
        { dtype: 'float32', shape: [2, 2, 3] },
        { dtype: 'float32', shape: [3, 3, 5] },
      ]),
    /broadcast/,
  );
  assert.throws(
    () =>
      inferOp('MatMul', [
        { dtype: 'float32', shape: [] },
        { dtype: 'float32', shape: [3] },
      ]),
    /rank >= 1/,
  );
  assert.throws(
    () =>
      inferOp('MatMul', [
        { dtype: 'float32', shape: [3] },
        { dtype: 'int32', shape: [3] },
      ]),
    /element types differ/,
  );
});

test('Gemm: every transpose combination, alpha/beta, each broadcastable C', () => {
  const A = [1, 2, 3, 4, 5, 6]; // [2,3]
  const B = [1, 0, 2, -1, 3, 1]; // [3,2]
  const AB = [1 * 1 + 2 * 2 + 3 * 3, 1 * 0 + 2 * -1 + 3 * 1, 4 * 1 + 5 * 2 + 6 * 3, 4 * 0 + 5 * -1 + 6 * 1]; // [14,1,32,1]
  const tr = (v: number[], r: number, c: number) =>
    Array.from({ length: r * c }, (_, i) => v[(i % r) * c + Math.floor(i / r)]!);
  for (const transA of [0, 1])
    for (const transB of [0, 1]) {
      const a = transA ? f32(tr(A, 2, 3), [3, 2]) : f32(A, [2, 3]);
      const b = transB ? f32(tr(B, 3, 2), [2, 3]) : f32(B, [3, 2]);
      close(runOp('Gemm', [a, b], { transA, transB }), AB, [2, 2]);
      close(
        runOp('Gemm', [a, b, f32([10], [])], { transA, transB, alpha: 2, beta: 0.5 }),
        AB.map((v) => 2 * v + 5),
        [2, 2],
      );
    }
  const a = f32(A, [2, 3]),
    b = f32(B, [3, 2]);
  close(runOp('Gemm', [a, b, f32([1, 2], [2])]), [15, 3, 33, 3], [2, 2]);
  close(runOp('Gemm', [a, b, f32([1, 2], [1, 2])]), [15, 3, 33, 3], [2, 2]);
  close(runOp('Gemm', [a, b, f32([1, 2], [2, 1])]), [15, 2, 34, 3], [2, 2]);
  close(runOp('Gemm', [a, b, f32([1, 2, 3, 4], [2, 2])]), [15, 3, 35, 5], [2, 2]);
  close(runOp('Gemm', [a, b, f32([7], [1])]), [21, 8, 39, 8], [2, 2]);
  // beta = 0 ignores C, even NaN in C
  close(runOp('Gemm', [a, b, f32([NaN], [])], { beta: 0 }), AB, [2, 2]);
  assert.throws(() => runOp('Gemm', [a, b, f32([1, 2, 3], [3])]), /broadcast unidirectionally/);
  assert.throws(() => runOp('Gemm', [a, f32(B, [2, 3])]), /inner dims differ/);
});

test('Gemm on integers: int32 and int64, fractional alpha truncates toward zero', () => {
  exact(
    runOp('Gemm', [i32([1, 2, 3, 4], [2, 2]), i32([1, 0, 0, 1], [2, 2]), i32([10, 20], [2])]),
    'int32',
    [11, 22, 13, 24],
    [2, 2],
  );
  exact(
    runOp('Gemm', [i64([1, 2, 3, 4], [2, 2]), i64([1, 1, 1, 1], [2, 2]), i64([1], [])], { alpha: 3, beta: -2 }),
    'int64',
    [7, 7, 19, 19],
    [2, 2],
  );
  exact(
    runOp('Gemm', [i32([1, 2, 3, 4], [2, 2]), i32([1, 0, 0, 1], [2, 2])], { alpha: 0.5 }),
    'int32',
    [0, 1, 1, 2],
    [2, 2],
  );
  exact(
    runOp('Gemm', [t('uint32', [3000000000], [1, 1]), t('uint32', [1], [1, 1])], {}),
    'uint32',
    [3000000000],
    [1, 1],
  );
});

test('Gemm imports opset 6 (broadcast attribute) and 11 (no C)', () => {
  const a = f32([1, 2, 3, 4], [2, 2]),
    b = f32([1, 0, 0, 1], [2, 2]);
  close(
    runOnnxNode(6, 'Gemm', [a, b, f32([1, 1], [2])], { broadcast: 1, beta: { float: 2 } })[0]!,
    [3, 4, 5, 6],
    [2, 2],
  );
  close(runOnnxNode(6, 'Gemm', [a, b, f32([1, 1, 1, 1], [2, 2])], { broadcast: 0 })[0]!, [2, 3, 4, 5], [2, 2]);
  close(runOnnxNode(11, 'Gemm', [a, b], { transA: 1 })[0]!, [1, 3, 2, 4], [2, 2]);
});

test('Gemm infer: symbolic M and N, K mismatch and C rank errors', () => {
  const [y] = inferOp(
    'Gemm',
    [
      { dtype: 'float32', shape: ['m', 8] },
      { dtype: 'float32', shape: ['n', 8] },
      { dtype: 'float32', shape: ['n'] },
    ],
    { transB: 1 },
  );
  assert.deepEqual(y!.shape, ['m', 'n']);
  assert.throws(
    () =>
      inferOp('Gemm', [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float32', shape: [4, 5] },
      ]),
    /inner dims/,
  );
  assert.throws(
    () =>
      inferOp('Gemm', [
        { dtype: 'float32', shape: [2, 3, 1] },
        { dtype: 'float32', shape: [3, 5] },
      ]),
    /rank 2/,
  );
  assert.throws(
    () =>
      inferOp('Gemm', [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float32', shape: [3, 5] },
        { dtype: 'float32', shape: [1, 2, 5] },
      ]),
    /rank <= 2/,
  );
});

test('MatMulInteger: scalar, per-row and per-column zero points, int8 and uint8, batches', () => {
  const A = t('uint8', [11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0], [4, 3]);
  const B = t('uint8', [1, 4, 2, 5, 3, 6], [3, 2]);
  // test_matmulinteger data: zero points 12 and 0
  exact(
    runOp('MatMulInteger', [A, B, t('uint8', [12], [1]), t('uint8', [0], [1])]),
    'int32',
    [-38, -83, -44, -98, -50, -113, -56, -128],
    [4, 2],
  );
  // per-row a_zero_point [M] and per-column b_zero_point [N]
  const a = t('int8', [1, 2, 3, 4], [2, 2]),
    b = t('int8', [5, 6, 7, 8], [2, 2]);
  const y = runOp('MatMulInteger', [a, b, t('int8', [1, 2], [2]), t('int8', [5, -1], [2])]);
  // A - zp_row = [[0,1],[1,2]]; B - zp_col = [[0,7],[2,9]]
  exact(y, 'int32', [2, 9, 4, 25], [2, 2]);
  // N-D zero points: A [2,2,2] with a_zp [2,2,1], B with b_zp [1,2]
  const a3 = t('int8', [1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
  const y3 = runOp('MatMulInteger', [a3, b, t('int8', [1, 1, 2, 2], [2, 2, 1]), t('int8', [0, 0], [1, 2])]);
  // A - zp = [[0,1],[2,3]], [[3,4],[5,6]]; times B [[5,6],[7,8]]
  exact(y3, 'int32', [7, 8, 31, 36, 43, 50, 67, 78], [2, 2, 2]);
  // no zero points, uint8 x int8
  exact(runOp('MatMulInteger', [t('uint8', [255], [1, 1]), t('int8', [-128], [1, 1])]), 'int32', [-32640], [1, 1]);
  assert.throws(() => runOp('MatMulInteger', [a, b, t('int8', [1, 2, 3], [3])]), /one per row/);
  assert.throws(
    () =>
      inferOp('MatMulInteger', [
        { dtype: 'int8', shape: [2, 2] },
        { dtype: 'int8', shape: [2, 2] },
        { dtype: 'uint8', shape: [] },
      ]),
    /element types differ/,
  );
});

test('MatMul and Gemm handle BERT-size layers', () => {
  const rnd = (n: number) => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    return d;
  };
  const y = runOp('MatMul', [
    new Tensor('float32', rnd(128 * 768), [1, 128, 768]),
    new Tensor('float32', rnd(768 * 3072), [768, 3072]),
  ]);
  assert.deepEqual([...y.dims], [1, 128, 3072]);
  const g = runOp(
    'Gemm',
    [
      new Tensor('float32', rnd(128 * 768), [128, 768]),
      new Tensor('float32', rnd(2304 * 768), [2304, 768]),
      new Tensor('float32', rnd(2304), [2304]),
    ],
    { transB: 1 },
  );
  assert.deepEqual([...g.dims], [128, 2304]);
});
