// The verifier and the builder name the op, the value and the rule.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Graph, Node, Value } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parser.js';
import { verifyGraph } from '../../src/ir/verifier.js';

test('builder rejects a wrong shape at the op that makes it', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  assert.throws(
    () => g.add(a, b),
    /Add node producing 't0': shapes \[2,3\] and \[4,5\] do not broadcast \(dim 0: 2 vs 4\)/,
  );
  assert.throws(() => g.op('Relu', [a], { alpha: 1 }), /'alpha' is not an attribute of nn.Relu/);
  assert.throws(() => g.op('Frobnicate', [a]), /unknown op nn.Frobnicate/);
});

test('builder keeps symbolic dims through broadcasting', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', ['batch', 1, 8]);
  const b = g.input('b', 'float32', [4, 1]);
  const c = g.add(a, b);
  assert.deepEqual(c.type!.shape, ['batch', 4, 8]);
});

test('verifier reports undefined values, arity, attribute kinds and type disagreements', () => {
  const text = [
    'graph @"g"(%x: f32[2,3]) -> (f32[3,2]) {',
    '  %y = nn.Transpose %x {perm = [1, 0]} : (f32[2,3]) -> f32[2,3]',
    '  return %y',
    '}',
  ].join('\n');
  assert.throws(
    () => verifyGraph(parseGraph(text), { types: true }),
    /Transpose node producing 'y': output 'y' is recorded as f32\[2,3\] but the op's rule gives f32\[3,2\]/,
  );

  const g = new Graph('g');
  const x = new Value('x', { dtype: 'float32', shape: [2] });
  g.inputs.push(x);
  const ghost = new Value('ghost', { dtype: 'float32', shape: [2] });
  const y = new Value('y');
  g.nodes.push(new Node('nn.Add', [x, ghost], [y], {}, 'add1'));
  const z = new Value('z');
  g.nodes.push(new Node('nn.Relu', [x, x], [z], { alpha: { kind: 'string', value: 'x' } }, 'relu1'));
  const w = new Value('w');
  g.nodes.push(new Node('nn.Softplus', [], [w], {}, 'sp'));
  g.outputs.push(y, z, new Value('never'));
  assert.throws(
    () => verifyGraph(g),
    (e: Error) => {
      assert.match(e.message, /node 'add1' \(Add\): input #1 'ghost' is used before it is defined/);
      assert.match(e.message, /node 'relu1' \(Relu\): takes at most 1 inputs, got 2/);
      assert.match(e.message, /node 'relu1' \(Relu\): 'alpha' is not an attribute of nn.Relu/);
      assert.match(e.message, /node 'sp' \(Softplus\): required input X \(#0\) is missing/);
      assert.match(e.message, /graph output 'never' is never defined/);
      return true;
    },
  );
});

test('verifier rejects a value defined twice', () => {
  const g = new Graph('g');
  const x = new Value('x', { dtype: 'float32', shape: [2] });
  g.inputs.push(x);
  const y1 = new Value('y'),
    y2 = new Value('y');
  g.nodes.push(new Node('nn.Relu', [x], [y1]), new Node('nn.Relu', [x], [y2]));
  g.outputs.push(y2);
  assert.throws(() => verifyGraph(g), /value 'y' is defined twice/);
});
