import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, cst, exact, f32, f64, i32, i64, inferOp, runOnnxNode, runOp, t } from './math-helpers.js';

const X = [1, 2, 3, 4, 5, 6]; // [2,3]
const ax = (...a: number[]) => cst(i64(a));

test('each reduction over one axis, keepdims on and off', () => {
  const x = f64(X, [2, 3]);
  const want: Record<string, [number[], number[]]> = {
    ReduceSum: [
      [6, 15],
      [5, 7, 9],
    ],
    ReduceMean: [
      [2, 5],
      [2.5, 3.5, 4.5],
    ],
    ReduceMax: [
      [3, 6],
      [4, 5, 6],
    ],
    ReduceMin: [
      [1, 4],
      [1, 2, 3],
    ],
    ReduceProd: [
      [6, 120],
      [4, 10, 18],
    ],
    ReduceL1: [
      [6, 15],
      [5, 7, 9],
    ],
    ReduceL2: [
      [Math.sqrt(14), Math.sqrt(77)],
      [Math.sqrt(17), Math.sqrt(29), Math.sqrt(45)],
    ],
    ReduceSumSquare: [
      [14, 77],
      [17, 29, 45],
    ],
    ReduceLogSum: [
      [Math.log(6), Math.log(15)],
      [Math.log(5), Math.log(7), Math.log(9)],
    ],
    ReduceLogSumExp: [
      [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(5) + Math.exp(6))],
      [Math.log(Math.exp(1) + Math.exp(4)), Math.log(Math.exp(2) + Math.exp(5)), Math.log(Math.exp(3) + Math.exp(6))],
    ],
  };
  for (const [op, [rows, cols]] of Object.entries(want)) {
    close(runOp(op, [x, ax(1)], { keepdims: 1 }), rows, [2, 1]);
    close(runOp(op, [x, ax(-1)], { keepdims: 0 }), rows, [2]);
    close(runOp(op, [x, ax(0)], { keepdims: 0 }), cols, [3]);
    close(runOp(op, [x, ax(-2)], { keepdims: 1 }), cols, [1, 3]);
  }
});

test('no axes reduces everything; noop_with_empty_axes keeps every axis but still applies the elementwise steps', () => {
  const x = f64([-1, 2, -3, 4], [2, 2]);
  close(runOp('ReduceSum', [x], {}), [2], [1, 1]);
  close(runOp('ReduceSum', [x, cst(i64([], [0]))], { keepdims: 0 }), [2], []);
  close(runOp('ReduceSum', [x], { noop_with_empty_axes: 1 }), [-1, 2, -3, 4], [2, 2]);
  close(runOp('ReduceMean', [x, cst(i64([], [0]))], { noop_with_empty_axes: 1 }), [-1, 2, -3, 4], [2, 2]);
  close(runOp('ReduceSumSquare', [x], { noop_with_empty_axes: 1 }), [1, 4, 9, 16], [2, 2]);
  close(runOp('ReduceL1', [x], { noop_with_empty_axes: 1 }), [1, 2, 3, 4], [2, 2]);
  close(runOp('ReduceL2', [x], { noop_with_empty_axes: 1 }), [1, 2, 3, 4], [2, 2]);
  close(runOp('ReduceLogSum', [f64([1, 2], [2])], { noop_with_empty_axes: 1 }), [0, Math.log(2)], [2]);
  close(runOp('ReduceLogSumExp', [x], { noop_with_empty_axes: 1 }), [-1, 2, -3, 4], [2, 2]);
  // a scalar: nothing to reduce, but the elementwise steps apply
  close(runOp('ReduceSumSquare', [f32([3], [])], {}), [9], []);
  close(runOp('ReduceMax', [f32([3], [])], { keepdims: 0 }), [3], []);
});

