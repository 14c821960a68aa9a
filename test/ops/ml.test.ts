// ai.onnx.ml ops the conformance suite does not cover (Scaler, Normalizer, LinearRegressor,
// LinearClassifier, TreeEnsemble beyond its one case), against values worked out by hand from the
// ONNX-ML operator spec.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f32, i64, runOp, runOpN, type Tensor, t } from './math-helpers.js';

function close(got: Tensor, want: number[], dims: number[], what: string) {
  assert.deepEqual(got.dims, dims, `${what} dims`);
  const g = Array.from(got.data as Float32Array);
  g.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${what}[${i}] = ${v}, want ${want[i]}`));
  assert.equal(g.length, want.length, `${what} size`);
}

test('Scaler: (x - offset) · scale per column, and one offset/scale for every column', () => {
  const x = f32([1, 2, 3, 4], [2, 2]);
  close(runOp('ml.Scaler', [x], { offset: [1, 2], scale: [2, 0.5] }), [0, 0, 4, 1], [2, 2], 'per column');
  close(runOp('ml.Scaler', [x], { offset: [1], scale: [3] }), [0, 3, 6, 9], [2, 2], 'shared');
  const y = runOp('ml.Scaler', [i64([5, 7], [1, 2])], { offset: [1, 1], scale: [1, 2] });
  assert.equal(y.type, 'float32');
  close(y, [4, 12], [1, 2], 'int64 input');
});

test('Normalizer: MAX, L1 and L2 per row', () => {
  const x = f32([3, 4, -1, 2], [2, 2]);
  close(runOp('ml.Normalizer', [x], { norm: 'MAX' }), [0.75, 1, -0.5, 1], [2, 2], 'MAX');
  close(runOp('ml.Normalizer', [x], { norm: 'L1' }), [3 / 7, 4 / 7, -1 / 3, 2 / 3], [2, 2], 'L1');
  const r5 = Math.sqrt(5);
  close(runOp('ml.Normalizer', [x], { norm: 'L2' }), [0.6, 0.8, -1 / r5, 2 / r5], [2, 2], 'L2');
  assert.throws(() => runOp('ml.Normalizer', [x], { norm: 'L3' }), /MAX, L1 or L2/);
});

test('LinearRegressor: two targets with intercepts', () => {
  const y = runOp('ml.LinearRegressor', [f32([1, 2, 3, 4], [2, 2])], {
    coefficients: [0.5, -1, 2, 1],
    intercepts: [1, 0],
    targets: 2,
  });
  close(y, [-0.5, 4, -1.5, 10], [2, 2], 'Y');
  assert.throws(
    () => runOp('ml.LinearRegressor', [f32([1, 2, 3], [1, 3])], { coefficients: [1, 2], targets: 1 }),
    /coefficients has 2 values, expected 1 × 3/,
  );
});

test('LinearClassifier: argmax over three classes; one score column thresholded after LOGISTIC', () => {
  const [y, z] = runOpN(
    'ml.LinearClassifier',
    [f32([2, 1, 0, 3, -2, -2], [3, 2])],
    {
      coefficients: [1, 0, 0, 1, -1, -1],
      intercepts: [0, 0, 1],
      classlabels_ints: [10, 20, 30],
    },
    2,
  );
  assert.deepEqual(Array.from(y!.data as BigInt64Array), [10n, 20n, 30n]);
  close(z!, [2, 1, -2, 0, 3, -2, -2, -2, 5], [3, 3], 'Z');
  const [yb, zb] = runOpN(
    'ml.LinearClassifier',
    [f32([2, 1, 1, 3], [2, 2])],
    {
      coefficients: [1, -1],
      intercepts: [0],
      classlabels_strings: ['no', 'yes'],
      post_transform: 'LOGISTIC',
    },
    2,
  );
  assert.deepEqual(yb!.data, ['yes', 'no']);
  close(zb!, [1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(2))], [2, 1], 'binary Z');
});

// Tree A (root 0): x0 <= 0.5 ? leaf0 (t0, 1) : (x1 in {1, 3} ? leaf1 (t1, 2) : leaf2 (t0, 3)).
// Tree B (root 2): x1 > 2, NaN going true ? leaf3 (t1, 4) : leaf4 (t0, 5).
const forest = (aggregate: number) => ({
  n_targets: 2,
  aggregate_function: aggregate,
  tree_roots: [0, 2],
  nodes_featureids: [0, 1, 1],
  nodes_modes: t('uint8', [0, 6, 3], [3]),
  nodes_splits: f32([0.5, 0, 2], [3]),
  nodes_truenodeids: [0, 1, 3],
  nodes_trueleafs: [1, 1, 1],
  nodes_falsenodeids: [1, 2, 4],
  nodes_falseleafs: [0, 1, 1],
  nodes_missing_value_tracks_true: [0, 0, 1],
  membership_values: f32([1, 3, NaN], [3]),
  leaf_targetids: [0, 1, 0, 1, 0],
  leaf_weights: f32([1, 2, 3, 4, 5], [5]),
});

test('TreeEnsemble: LEQ, MEMBER and GT with missing values; SUM, AVERAGE and MAX', () => {
  const x = f32([0, 1, 1, 1, 1, 5, 1, NaN], [4, 2]);
  close(runOp('ml.TreeEnsemble', [x], forest(1)), [6, 0, 5, 2, 3, 4, 3, 4], [4, 2], 'SUM');
  close(runOp('ml.TreeEnsemble', [x], forest(0)), [3, 0, 2.5, 1, 1.5, 2, 1.5, 2], [4, 2], 'AVERAGE');
  close(runOp('ml.TreeEnsemble', [x], forest(3)), [5, 0, 5, 2, 3, 4, 3, 4], [4, 2], 'MAX');
  const soft = runOp('ml.TreeEnsemble', [x], { ...forest(1), post_transform: 1 });
  const pair = (a: number, b: number) => [1 / (1 + Math.exp(b - a)), 1 / (1 + Math.exp(a - b))];
  close(soft, [...pair(6, 0), ...pair(5, 2), ...pair(3, 4), ...pair(3, 4)], [4, 2], 'SOFTMAX');
  assert.throws(
    () => runOp('ml.TreeEnsemble', [x], { ...forest(1), leaf_targetids: [0, 1, 0, 2, 0] }),
    /leaf target 2 is not below n_targets 2/,
  );
});

test('TreeEnsembleRegressor (legacy form): multi-vote leaves, a one-leaf tree, base_values, SUM and AVERAGE', () => {
  // tree 0: x0 <= 0.5 ? node 1 (t0 += 1, t1 += 2) : node 2 (t0 += 3); tree 1: one leaf (t1 += 10)
  const attrs = (aggregate: string) => ({
    n_targets: 2,
    aggregate_function: aggregate,
    base_values: [100, 200],
    nodes_treeids: [0, 0, 0, 1],
    nodes_nodeids: [0, 1, 2, 0],
    nodes_featureids: [0, 0, 0, 0],
    nodes_modes: ['BRANCH_LEQ', 'LEAF', 'LEAF', 'LEAF'],
    nodes_values: [0.5, 0, 0, 0],
    nodes_truenodeids: [1, 0, 0, 0],
    nodes_falsenodeids: [2, 0, 0, 0],
    target_treeids: [0, 0, 0, 1],
    target_nodeids: [1, 1, 2, 0],
    target_ids: [0, 1, 0, 1],
    target_weights: [1, 2, 3, 10],
  });
  const x = f32([0, 1], [2, 1]);
  close(runOp('ml.TreeEnsembleRegressor', [x], attrs('SUM')), [101, 212, 103, 210], [2, 2], 'SUM');
  close(runOp('ml.TreeEnsembleRegressor', [x], attrs('AVERAGE')), [100.5, 206, 101.5, 205], [2, 2], 'AVERAGE');
  assert.throws(
    () => runOp('ml.TreeEnsembleRegressor', [x], { ...attrs('SUM'), target_nodeids: [0, 1, 2, 0] }),
    /names tree 0 node 0, which is not a leaf/,
  );
});
