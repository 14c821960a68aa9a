import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, cst, exact, f64, i32, i64, inferOp, runOp, t } from './math-helpers.js';

const axis = (a: number, dtype: 'int32' | 'int64' = 'int32') => (dtype === 'int32' ? i32([a], []) : i64([a], []));

test('exclusive and reverse, in every combination', () => {
  const x = f64([1, 2, 3, 4, 5], [5]);
  close(runOp('CumSum', [x, axis(0)]), [1, 3, 6, 10, 15]);
  close(runOp('CumSum', [x, axis(0)], { exclusive: 1 }), [0, 1, 3, 6, 10]);
  close(runOp('CumSum', [x, axis(0)], { reverse: 1 }), [15, 14, 12, 9, 5]);
  close(runOp('CumSum', [x, axis(0)], { reverse: 1, exclusive: 1 }), [14, 12, 9, 5, 0]);
});

test('axis as int32 or int64, negative, or a one-element 1-D tensor; inner axes', () => {
  const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  close(runOp('CumSum', [x, axis(1, 'int64')]), [1, 3, 6, 4, 9, 15], [2, 3]);
  close(runOp('CumSum', [x, axis(-2)]), [1, 2, 3, 5, 7, 9], [2, 3]);
  close(runOp('CumSum', [x, cst(i64([0]))], { reverse: 1 }), [5, 7, 9, 4, 5, 6], [2, 3]);
  const y = f64(
    Array.from({ length: 8 }, (_, i) => i),
    [2, 2, 2],
  );
  close(runOp('CumSum', [y, axis(1)], { exclusive: 1 }), [0, 0, 0, 1, 0, 0, 4, 5], [2, 2, 2]);
});

test('integers wrap like C; 64-bit exact; float16; empty', () => {
  exact(runOp('CumSum', [i32([2147483647, 1, 1], [3]), axis(0)]), 'int32', [2147483647, -2147483648, -2147483647], [3]);
  exact(
    runOp('CumSum', [t('uint64', [2n ** 63n, 2n ** 62n], [2]), axis(0)]),
    'uint64',
    [2n ** 63n, 2n ** 63n + 2n ** 62n],
    [2],
  );
  exact(runOp('CumSum', [i64([2n ** 60n, 1n], [2]), axis(0)], { exclusive: 1 }), 'int64', [0n, 2n ** 60n], [2]);
  const h = runOp('CumSum', [t('float16', [0.5, 0.25], [2]), axis(0)]);
  assert.equal(h.type, 'float16');
  close(h, [0.5, 0.75], [2], 0);
  close(runOp('CumSum', [f64([], [0, 3]), axis(1)]), [], [0, 3]);
});

test('infer keeps the shape; bad axis is rejected', () => {
  assert.deepEqual(
    inferOp('CumSum', [
      { dtype: 'float32', shape: ['n', 4] },
      { dtype: 'int64', shape: [] },
    ])[0],
    { dtype: 'float32', shape: ['n', 4] },
  );
  assert.throws(() => inferOp('CumSum', [{ dtype: 'float32', shape: [3] }, cst(i32([1], []))]), /out of range/);
  assert.throws(
    () =>
      inferOp('CumSum', [
        { dtype: 'float32', shape: [3] },
        { dtype: 'int64', shape: [2] },
      ]),
    /scalar/,
  );
  assert.throws(
    () =>
      inferOp('CumSum', [
        { dtype: 'float32', shape: [3] },
        { dtype: 'float32', shape: [] },
      ]),
    /axis/,
  );
});