test("reductions over an empty set yield each reduction's identity", () => {
  const e = f32([], [2, 0, 3]);
  const want: Record<string, number> = {
    ReduceSum: 0,
    ReduceMean: NaN,
    ReduceMax: -Infinity,
    ReduceMin: Infinity,
    ReduceProd: 1,
    ReduceL1: 0,
    ReduceL2: 0,
    ReduceSumSquare: 0,
    ReduceLogSum: -Infinity,
    ReduceLogSumExp: -Infinity,
  };
  for (const [op, v] of Object.entries(want)) {
    close(runOp(op, [e, ax(1)], { keepdims: 1 }), Array(6).fill(v), [2, 1, 3]);
    close(runOp(op, [e], { keepdims: 0 }), [v], []);
    // the reduced axis is not the empty one: an empty result
    close(runOp(op, [e, ax(2)], { keepdims: 0 }), [], [2, 0]);
  }
  exact(runOp('ReduceMax', [t('int32', [], [0])], { keepdims: 0 }), 'int32', [-2147483648], []);
  exact(runOp('ReduceMin', [t('int8', [], [0])], { keepdims: 0 }), 'int8', [127], []);
  exact(runOp('ReduceMin', [t('uint8', [], [0])], { keepdims: 0 }), 'uint8', [255], []);
  exact(runOp('ReduceMax', [t('int64', [], [0])], { keepdims: 0 }), 'int64', [-(2n ** 63n)], []);
  exact(runOp('ReduceMin', [t('uint64', [], [0])], { keepdims: 0 }), 'uint64', [2n ** 64n - 1n], []);
  exact(runOp('ReduceMax', [t('bool', [], [0])], { keepdims: 0 }), 'bool', [0], []);
  exact(runOp('ReduceMin', [t('bool', [], [0])], { keepdims: 0 }), 'bool', [1], []);
  exact(runOp('ReduceProd', [t('int64', [], [0])], { keepdims: 0 }), 'int64', [1], []);
});

test('NaN propagates through Max and Min; LogSumExp is stable for large and infinite inputs', () => {
  close(runOp('ReduceMax', [f32([1, NaN, 3], [3])], { keepdims: 0 }), [NaN], []);
  close(runOp('ReduceMin', [f32([NaN, 1, 3], [3])], { keepdims: 0 }), [NaN], []);
  close(runOp('ReduceLogSumExp', [f32([1000, 1000], [2])], { keepdims: 0 }), [1000 + Math.log(2)], [], 1e-6);
  close(runOp('ReduceLogSumExp', [f64([-1000, -1000], [2])], { keepdims: 0 }), [-1000 + Math.log(2)], [], 1e-9);
  close(runOp('ReduceLogSumExp', [f32([1, Infinity], [2])], { keepdims: 0 }), [Infinity], []);
  close(runOp('ReduceLogSumExp', [f32([-Infinity, 0], [2])], { keepdims: 0 }), [0], []);
  close(runOp('ReduceLogSumExp', [f32([-Infinity, -Infinity], [2])], { keepdims: 0 }), [-Infinity], []);
});

test('integer reductions: exact, wrapping like C, mean truncates toward zero', () => {
  exact(runOp('ReduceSum', [i32([2147483647, 1], [2])], { keepdims: 0 }), 'int32', [-2147483648], []);
  exact(runOp('ReduceSum', [t('uint8', [200, 100], [2])], { keepdims: 0 }), 'uint8', [44], []);
  exact(runOp('ReduceSum', [i64([2n ** 62n, 2n ** 62n - 1n], [2])], { keepdims: 0 }), 'int64', [2n ** 63n - 1n], []);
  exact(runOp('ReduceProd', [i32([65536, 65536, 3], [3])], { keepdims: 0 }), 'int32', [0], []);
  exact(
    runOp('ReduceProd', [i64([3000000000, 3000000000], [2])], { keepdims: 0 }),
    'int64',
    [9000000000000000000n],
    [],
  );
  exact(runOp('ReduceMean', [i32([-7, 0], [2])], { keepdims: 0 }), 'int32', [-3], []);
  exact(runOp('ReduceMean', [i64([7, 0], [2])], { keepdims: 0 }), 'int64', [3], []);
  exact(runOp('ReduceSumSquare', [i32([-3, 4], [2])], { keepdims: 0 }), 'int32', [25], []);
  exact(runOp('ReduceL1', [i64([-3, 4], [2])], { keepdims: 0 }), 'int64', [7], []);
  exact(runOp('ReduceL2', [i32([3, 4], [2])], { keepdims: 0 }), 'int32', [5], []);
  exact(runOp('ReduceMax', [t('uint32', [4000000000, 5], [2])], { keepdims: 0 }), 'uint32', [4000000000], []);
  exact(runOp('ReduceMin', [t('uint64', [2n ** 63n, 5n], [2])], { keepdims: 0 }), 'uint64', [5], []);
});

