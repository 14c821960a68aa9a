import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cst, exact, i64, inferOp, runOp, t } from './math-helpers.js';

const M = Array.from({ length: 12 }, (_, i) => i + 1); // [3,4]
const k = (v: number) => i64([v], []);

/** Independent expectation: keep (i, j) when j - i >= k (upper) or j - i <= k (lower). */
function want(rows: number, cols: number, kk: number, upper: boolean, batch = 1): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const v = b * rows * cols + i * cols + j + 1;
        out.push((upper ? j - i >= kk : j - i <= kk) ? v : 0);
      }
  return out;
}

test('upper and lower with every k, including beyond the matrix', () => {
  for (const upper of [0, 1])
    for (const kk of [-5, -3, -1, 0, 1, 3, 4, 9]) {
      exact(runOp('Trilu', [i64(M, [3, 4]), k(kk)], { upper }), 'int64', want(3, 4, kk, !!upper), [3, 4]);
    }
  exact(runOp('Trilu', [i64(M, [3, 4])], {}), 'int64', want(3, 4, 0, true), [3, 4]);
  exact(runOp('Trilu', [i64(M, [4, 3]), null], { upper: 0 }), 'int64', want(4, 3, 0, false), [4, 3]);
});

test('batches of matrices, bool and float16 copied exactly, empty inputs', () => {
  const v = Array.from({ length: 18 }, (_, i) => i + 1);
  exact(
    runOp('Trilu', [t('int32', v, [2, 3, 3]), cst(k(-1))], { upper: 0 }),
    'int32',
    want(3, 3, -1, false, 2),
    [2, 3, 3],
  );
  exact(runOp('Trilu', [t('bool', [1, 1, 1, 1], [2, 2])], {}), 'bool', [1, 1, 0, 1], [2, 2]);
  const h = runOp('Trilu', [t('float16', [0.1, 0.2, 0.3, 0.4], [2, 2])], { upper: 0 });
  assert.deepEqual(Array.from(h.data as Uint16Array), [
    t('float16', [0.1], [1]).data[0],
    0,
    t('float16', [0.3], [1]).data[0],
    t('float16', [0.4], [1]).data[0],
  ]);
  exact(runOp('Trilu', [t('int64', [], [3, 0, 5]), k(2)], {}), 'int64', [], [3, 0, 5]);
  exact(runOp('Trilu', [t('uint64', [2n ** 64n - 1n, 1n], [1, 2]), k(1)], {}), 'uint64', [0n, 1n], [1, 2]);
});

test('infer requires rank >= 2 and a scalar int64 k', () => {
  assert.deepEqual(inferOp('Trilu', [{ dtype: 'float32', shape: ['b', 4, 4] }])[0], {
    dtype: 'float32',
    shape: ['b', 4, 4],
  });
  assert.throws(() => inferOp('Trilu', [{ dtype: 'float32', shape: [4] }]), /rank >= 2/);
  assert.throws(
    () =>
      inferOp('Trilu', [
        { dtype: 'float32', shape: [4, 4] },
        { dtype: 'int32', shape: [] },
      ]),
    /k/,
  );
});
