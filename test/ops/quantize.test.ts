import assert from 'node:assert/strict';
import { test } from 'node:test';
import { close, exact, f32, i32, inferOp, runOnnxNode, runOp, runOpN, t } from './math-helpers.js';

const s = (v: number) => f32([v], []);

test('QuantizeLinear per tensor: default uint8, round half to even, saturation', () => {
  const x = f32([0, 1, 3, 5, 7, -1, 1000, -1000], [8]);
  exact(runOp('QuantizeLinear', [x, s(2)]), 'uint8', [0, 0, 2, 2, 4, 0, 255, 0], [8]);
  exact(
    runOp('QuantizeLinear', [x, s(2), t('uint8', [128], [])]),
    'uint8',
    [128, 128, 130, 130, 132, 128, 255, 0],
    [8],
  );
  exact(runOp('QuantizeLinear', [x, s(2), t('int8', [0], [])]), 'int8', [0, 0, 2, 2, 4, 0, 127, -128], [8]);
  exact(runOp('QuantizeLinear', [f32([-3, -5, -7], [3]), s(2), t('int8', [1], [])]), 'int8', [-1, -1, -3], [3]);
  exact(
    runOp('QuantizeLinear', [x, s(0.01), t('int16', [0], [])]),
    'int16',
    [0, 100, 300, 500, 700, -100, 32767, -32768],
    [8],
  );
  exact(
    runOp('QuantizeLinear', [x, s(0.01), t('uint16', [1000], [])]),
    'uint16',
    [1000, 1100, 1300, 1500, 1700, 900, 65535, 0],
    [8],
  );
});

test('QuantizeLinear output_dtype without a zero point, and its conflict with one', () => {
  exact(runOp('QuantizeLinear', [f32([-300, 3], [2]), s(1)], { output_dtype: 3 }), 'int8', [-128, 3], [2]);
  exact(runOp('QuantizeLinear', [f32([70000], [1]), s(1)], { output_dtype: 4 }), 'uint16', [65535], [1]);
  assert.throws(
    () => runOp('QuantizeLinear', [f32([1], [1]), s(1), t('uint8', [0], [])], { output_dtype: 3 }),
    /differs/,
  );
  // float8e4m3fn: 1000 saturates to 448, 0.3 rounds to 0.3125 (nearest even on a 3-bit mantissa)
  const f8 = runOp('QuantizeLinear', [f32([1000, 0.3], [2]), s(1)], { output_dtype: 17 });
  assert.deepEqual([f8.type, ...f8.toNumbers()], ['float8e4m3fn', 448, 0.3125]);
  assert.throws(() => runOp('QuantizeLinear', [f32([1], [1]), s(1)], { output_dtype: 14 }), /COMPLEX64/);
  assert.throws(() => runOp('QuantizeLinear', [f32([1], [1]), s(1)], { output_dtype: 6 }), /not allowed/);
});

test('QuantizeLinear per axis (default axis 1, negative axis) and blocked with a remainder block', () => {
  const x = f32([2, 4, 6, 8, 10, 12], [1, 3, 2]);
  exact(
    runOp('QuantizeLinear', [x, f32([1, 2, 4], [3]), t('uint8', [0, 10, 20], [3])]),
    'uint8',
    [2, 4, 13, 14, 22, 23],
    [1, 3, 2],
  );
  exact(runOp('QuantizeLinear', [x, f32([1, 2], [2])], { axis: -1 }), 'uint8', [2, 2, 6, 4, 10, 6], [1, 3, 2]);
  // x [2,5] blocked along axis 1 with block_size 2: scale [2,3]; the last block holds one column
  const xb = f32([1, 2, 3, 4, 5, 10, 20, 30, 40, 50], [2, 5]);
  const sb = f32([1, 2, 5, 10, 10, 50], [2, 3]);
  exact(
    runOp('QuantizeLinear', [xb, sb, t('uint8', [0, 0, 0, 0, 0, 0], [2, 3])], { axis: 1, block_size: 2 }),
    'uint8',
    [1, 2, 2, 2, 1, 1, 2, 3, 4, 1],
    [2, 5],
  );
  // blocked along axis 0
  exact(
    runOp('QuantizeLinear', [f32([4, 8, 12, 16, 20, 24], [3, 2]), f32([4, 8, 2, 4], [2, 2])], {
      axis: 0,
      block_size: 2,
    }),
    'uint8',
    [1, 1, 3, 2, 10, 6],
    [3, 2],
  );
  assert.throws(() => runOp('QuantizeLinear', [x, f32([1, 2], [2])]), /axis 1/);
  assert.throws(() => runOp('QuantizeLinear', [xb, f32([1, 2, 3, 4], [2, 2])], { axis: 1, block_size: 2 }), /blocks/);
  assert.throws(() => runOp('QuantizeLinear', [x, f32([1, 2, 4], [3]), t('uint8', [0], [])]), /shape of y_scale/);
});

