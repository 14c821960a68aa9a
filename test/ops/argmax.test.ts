import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exact, f32, inferOp, runOnnxNode, runOp, t } from './math-helpers.js';

test('ArgMax / ArgMin along each axis, keepdims on and off', () => {
  const x = f32([2, 1, 3, 10, 0, 7], [2, 3]);
  exact(runOp('ArgMax', [x], {}), 'int64', [1, 0, 1], [1, 3]);
  exact(runOp('ArgMax', [x], { axis: 1, keepdims: 0 }), 'int64', [2, 0], [2]);
  exact(runOp('ArgMin', [x], { axis: -1 }), 'int64', [1, 1], [2, 1]);
  exact(runOp('ArgMin', [x], { axis: 0, keepdims: 0 }), 'int64', [0, 1, 0], [3]);
});

test('ties: first index, or the last with select_last_index', () => {
  const x = f32([5, 1, 5, 1], [4]);
  exact(runOp('ArgMax', [x], { keepdims: 0 }), 'int64', [0], []);
  exact(runOp('ArgMax', [x], { keepdims: 0, select_last_index: 1 }), 'int64', [2], []);
  exact(runOp('ArgMin', [x], { keepdims: 0 }), 'int64', [1], []);
  exact(runOp('ArgMin', [x], { keepdims: 0, select_last_index: 1 }), 'int64', [3], []);
});

test('NaN wins like numpy: the first NaN, or the last with select_last_index', () => {
  const x = f32([1, NaN, 9, NaN, 2], [5]);
  exact(runOp('ArgMax', [x], { keepdims: 0 }), 'int64', [1], []);
  exact(runOp('ArgMin', [x], { keepdims: 0 }), 'int64', [1], []);
  exact(runOp('ArgMax', [x], { keepdims: 0, select_last_index: 1 }), 'int64', [3], []);
  exact(runOp('ArgMin', [x], { keepdims: 0, select_last_index: 1 }), 'int64', [3], []);
  exact(runOp('ArgMax', [f32([NaN, 1], [2])], { keepdims: 0, select_last_index: 1 }), 'int64', [0], []);
});

test('integer types, including 64-bit values beyond 2^53 and float16', () => {
  exact(
    runOp('ArgMax', [t('int64', [2n ** 60n + 1n, 2n ** 60n + 2n, 2n ** 60n], [3])], { keepdims: 0 }),
    'int64',
    [1],
    [],
  );
  exact(runOp('ArgMin', [t('uint64', [2n ** 63n, 5n, 2n ** 64n - 1n], [3])], { keepdims: 0 }), 'int64', [1], []);
  exact(runOp('ArgMax', [t('uint8', [0, 255, 3], [3])], { keepdims: 0 }), 'int64', [1], []);
  exact(runOp('ArgMax', [t('float16', [0.5, -1, 0.75], [3])], { keepdims: 0 }), 'int64', [2], []);
});

test('empty tensors: an empty result is fine, an empty reduced axis is an error', () => {
  exact(runOp('ArgMax', [f32([], [0, 3])], { axis: 1 }), 'int64', [], [0, 1]);
  assert.throws(() => runOp('ArgMax', [f32([], [3, 0])], { axis: 1 }), /size 0/);
});

test('infer and old opsets', () => {
  const [y] = inferOp('ArgMax', [{ dtype: 'float32', shape: ['b', 5, 7] }], { axis: -2, keepdims: 0 });
  assert.deepEqual(y, { dtype: 'int64', shape: ['b', 7] });
  assert.throws(() => inferOp('ArgMax', [{ dtype: 'float32', shape: [2, 3] }], { axis: 2 }), /out of range/);
  exact(runOnnxNode(1, 'ArgMax', [f32([1, 3, 2], [3])], { axis: 0, keepdims: 0 })[0]!, 'int64', [1], []);
  exact(runOnnxNode(12, 'ArgMin', [f32([1, 0, 0], [3])], { select_last_index: 1 })[0]!, 'int64', [2], [1]);
});
