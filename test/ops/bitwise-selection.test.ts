import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cst, exact, f32, i64, inferOp, runOp, runOpN, t } from './math-helpers.js';

const nums = (x: { toNumbers(): number[] }) => x.toNumbers();

test('BitShift: bits past the width are lost, shifts by the width or more give 0', () => {
  exact(
    runOp('BitShift', [t('uint8', [1, 0x81, 255]), t('uint8', [7, 1, 8])], { direction: 'LEFT' }),
    'uint8',
    [128, 2, 0],
    [3],
  );
  exact(
    runOp('BitShift', [t('uint32', [0x80000000, 16]), t('uint32', [31, 2])], { direction: 'RIGHT' }),
    'uint32',
    [1, 4],
    [2],
  );
  const u64 = runOp('BitShift', [t('uint64', [1n]), t('uint64', [63n])], { direction: 'LEFT' });
  assert.equal(u64.data[0], 2n ** 63n);
  assert.throws(() => runOp('BitShift', [t('int8', [1]), t('int8', [1])], { direction: 'LEFT' }), /uint8/);
  assert.throws(() => runOp('BitShift', [t('uint8', [1]), t('uint8', [1])], { direction: 'UP' }), /LEFT or RIGHT/);
});

test('Bitwise And/Or/Xor/Not on signed and unsigned widths, with broadcasting', () => {
  exact(runOp('BitwiseAnd', [t('int16', [-1, 12], [2]), t('int16', [0x0f0f], [1])]), 'int16', [0x0f0f, 12], [2]);
  exact(runOp('BitwiseOr', [t('uint32', [0x80000000]), t('uint32', [1])]), 'uint32', [0x80000001], [1]);
  exact(runOp('BitwiseXor', [t('int8', [-128, 5]), t('int8', [127, 5])]), 'int8', [-1, 0], [2]);
  exact(runOp('BitwiseNot', [t('uint8', [0, 5])]), 'uint8', [255, 250], [2]);
  exact(runOp('BitwiseNot', [t('int32', [0, -1])]), 'int32', [-1, 0], [2]);
  assert.equal(runOp('BitwiseNot', [t('uint64', [0n])]).data[0], 2n ** 64n - 1n);
  assert.throws(() => runOp('BitwiseAnd', [f32([1]), f32([1])]), /A has type f32/);
});

test('BitCast keeps the bits: float32 1.0 is 0x3f800000, and widths must agree', () => {
  exact(runOp('BitCast', [f32([1, -2])], { to: 6 }), 'int32', [0x3f800000, -0x40000000], [2]);
  exact(runOp('BitCast', [t('int8', [-1, 2])], { to: 2 }), 'uint8', [255, 2], [2]);
  exact(runOp('BitCast', [t('uint4', [15, 8])], { to: 22 }), 'int4', [-1, -8], [2]);
  assert.throws(() => runOp('BitCast', [f32([1])], { to: 7 }), /equal widths/);
});

test('CumProd: exclusive starts at 1, reverse runs from the end, int32 wraps', () => {
  exact(runOp('CumProd', [f32([1, 2, 3, 4]), cst(i64([0], []))]), 'float32', [1, 2, 6, 24], [4]);
  exact(
    runOp('CumProd', [f32([1, 2, 3, 4]), cst(i64([0], []))], { exclusive: 1, reverse: 1 }),
    'float32',
    [24, 12, 4, 1],
    [4],
  );
  exact(runOp('CumProd', [t('int32', [65536, 65536, 3]), cst(i64([0], []))]), 'int32', [65536, 0, 0], [3]);
  exact(runOp('CumProd', [f32([1, 2, 3, 4], [2, 2]), cst(i64([-1], []))]), 'float32', [1, 2, 3, 12], [2, 2]);
});

test('Compress keeps the slices where condition holds; no axis flattens', () => {
  const x = f32([1, 2, 3, 4, 5, 6], [3, 2]);
  exact(runOp('Compress', [x, t('bool', [0, 1, 1])], { axis: 0 }), 'float32', [3, 4, 5, 6], [2, 2]);
  exact(runOp('Compress', [x, t('bool', [1, 0])], { axis: -1 }), 'float32', [1, 3, 5], [3, 1]);
  exact(runOp('Compress', [x, t('bool', [0, 0, 0, 1])]), 'float32', [4], [1]);
  assert.deepEqual(
    inferOp('Compress', [{ dtype: 'float32', shape: [3, 2] }, cst(t('bool', [1, 0, 1]))], { axis: 0 })[0]!.shape,
    [2, 2],
  );
  assert.throws(() => runOp('Compress', [x, t('bool', [1, 1, 1, 1])], { axis: 0 }), /condition has 4 values/);
});

test('Unique: sorted values, first indices, inverse indices and counts (numpy.unique semantics)', () => {
  const [y, idx, inv, cnt] = runOpN('Unique', [f32([2, 1, 1, 3, 4, 3])], {}, 4);
  assert.deepEqual(
    [nums(y!), nums(idx!), nums(inv!), nums(cnt!)],
    [
      [1, 2, 3, 4],
      [1, 0, 3, 4],
      [1, 0, 0, 2, 3, 2],
      [2, 1, 2, 1],
    ],
  );
  const [u] = runOpN('Unique', [f32([2, 1, 1, 3, 4, 3])], { sorted: 0 }, 4);
  assert.deepEqual(nums(u!), [2, 1, 3, 4]);
  // rows of a matrix along axis 0: [1,0] twice, [0,1] once
  const [r, , ri, rc] = runOpN('Unique', [f32([1, 0, 0, 1, 1, 0], [3, 2])], { axis: 0 }, 4);
  assert.deepEqual(
    [r!.dims, nums(r!), nums(ri!), nums(rc!)],
    [
      [2, 2],
      [0, 1, 1, 0],
      [1, 0, 1],
      [1, 2],
    ],
  );
});