test('QuantizeLinear division precision: the scale type or the precision attribute', () => {
  const x = f32([Math.fround(2.5000002)], [1]);
  exact(runOp('QuantizeLinear', [x, s(1)]), 'uint8', [3], [1]);
  // at float16 precision x rounds to 2.5, which rounds half to even
  exact(runOp('QuantizeLinear', [x, s(1)], { precision: 10 }), 'uint8', [2], [1]);
  exact(runOp('QuantizeLinear', [x, t('float16', [1], [])]), 'uint8', [2], [1]);
  exact(runOp('QuantizeLinear', [t('float16', [3, 5], [2]), t('float16', [2], [])]), 'uint8', [2, 2], [2]);
  exact(
    runOp('QuantizeLinear', [i32([7, -9, 1000], [3]), i32([2], []), t('int8', [0], [])]),
    'int8',
    [4, -4, 127],
    [3],
  );
});

test('QuantizeLinear non-finite inputs: +inf saturates high, -inf low, NaN to the minimum', () => {
  exact(
    runOp('QuantizeLinear', [f32([Infinity, -Infinity, NaN], [3]), s(1), t('int8', [5], [])]),
    'int8',
    [127, -128, -128],
    [3],
  );
});

test('DequantizeLinear: per tensor, per axis, blocked, int32, output types', () => {
  close(
    runOp('DequantizeLinear', [t('uint8', [0, 3, 128, 255], [4]), s(2), t('uint8', [128], [])]),
    [-256, -250, 0, 254],
    [4],
  );
  close(runOp('DequantizeLinear', [t('int8', [-128, 127], [2]), s(0.5)]), [-64, 63.5], [2]);
  close(runOp('DequantizeLinear', [i32([-2147483648, 5], [2]), s(1)]), [-2147483648, 5], [2]);
  close(runOp('DequantizeLinear', [t('uint16', [65535, 0], [2]), s(1), t('uint16', [1], [])]), [65534, -1], [2]);
  close(runOp('DequantizeLinear', [t('int16', [-32768], [1]), s(1), t('int16', [32767], [])]), [-65535], [1]);
  const x = t('uint8', [1, 2, 3, 4, 5, 6], [1, 3, 2]);
  close(
    runOp('DequantizeLinear', [x, f32([1, 10, 100], [3]), t('uint8', [1, 2, 3], [3])]),
    [0, 1, 10, 20, 200, 300],
    [1, 3, 2],
  );
  close(
    runOp('DequantizeLinear', [t('int8', [1, 2, 3, 4, 5], [1, 5]), f32([1, 10, 100], [1, 3])], {
      axis: 1,
      block_size: 2,
    }),
    [1, 2, 30, 40, 500],
    [1, 5],
  );
  const h = runOp('DequantizeLinear', [t('uint8', [3], [1]), t('float16', [0.5], [])]);
  assert.equal(h.type, 'float16');
  close(h, [1.5], [1], 0);
  const h2 = runOp('DequantizeLinear', [t('uint8', [3], [1]), s(0.1)], { output_dtype: 10 });
  assert.equal(h2.type, 'float16');
  close(h2, [0.30004883], [1], 1e-6);
  assert.throws(() => runOp('DequantizeLinear', [t('uint8', [3], [1]), s(1), t('int8', [0], [])]), /type/);
  assert.throws(() => runOp('DequantizeLinear', [t('uint8', [3], [1]), s(1)], { output_dtype: 7 }), /not allowed/);
});

