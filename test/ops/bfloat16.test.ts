// bfloat16 through the float op families of the reference interpreter: each op on bfloat16
// inputs equals the same op on those values widened to float32, up to the one rounding of the
// output to bfloat16 (relative 2^-8, plus a little for values near zero).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { type AttrInput, GraphBuilder } from '../../src/ir/builder.js';
import { castTensor } from '../../src/ops/cast.js';
import { Tensor } from './math-helpers.js';

type Case = [string, number[][], Record<string, AttrInput>?];
const CASES: Case[] = [
  [
    'Conv',
    [
      [1, 2, 5, 5],
      [3, 2, 3, 3],
    ],
  ],
  ['MaxPool', [[1, 2, 5, 5]], { kernel_shape: [2, 2] }],
  ['AveragePool', [[1, 2, 5, 5]], { kernel_shape: [2, 2] }],
  ['Softmax', [[3, 7]]],
  ['LogSoftmax', [[3, 7]]],
  ['LayerNormalization', [[3, 8], [8], [8]]],
  ['InstanceNormalization', [[2, 3, 4], [3], [3]]],
  [
    'MatMul',
    [
      [3, 4],
      [4, 5],
    ],
  ],
  [
    'Gemm',
    [
      [3, 4],
      [4, 5],
    ],
  ],
  ['ReduceMean', [[3, 4]]],
  ['ReduceSum', [[3, 4]]],
  ['Gelu', [[10]]],
  ['Erf', [[10]]],
  ['Tanh', [[10]]],
  ['Celu', [[10]]],
  ['Transpose', [[3, 4]]],
  [
    'Concat',
    [
      [2, 2],
      [2, 2],
    ],
    { axis: 0 },
  ],
  ['Add', [[3, 4], [4]]],
  ['Div', [[6], [6]]],
];

function run(op: string, shapes: number[][], attrs: Record<string, AttrInput>, dtype: 'bfloat16' | 'float32'): Tensor {
  const g = new GraphBuilder();
  const feeds = shapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = castTensor(
      Tensor.from(
        'float32',
        Array.from({ length: n }, (_, j) => Math.sin(j * 0.7 + i) + 1.5 * i),
        s,
      ),
      'bfloat16',
    );
    return dtype === 'float32' ? castTensor(t, 'float32') : t;
  });
  const ins = shapes.map((s, i) => g.input(`i${i}`, dtype, s));
  g.output(g.op(op, ins, attrs), 'y');
  return interpret(g.build(), feeds)[0]!;
}

for (const [op, shapes, attrs = {}] of CASES) {
  test(`${op} on bfloat16 equals float32 up to one bfloat16 rounding`, () => {
    const got = run(op, shapes, attrs, 'bfloat16');
    const want = run(op, shapes, attrs, 'float32').toNumbers();
    assert.equal(got.type, 'bfloat16');
    got.toNumbers().forEach((v, i) => {
      assert.ok(Math.abs(v - want[i]!) <= 2 ** -8 * Math.abs(want[i]!) + 1e-6, `${op}[${i}]: ${v} vs ${want[i]}`);
    });
  });
}