test('OneHot: the new axis, negative and out-of-range indices, custom off/on values', () => {
  exact(
    runOp('OneHot', [i64([0, -1, 5]), cst(f32([3], [])), f32([0, 1])]),
    'float32',
    [1, 0, 0, 0, 0, 1, 0, 0, 0],
    [3, 3],
  );
  exact(
    runOp('OneHot', [i64([1, 2]), cst(f32([3], [])), t('int32', [-1, 7])], { axis: 0 }),
    'int32',
    [-1, -1, 7, -1, -1, 7],
    [3, 2],
  );
  assert.deepEqual(
    inferOp('OneHot', [{ dtype: 'int64', shape: [2, 5] }, cst(f32([4], [])), { dtype: 'float32', shape: [2] }], {
      axis: 1,
    })[0]!.shape,
    [2, 4, 5],
  );
});

test('DepthToSpace (DCR and CRD) and SpaceToDepth undo each other', () => {
  const x = f32([...Array(8).keys()], [1, 4, 1, 2]);
  // DCR: depth index = (bh*2 + bw)*C' + c with C' = 1
  exact(runOp('DepthToSpace', [x], { blocksize: 2 }), 'float32', [0, 2, 1, 3, 4, 6, 5, 7], [1, 1, 2, 4]);
  exact(runOp('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' }), 'float32', [0, 2, 1, 3, 4, 6, 5, 7], [1, 1, 2, 4]);
  // two output channels tell the orders apart: DCR interleaves channels, CRD keeps them together
  const w = f32([...Array(8).keys()], [1, 8, 1, 1]);
  exact(runOp('DepthToSpace', [w], { blocksize: 2 }), 'float32', [0, 2, 4, 6, 1, 3, 5, 7], [1, 2, 2, 2]);
  exact(runOp('DepthToSpace', [w], { blocksize: 2, mode: 'CRD' }), 'float32', [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 2, 2]);
  const y = f32([...Array(16).keys()], [1, 4, 2, 2]);
  const crd = runOp('DepthToSpace', [y], { blocksize: 2, mode: 'CRD' });
  const dcr = runOp('DepthToSpace', [y], { blocksize: 2 });
  assert.deepEqual(nums(crd), nums(dcr)); // one output channel: the orders coincide
  assert.deepEqual(nums(runOp('SpaceToDepth', [dcr], { blocksize: 2 })), nums(y));
  const z = f32([...Array(32).keys()], [1, 8, 2, 2]);
  assert.deepEqual(
    nums(runOp('SpaceToDepth', [runOp('DepthToSpace', [z], { blocksize: 2 })], { blocksize: 2 })),
    nums(z),
  );
  assert.throws(() => runOp('DepthToSpace', [f32([1, 2, 3], [1, 3, 1, 1])], { blocksize: 2 }), /multiple of blocksize/);
});

test('ReverseSequence reverses the first sequence_lens[b] steps of each batch entry', () => {
  // time-major [T=3, B=2]
  const x = f32([0, 10, 1, 11, 2, 12], [3, 2]);
  exact(runOp('ReverseSequence', [x, i64([3, 2])]), 'float32', [2, 11, 1, 10, 0, 12], [3, 2]);
  // batch-major [B=2, T=3]
  exact(
    runOp('ReverseSequence', [f32([0, 1, 2, 10, 11, 12], [2, 3]), i64([1, 3])], { batch_axis: 0, time_axis: 1 }),
    'float32',
    [0, 1, 2, 12, 11, 10],
    [2, 3],
  );
  assert.throws(() => runOp('ReverseSequence', [x, i64([4, 1])]), /outside \[0, 3\]/);
});

test('Swish is x * sigmoid(alpha * x)', () => {
  const y = nums(runOp('Swish', [f32([0, 2])], { alpha: 0.5 }));
  assert.equal(y[0], 0);
  assert.ok(Math.abs(y[1]! - 2 / (1 + Math.exp(-1))) < 1e-6);
  // SwiGLU(a, b) = Swish(a) * b, b broadcast
  const g = nums(runOp('SwiGLU', [f32([0, 2], [2]), f32([3], [1])]));
  assert.deepEqual([g[0], Math.abs(g[1]! - (3 * 2) / (1 + Math.exp(-2))) < 1e-5], [0, true]);
});

test('Det of a batch of matrices (with a row swap, a singular one and 1x1)', () => {
  // det [[0,1],[2,3]] = -2 (needs a pivot swap); [[1,2],[2,4]] is singular
  const y = runOp('Det', [f32([0, 1, 2, 3, 1, 2, 2, 4], [2, 2, 2])]);
  assert.deepEqual([y.dims, nums(y)], [[2], [-2, 0]]);
  const d3 = nums(runOp('Det', [f32([2, -3, 1, 2, 0, -1, 1, 4, 5], [3, 3])]))[0]!;
  assert.ok(Math.abs(d3 - 49) < 1e-5, `${d3}`);
  assert.deepEqual(nums(runOp('Det', [f32([7], [1, 1])])), [7]);
  assert.throws(() => runOp('Det', [f32([1, 2], [1, 2])]), /square/);
});
