import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, f32, f64, inferOp, runOnnxNode, runOp, t } from './math-helpers.js';

const softmax = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b);
  return e.map((x) => x / s);
};

test('Softmax, LogSoftmax and Hardmax along an axis (opset 13 semantics)', () => {
  const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  close(runOp('Softmax', [x], {}), [...softmax([1, 2, 3]), ...softmax([4, 5, 6])], [2, 3]);
  const s0 = [0, 1, 2].map((j) => softmax([1 + j, 4 + j]));
  close(
    runOp('Softmax', [x], { axis: 0 }),
    [s0[0]![0]!, s0[1]![0]!, s0[2]![0]!, s0[0]![1]!, s0[1]![1]!, s0[2]![1]!],
    [2, 3],
  );
  close(runOp('LogSoftmax', [x], { axis: -1 }), [...softmax([1, 2, 3]), ...softmax([4, 5, 6])].map(Math.log), [2, 3]);
  close(runOp('Hardmax', [x], { axis: 0 }), [0, 0, 0, 1, 1, 1], [2, 3]);
});

test('large inputs do not overflow; LogSoftmax keeps precision where Softmax underflows', () => {
  close(runOp('Softmax', [f32([1000, 1001, 1002, 1003], [4])], {}), softmax([0, 1, 2, 3]), [4], 1e-6);
  close(runOp('LogSoftmax', [f64([0, -1000], [2])], {}), [0, -1000], [2], 1e-12);
  close(runOp('Softmax', [f32([-Infinity, 0], [2])], {}), [0, 1], [2]);
  close(runOp('Softmax', [f32([NaN, 0], [2])], {}), [NaN, NaN], [2]);
});

test('Hardmax: ties pick the first maximum; NaN counts as the maximum', () => {
  close(runOp('Hardmax', [f32([3, 3, 1], [3])], {}), [1, 0, 0], [3]);
  close(runOp('Hardmax', [f32([3, NaN, 1, NaN], [4])], {}), [0, 1, 0, 0], [4]);
});

test('opset < 13: input coerced to 2-D at axis (default 1)', () => {
  const v = Array.from({ length: 24 }, (_, i) => (i % 5) - 2);
  const x = f32(v, [2, 3, 4]);
  // default axis 1: rows of 12
  const want1 = [...softmax(v.slice(0, 12)), ...softmax(v.slice(12))];
  close(runOnnxNode(11, 'Softmax', [x])[0]!, want1, [2, 3, 4], 1e-6);
  close(runOnnxNode(1, 'LogSoftmax', [x])[0]!, want1.map(Math.log), [2, 3, 4], 1e-5);
  // axis 2: rows of 4
  const want2 = Array.from({ length: 6 }, (_, r) => softmax(v.slice(4 * r, 4 * r + 4))).flat();
  close(runOnnxNode(11, 'Softmax', [x], { axis: 2 })[0]!, want2, [2, 3, 4], 1e-6);
  // axis 0: one row of 24
  close(runOnnxNode(11, 'Softmax', [x], { axis: 0 })[0]!, softmax(v), [2, 3, 4], 1e-6);
  // axis -1 in opset 11 is the last axis
  close(runOnnxNode(11, 'Softmax', [x], { axis: -1 })[0]!, want2, [2, 3, 4], 1e-6);
  // Hardmax-11 picks one 1 per coerced row
  const h = runOnnxNode(11, 'Hardmax', [x])[0]!.toNumbers();
  assert.equal(
    h.reduce((a, b) => a + b),
    2,
  );
  // opset 13 default axis is -1 (rows of 4)
  close(runOnnxNode(13, 'Softmax', [x])[0]!, want2, [2, 3, 4], 1e-6);
});

test('float16 in and out; empty tensors; infer checks axis and type', () => {
  const y = runOp('Softmax', [t('float16', [0, 0], [2])], {});
  assert.equal(y.type, 'float16');
  close(y, [0.5, 0.5], [2], 0);
  close(runOp('Softmax', [f32([], [0, 3])], {}), [], [0, 3]);
  close(runOp('LogSoftmax', [f32([], [3, 0])], {}), [], [3, 0]);
  assert.deepEqual(inferOp('Softmax', [{ dtype: 'float32', shape: ['b', 'n'] }], {})[0], {
    dtype: 'float32',
    shape: ['b', 'n'],
  });
  assert.throws(() => inferOp('Softmax', [{ dtype: 'float32', shape: [2, 3] }], { axis: 2 }), /out of range/);
  assert.throws(() => inferOp('Softmax', [{ dtype: 'int32', shape: [2, 3] }], {}), /type/);
});
