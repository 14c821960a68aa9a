import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, cst, exact, f32, i64, inferOp, runOnnxNode, runOpN, t } from './math-helpers.js';

const K = (k: number) => cst(i64([k]));

test('largest and smallest along the last axis, sorted, ties by lower index', () => {
  const x = f32([0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8], [3, 4]);
  let [v, i] = runOpN('TopK', [x, K(3)], {}, 2);
  close(v!, [3, 2, 1, 7, 6, 5, 11, 10, 9], [3, 3]);
  exact(i!, 'int64', [3, 2, 1, 3, 2, 1, 0, 1, 2], [3, 3]);
  [v, i] = runOpN('TopK', [x, K(2)], { largest: 0 }, 2);
  close(v!, [0, 1, 4, 5, 8, 9], [3, 2]);
  exact(i!, 'int64', [0, 1, 0, 1, 3, 2], [3, 2]);
  [v, i] = runOpN('TopK', [f32([1, 3, 3, 1, 3], [5]), K(4)], {}, 2);
  exact(i!, 'int64', [1, 2, 4, 0], [4]);
  [v, i] = runOpN('TopK', [f32([1, 3, 3, 1, 3], [5]), K(3)], { largest: 0 }, 2);
  exact(i!, 'int64', [0, 3, 1], [3]);
});

test('other axes, K = 0 and K = the whole axis', () => {
  const x = f32([1, 5, 2, 4, 3, 0], [3, 2]);
  const [v, i] = runOpN('TopK', [x, K(2)], { axis: 0 }, 2);
  close(v!, [3, 5, 2, 4], [2, 2]);
  exact(i!, 'int64', [2, 0, 1, 1], [2, 2]);
  const [v0, i0] = runOpN('TopK', [x, K(0)], { axis: -1 }, 2);
  close(v0!, [], [3, 0]);
  exact(i0!, 'int64', [], [3, 0]);
  const [, iall] = runOpN('TopK', [x, K(2)], { axis: 1, largest: 0 }, 2);
  exact(iall!, 'int64', [0, 1, 0, 1, 1, 0], [3, 2]);
  assert.throws(() => runOpN('TopK', [x, K(4)], { axis: 0 }, 2), /K = 4/);
});

test('NaN sorts above every number; infinities order normally', () => {
  const x = f32([1, NaN, -Infinity, Infinity, NaN], [5]);
  let [v, i] = runOpN('TopK', [x, K(5)], {}, 2);
  close(v!, [NaN, NaN, Infinity, 1, -Infinity], [5]);
  exact(i!, 'int64', [1, 4, 3, 0, 2], [5]);
  [v, i] = runOpN('TopK', [x, K(5)], { largest: 0 }, 2);
  close(v!, [-Infinity, 1, Infinity, NaN, NaN], [5]);
  exact(i!, 'int64', [2, 0, 3, 1, 4], [5]);
});

test('64-bit integers compare exactly; values copy bit-exactly (uint64, float16)', () => {
  const big = [2n ** 64n - 1n, 2n ** 63n, 2n ** 63n + 1n, 0n];
  const [v, i] = runOpN('TopK', [t('uint64', big, [4]), K(3)], {}, 2);
  exact(v!, 'uint64', [2n ** 64n - 1n, 2n ** 63n + 1n, 2n ** 63n], [3]);
  exact(i!, 'int64', [0, 2, 1], [3]);
  const [vi] = runOpN('TopK', [t('int64', [2n ** 60n + 1n, 2n ** 60n + 2n, -5n], [3]), K(1)], { largest: 0 }, 2);
  exact(vi!, 'int64', [-5], [1]);
  const [h] = runOpN('TopK', [t('float16', [0.1, 0.3, 0.2], [3]), K(2)], {}, 2);
  assert.equal(h!.type, 'float16');
  close(h!, [0.3, 0.2], [2], 1e-3);
});

test('TopK-1 takes k as an attribute; infer uses a constant K', () => {
  const [v, i] = runOnnxNode(1, 'TopK', [f32([4, 1, 3], [3])], { k: 2 }, 2);
  close(v!, [4, 3], [2]);
  exact(i!, 'int64', [0, 2], [2]);
  const [v10] = runOnnxNode(10, 'TopK', [f32([4, 1, 3], [3]), i64([1])], { axis: 0 }, 2);
  close(v10!, [4], [1]);
  const [a, b] = inferOp('TopK', [{ dtype: 'float32', shape: ['b', 10] }, K(3)]);
  assert.deepEqual(a!.shape, ['b', 3]);
  assert.deepEqual(b, { dtype: 'int64', shape: ['b', 3] });
  const [c] = inferOp('TopK', [
    { dtype: 'float32', shape: ['b', 10] },
    { dtype: 'int64', shape: [1] },
  ]);
  assert.equal(typeof c!.shape![1], 'string');
  assert.throws(() => inferOp('TopK', [{ dtype: 'float32', shape: [2, 3] }, K(4)]), /larger/);
});
