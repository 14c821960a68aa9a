import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, exact, f64, i32, i64, inferOp, runOp, t } from './math-helpers.js';

const ein = (equation: string, ...xs: ReturnType<typeof f64>[]) => runOp('Einsum', xs, { equation });
const A = f64([1, 2, 3, 4, 5, 6], [2, 3]);
const B = f64([1, 0, 2, -1, 3, 1], [3, 2]);

test('matrix product, explicit and implicit, equals MatMul', () => {
  const mm = runOp('MatMul', [A, B]).toNumbers();
  close(ein('ij,jk->ik', A, B), mm, [2, 2]);
  close(ein('ij,jk', A, B), mm, [2, 2]);
  close(ein(' i j , j k -> i k ', A, B), mm, [2, 2]);
  // output order follows the labels: ki is the transpose
  close(ein('ij,jk->ki', A, B), [mm[0]!, mm[2]!, mm[1]!, mm[3]!], [2, 2]);
});

test('implicit output: letters seen once, in ASCII order (upper case first)', () => {
  close(ein('ba', A), [1, 4, 2, 5, 3, 6], [3, 2]); // implicit 'ab' transposes
  close(ein('ab', A), [1, 2, 3, 4, 5, 6], [2, 3]);
  close(ein('Ba', A), [1, 2, 3, 4, 5, 6], [2, 3]); // 'B' < 'a': no transpose
  close(ein('aB', A), [1, 4, 2, 5, 3, 6], [3, 2]);
  close(ein('ii', f64([1, 2, 3, 4], [2, 2])), [5], []); // trace
  close(ein('i,i', f64([1, 2, 3]), f64([4, 5, 6])), [32], []);
});

test('diagonals, sums, outer products', () => {
  const S = f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
  close(ein('ii->i', S), [1, 5, 9], [3]);
  close(ein('ij->', S), [45], []);
  close(ein('ij->j', S), [12, 15, 18], [3]);
  close(ein('i,j->ij', f64([1, 2]), f64([3, 4, 5])), [3, 4, 5, 6, 8, 10], [2, 3]);
  const T = f64(
    Array.from({ length: 12 }, (_, i) => i),
    [2, 2, 3],
  );
  close(ein('iij->ij', T), [0, 1, 2, 9, 10, 11], [2, 3]);
  close(
    ein(
      'iji->j',
      f64(
        Array.from({ length: 12 }, (_, i) => i),
        [2, 3, 2],
      ),
    ),
    [0 + 7, 2 + 9, 4 + 11],
    [3],
  );
  close(
    ein(
      'iiii->i',
      f64(
        Array.from({ length: 16 }, (_, i) => i),
        [2, 2, 2, 2],
      ),
    ),
    [0, 15],
    [2],
  );
});

test('ellipsis: batch dims, numpy broadcasting, implicit placement first, omitted from an explicit output', () => {
  const X = f64(
    Array.from({ length: 12 }, (_, i) => i),
    [2, 2, 3],
  );
  close(ein('...ij->...ji', X), [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11], [2, 3, 2]);
  close(ein('...ii->...i', f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])), [1, 4, 5, 8], [2, 2]);
  // [2,1,2,3] x [5,3,1] -> [2,5,2,1]
  const P = f64(
    Array.from({ length: 12 }, (_, i) => i + 1),
    [2, 1, 2, 3],
  );
  const Q = f64(
    Array.from({ length: 15 }, (_, i) => (i % 4) - 1),
    [5, 3, 1],
  );
  const y = ein('...ij,...jk', P, Q);
  assert.deepEqual([...y.dims], [2, 5, 2, 1]);
  const mmB = runOp('MatMul', [P, Q]);
  close(y, mmB.toNumbers(), [2, 5, 2, 1]);
  // ellipsis left out of the output is summed over
  close(ein('...ij->ij', X), [6, 8, 10, 12, 14, 16], [2, 3]);
  close(ein('i...->...', X), [6, 8, 10, 12, 14, 16], [2, 3]);
  close(ein('...', X), X.toNumbers(), [2, 2, 3]);
});

test('three operands, scalars, empty sums, size-1 letters broadcast', () => {
  const u = f64([1, 2]),
    v = f64([3, 4]),
    w = f64([5, 6]);
  close(ein('i,i,i->', u, v, w), [1 * 3 * 5 + 2 * 4 * 6], []);
  close(ein('ij,jk,kl->il', A, B, f64([1, 1], [2, 1])), [15, 33], [2, 1]);
  close(ein(',->', f64([3], []), f64([4], [])), [12], []);
  close(ein('ij,->ij', A, f64([2], [])), [2, 4, 6, 8, 10, 12], [2, 3]);
  close(ein('ij,jk->ik', f64([], [2, 0]), f64([], [0, 3])), [0, 0, 0, 0, 0, 0], [2, 3]);
  close(ein('ij,ij->ij', f64([1, 2, 3], [1, 3]), A), [1, 4, 9, 4, 10, 18], [2, 3]);
});

test('integer einsum: int32 wraps, int64 exact', () => {
  exact(runOp('Einsum', [i32([65536, 1]), i32([65536, 5])], { equation: 'i,i' }), 'int32', [5], []);
  exact(
    runOp('Einsum', [i64([3000000000, 1]), i64([3000000000, 5])], { equation: 'i,i->' }),
    'int64',
    [9000000000000000005n],
    [],
  );
  exact(runOp('Einsum', [t('uint8', [1, 2, 3, 4], [2, 2])], { equation: 'ij->ji' }), 'uint8', [1, 3, 2, 4], [2, 2]);
});

test('malformed equations and shapes are rejected with the rule', () => {
  assert.throws(() => ein('ij,jk->ik', A), /2 input term/);
  assert.throws(() => ein('ijk', A), /rank 2/);
  assert.throws(() => ein('ij->iz', A), /'z' does not occur/);
  assert.throws(() => ein('ij->ii', A), /repeats/);
  assert.throws(() => ein('ij,ij->ij', A, B), /size/);
  assert.throws(() => ein('i1', A), /only letters/);
  assert.throws(() => ein('ii', A), /size 2 in one place and 3/);
  assert.throws(() => ein('i....j', A), /ellipsis|letters/);
});

test('infer: symbolic dims flow through labels', () => {
  const [y] = inferOp(
    'Einsum',
    [
      { dtype: 'float32', shape: ['b', 'h', 'q', 64] },
      { dtype: 'float32', shape: ['b', 'h', 'k', 64] },
    ],
    { equation: 'bhqd,bhkd->bhqk' },
  );
  assert.deepEqual(y!.shape, ['b', 'h', 'q', 'k']);
  const [z] = inferOp(
    'Einsum',
    [
      { dtype: 'float32', shape: [1, 5, 3] },
      { dtype: 'float32', shape: [4, 3, 2] },
    ],
    { equation: '...ij,...jk' },
  );
  assert.deepEqual(z!.shape, [4, 5, 2]);
  assert.throws(
    () =>
      inferOp(
        'Einsum',
        [
          { dtype: 'float32', shape: [2] },
          { dtype: 'int32', shape: [2] },
        ],
        { equation: 'i,i' },
      ),
    /element types differ/,
  );
});