test('older opsets import unchanged (10: per tensor; 13: per axis with axis)', () => {
  exact(
    runOnnxNode(10, 'QuantizeLinear', [f32([0, 2, 3, 1000], [4]), s(2), t('uint8', [128], [])])[0]!,
    'uint8',
    [128, 129, 130, 255],
    [4],
  );
  close(runOnnxNode(10, 'DequantizeLinear', [t('int8', [-4, 4], [2]), s(0.5), t('int8', [0], [])])[0]!, [-2, 2], [2]);
  exact(
    runOnnxNode(13, 'QuantizeLinear', [f32([2, 4, 6, 8], [2, 2]), f32([2, 4], [2])], { axis: 0 })[0]!,
    'uint8',
    [1, 2, 2, 2],
    [2, 2],
  );
  close(
    runOnnxNode(21, 'DequantizeLinear', [t('int16', [10, 20, 30, 40], [2, 2]), f32([1, 2], [2, 1])], {
      axis: 1,
      block_size: 2,
    })[0]!,
    [10, 20, 60, 80],
    [2, 2],
  );
});

test('DynamicQuantizeLinear matches the ONNX examples', () => {
  const cases: [number[], number, number, number[]][] = [
    [[0, 2, -3, -2.5, 1.34, 0.5], 0.019607843831181526, 153, [153, 255, 0, 26, 221, 179]],
    [[-1.0, -2.1, -1.3, -2.5, -3.34, -4.0], 0.01568627543747425, 255, [191, 121, 172, 96, 42, 0]],
    [
      [1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345],
      0.01568627543747425,
      0,
      [64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149],
    ],
  ];
  for (const [x, scale, zp, y] of cases) {
    const [q, sc, z] = runOpN('DynamicQuantizeLinear', [f32(x, [x.length])], {}, 3);
    exact(q!, 'uint8', y, [x.length]);
    assert.deepEqual([...sc!.dims], []);
    assert.equal(sc!.toNumbers()[0], scale);
    exact(z!, 'uint8', [zp], []);
  }
  const [q0, s0, z0] = runOpN('DynamicQuantizeLinear', [f32([0, 0], [2])], {}, 3);
  exact(q0!, 'uint8', [0, 0], [2]);
  assert.equal(s0!.toNumbers()[0], Math.fround(1 / 255));
  exact(z0!, 'uint8', [0], []);
});

test('infer: output types and granularity checks', () => {
  assert.deepEqual(
    inferOp('QuantizeLinear', [
      { dtype: 'float32', shape: ['n', 3] },
      { dtype: 'float32', shape: [] },
    ])[0],
    { dtype: 'uint8', shape: ['n', 3] },
  );
  assert.deepEqual(
    inferOp('QuantizeLinear', [
      { dtype: 'float32', shape: [2, 3] },
      { dtype: 'float32', shape: [3] },
      { dtype: 'int8', shape: [3] },
    ])[0],
    { dtype: 'int8', shape: [2, 3] },
  );
  assert.deepEqual(
    inferOp('DequantizeLinear', [
      { dtype: 'int8', shape: [2, 3] },
      { dtype: 'float16', shape: [] },
    ])[0],
    { dtype: 'float16', shape: [2, 3] },
  );
  assert.deepEqual(
    inferOp(
      'DequantizeLinear',
      [
        { dtype: 'int8', shape: [2, 3] },
        { dtype: 'float32', shape: [] },
      ],
      { output_dtype: 10 },
    )[0],
    { dtype: 'float16', shape: [2, 3] },
  );
  assert.throws(
    () =>
      inferOp('QuantizeLinear', [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float32', shape: [2] },
      ]),
    /axis 1/,
  );
  assert.throws(
    () =>
      inferOp('QuantizeLinear', [
        { dtype: 'float32', shape: [2, 3] },
        { dtype: 'float32', shape: [2, 3] },
      ]),
    /block_size/,
  );
  assert.throws(
    () =>
      inferOp('DequantizeLinear', [
        { dtype: 'float32', shape: [2] },
        { dtype: 'float32', shape: [] },
      ]),
    /type/,
  );
  const ys = inferOp('DynamicQuantizeLinear', [{ dtype: 'float32', shape: ['n'] }]);
  assert.deepEqual(ys, [
    { dtype: 'uint8', shape: ['n'] },
    { dtype: 'float32', shape: [] },
    { dtype: 'uint8', shape: [] },
  ]);
});
