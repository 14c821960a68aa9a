// Golden text, parse errors with positions, and exact values through the text form.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { parseGraph } from '../../src/ir/parser.js';
import { printGraph } from '../../src/ir/printer.js';
import { Tensor } from '../../src/ir/tensor.js';

function smallGraph() {
  const g = new GraphBuilder('mlp', 17);
  const x = g.input('x', 'float32', ['b', 4]);
  const w = g.constant(Tensor.from('float32', [0.5, -1, 2, 0.25, 1e-7, 3, -0, 7], [4, 2]), 'w');
  const y = g.relu(g.matmul(x, w));
  g.output(y, 'y');
  return g.build();
}

test('golden text of a small graph', () => {
  const text = printGraph(smallGraph());
  assert.equal(
    text,
    [
      'graph @"mlp"(%x: f32[b,4]) -> (f32[b,2]) opsets {"": 17} {',
      '  %w = const dense<[0.5, -1.0, 2.0, 0.25, 1e-7, 3.0, -0.0, 7.0]> : f32[4,2]',
      '  %t0 = nn.MatMul %x, %w : (f32[b,4], f32[4,2]) -> f32[b,2]',
      '  %y = nn.Relu %t0 : (f32[b,2]) -> f32[b,2]',
      '  return %y',
      '}',
      '',
    ].join('\n'),
  );
});

test('large constants go to base64 blobs and come back bit-exact', () => {
  const g = new GraphBuilder('big');
  const x = g.input('x', 'float64', [40]);
  const data = new Float64Array(40).map((_, i) => Math.PI * (i - 20) ** 3 + 1e-300);
  const c = g.constant(new Tensor('float64', data, [40]), 'c');
  g.output(g.add(x, c), 'y');
  const text = printGraph(g.build());
  assert.match(text, /dense_blob<"c"> : f64\[40\]/);
  assert.match(text, /^blob "c" = "/m);
  const back = parseGraph(text);
  assert.deepEqual(back.constants()[0]!.const!.data, data);
  assert.equal(printGraph(back), text);
});

test('special floats, ints and names survive the text form', () => {
  const g = new GraphBuilder('special');
  const x = g.input('weird name/0:1', 'float32', [3]);
  const c = g.constant(Tensor.from('float32', [NaN, Infinity, -Infinity], [3]), 'c');
  const big = g.constant(Tensor.from('int64', [9223372036854775807n, -9223372036854775808n], [2]), 'i64');
  const y = g.add(x, c);
  g.output(y, 'y');
  g.output(g.op('Identity', [big]), 'z');
  const back = parseGraph(printGraph(g.build()));
  assert.equal(back.inputs[0]!.name, 'weird name/0:1');
  const [nan, inf, ninf] = back.constants()[0]!.const!.data as Float32Array;
  assert.ok(Number.isNaN(nan!));
  assert.equal(inf, Infinity);
  assert.equal(ninf, -Infinity);
  assert.deepEqual(
    [...(back.constants()[1]!.const!.data as BigInt64Array)],
    [9223372036854775807n, -9223372036854775808n],
  );
});

test('a parsed graph runs like the original', () => {
  const g = smallGraph();
  const back = parseGraph(printGraph(g));
  const x = Tensor.from('float32', [1, 2, 3, 4, -1, -2, -3, -4], [2, 4]);
  assert.deepEqual(interpret(back, [x])[0]!.data, interpret(g, [x])[0]!.data);
});

test('parse errors name the line, column and problem', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseGraph(text), re);
  bad(
    'graph @"g"(%x: f32[2]) -> (f32[2]) {\n  %y = Relu %x : (f32[2]) -> f32[2]\n  return %y\n}',
    /line 2, column 8: op 'Relu' needs a dialect prefix/,
  );
  bad(
    'graph @"g"(%x: f32[2]) -> (f32[2]) {\n  %y = nn.Relu %z : (f32[2]) -> f32[2]\n  return %y\n}',
    /line 2, column 16: value %z is used before it is defined/,
  );
  bad('graph @"g"(%x: q7[2]) -> () {\n  return\n}', /line 1, column 16: unknown element type 'q7'/);
  bad(
    'graph @"g"(%x: f32[2]) -> (f32[2]) {\n  %c = const dense<[1.0]> : f32[2]\n  return %c\n}',
    /literal has 1 values, type needs 2/,
  );
  bad('graph @"g"() -> (f32[20]) {\n  %c = const dense_blob<"w"> : f32[20]\n  return %c\n}', /blob "w" is not defined/);
});
