// ai.onnx.ml ops against onnxruntime-node: each case is one node, built here, exported to ONNX
// (ai.onnx.ml opset 3, or 5 for TreeEnsemble) and run on both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { type AttrInput, GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ortRun } from '../helpers/ort.js';

async function same(op: string, x: Tensor, attrs: Record<string, AttrInput>, nOut = 1, mlOpset = 3) {
  const g = new GraphBuilder();
  const outs = g.opN(op, [g.input('x', x.type, [...x.dims])], attrs, nOut);
  outs.forEach((o, i) => g.output(o, `y${i}`));
  const graph = g.build();
  graph.opsets['ai.onnx.ml'] = mlOpset;
  const mine = interpret(graph, [x]);
  const theirs = await ortRun(exportOnnx(graph, { opset: 17 }), { x });
  mine.forEach((m, i) => {
    const t = theirs[`y${i}`]!;
    assert.equal(m.type, t.type, `${op} y${i} type`);
    assert.deepEqual(m.dims, t.dims, `${op} y${i} dims`);
    const a = Array.from(m.data as ArrayLike<unknown>),
      b = Array.from(t.data as ArrayLike<unknown>);
    if (typeof a[0] !== 'number') return assert.deepEqual(a, b, `${op} y${i}`);
    a.forEach((v, k) => assert.ok(Math.abs((v as number) - (b[k] as number)) < 1e-5, `${op} y${i}: ${a} vs ${b}`));
  });
}

const x = Tensor.from('float32', [0.25, -1.25, 2.5, 0.75, 1, -0.5, 0, 3], [4, 2]);

test('Scaler, Normalizer, LinearRegressor and LinearClassifier match onnxruntime', async () => {
  await same('ml.Scaler', x, { offset: [0.5, -1], scale: [2, 0.25] });
  for (const norm of ['MAX', 'L1', 'L2']) await same('ml.Normalizer', x, { norm });
  await same('ml.LinearRegressor', x, { coefficients: [0.5, -1, 2, 1], intercepts: [1, 0], targets: 2 });
  for (const post_transform of ['NONE', 'LOGISTIC', 'SOFTMAX']) {
    await same(
      'ml.LinearClassifier',
      x,
      {
        coefficients: [1, 0, 0, 1, -1, -1],
        intercepts: [0, 0.5, 1],
        classlabels_ints: [10, 20, 30],
        post_transform,
      },
      2,
    );
  }
});

// every row reaches a vote for every target: where none does, onnxruntime writes 0 and the ONNX
// reference (and Switchyard) the base value
test('TreeEnsembleRegressor matches onnxruntime', async () => {
  for (const aggregate_function of ['SUM', 'AVERAGE', 'MIN', 'MAX']) {
    await same('ml.TreeEnsembleRegressor', x, {
      n_targets: 2,
      aggregate_function,
      base_values: [0.5, -0.5],
      nodes_treeids: [0, 0, 0, 0, 0, 1, 1, 1],
      nodes_nodeids: [0, 1, 2, 3, 4, 0, 1, 2],
      nodes_featureids: [0, 1, 0, 0, 0, 1, 0, 0],
      nodes_modes: ['BRANCH_LEQ', 'BRANCH_GT', 'LEAF', 'LEAF', 'LEAF', 'BRANCH_LT', 'LEAF', 'LEAF'],
      nodes_values: [0.5, 0, 0, 0, 0, 0.75, 0, 0],
      nodes_truenodeids: [1, 2, 0, 0, 0, 1, 0, 0],
      nodes_falsenodeids: [4, 3, 0, 0, 0, 2, 0, 0],
      target_treeids: [0, 0, 0, 0, 0, 1, 1],
      target_nodeids: [2, 3, 3, 4, 4, 1, 2],
      target_ids: [0, 0, 1, 1, 0, 0, 1],
      target_weights: [1.5, -2, 0.25, 4, -1, 3, 7],
    });
  }
});

// post_transform is left out: onnxruntime-node 1.30 applies LOGISTIC for post_transform = 1, which the
// ONNX reference (and Switchyard) read as SOFTMAX (NONE 0, SOFTMAX 1, LOGISTIC 2, ...)
test('TreeEnsemble (opset 5) with MEMBER and missing-value tracking matches onnxruntime', async () => {
  const xs = Tensor.from('float32', [0, 1, 1, 1, 1, 5, 1, NaN, 0.5, 3], [5, 2]);
  for (const [aggregate_function, post_transform] of [
    [1, 0],
    [0, 0],
    [2, 0],
    [3, 0],
  ]) {
    await same(
      'ml.TreeEnsemble',
      xs,
      {
        n_targets: 2,
        aggregate_function: aggregate_function!,
        post_transform: post_transform!,
        tree_roots: [0, 2],
        nodes_featureids: [0, 1, 1],
        nodes_modes: Tensor.from('uint8', [0, 6, 3], [3]),
        nodes_splits: Tensor.from('float32', [0.5, 0, 2], [3]),
        nodes_truenodeids: [0, 1, 3],
        nodes_trueleafs: [1, 1, 1],
        nodes_falsenodeids: [1, 2, 4],
        nodes_falseleafs: [0, 1, 1],
        nodes_missing_value_tracks_true: [0, 0, 1],
        membership_values: Tensor.from('float32', [1, 3, NaN], [3]),
        leaf_targetids: [0, 1, 0, 1, 0],
        leaf_weights: Tensor.from('float32', [1, 2, 3, 4, 5], [5]),
      },
      1,
      5,
    );
  }
});