test('bool ReduceMax is any and ReduceMin is all', () => {
  const b = t('bool', [1, 0, 0, 0, 1, 1], [3, 2]);
  exact(runOp('ReduceMax', [b, ax(1)], { keepdims: 0 }), 'bool', [1, 0, 1], [3]);
  exact(runOp('ReduceMin', [b, ax(1)], { keepdims: 0 }), 'bool', [0, 0, 1], [3]);
  assert.throws(() => runOp('ReduceSum', [b]), /type/);
});

test('float16 reductions compute in wide precision and round once', () => {
  const h = runOp('ReduceSum', [t('float16', [1, 2 ** -11, 2 ** -11], [3])], { keepdims: 0 });
  assert.equal(h.type, 'float16');
  close(h, [1 + 2 ** -10], [], 0);
});

test('older opsets: axes attribute moves to an input', () => {
  const x = f32(X, [2, 3]);
  close(runOnnxNode(11, 'ReduceSum', [x], { axes: [1], keepdims: 0 })[0]!, [6, 15], [2]);
  close(runOnnxNode(1, 'ReduceSum', [x], {})[0]!, [21], [1, 1]);
  close(runOnnxNode(13, 'ReduceMean', [x], { axes: [0] })[0]!, [2.5, 3.5, 4.5], [1, 3]);
  close(
    runOnnxNode(11, 'ReduceLogSumExp', [x], { axes: [-1], keepdims: 0 })[0]!,
    [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(5) + Math.exp(6))],
    [2],
    1e-6,
  );
  close(runOnnxNode(12, 'ReduceMax', [x], { axes: [0, 1], keepdims: 0 })[0]!, [6], []);
  close(runOnnxNode(13, 'ReduceSum', [x, i64([0])], { keepdims: 0 })[0]!, [5, 7, 9], [3]);
  close(runOnnxNode(18, 'ReduceL2', [x], { keepdims: 0 })[0]!, [Math.sqrt(91)], []);
});

test('infer: constant axes give exact dims; run-time axes give fresh dims; bad axes are rejected', () => {
  const [a] = inferOp('ReduceSum', [{ dtype: 'float32', shape: ['b', 4, 5] }, ax(-1)], { keepdims: 0 });
  assert.deepEqual(a!.shape, ['b', 4]);
  const [b] = inferOp(
    'ReduceMean',
    [
      { dtype: 'float32', shape: ['b', 4, 5] },
      { dtype: 'int64', shape: [1] },
    ],
    { keepdims: 1 },
  );
  assert.equal(b!.shape!.length, 3);
  const [c] = inferOp(
    'ReduceMean',
    [
      { dtype: 'float32', shape: ['b', 4, 5] },
      { dtype: 'int64', shape: [2] },
    ],
    { keepdims: 0 },
  );
  assert.equal(c!.shape!.length, 1);
  const [d] = inferOp('ReduceMax', [{ dtype: 'float32' }], {});
  assert.equal(d!.shape, undefined);
  assert.throws(() => inferOp('ReduceSum', [{ dtype: 'float32', shape: [2, 3] }, ax(2)]), /out of range/);
  assert.throws(() => inferOp('ReduceSum', [{ dtype: 'float32', shape: [2, 3] }, ax(1, -1)]), /repeats/);
  assert.throws(() => inferOp('ReduceSum', [{ dtype: 'float32', shape: [2, 3] }, cst(f32([1]))]), /axes/);
});
