// Lowering and fusion: the kernel pipeline produces the expected k.* graph and computes the same
// results as the unlowered graph on the reference interpreter.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { compareTensors } from '../../src/conformance/compare.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { parseGraph } from '../../src/ir/parser.js';
import { printGraph } from '../../src/ir/printer.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { verifyGraph } from '../../src/ir/verifier.js';
import { exprOf } from '../../src/ops/kernel/elementwise.js';
import { evalExpr, linearize, parseExpr, printExpr } from '../../src/ops/kernel/expr.js';
import { DEFAULT_PIPELINE, KERNEL_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { liveness, planMemory } from '../../src/passes/memory-plan.js';
import { seeded } from '../helpers/weights.js';

const W = seeded(5);

function mlp() {
  const W = seeded(5); // the same weights on every call
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', ['b', 16]);
  const h = g.gelu(g.add(g.matmul(x, g.constant(W.tensor([16, 32]))), g.constant(W.tensor([32], 0.1))));
  const y = g.add(g.add(g.matmul(h, g.constant(W.tensor([32, 16]))), g.constant(W.tensor([16], 0.1))), x);
  g.output(g.op('Sigmoid', [g.mul(y, g.scalar(2))]), 'y');
  return g.build();
}

function same(a: Tensor[], b: Tensor[]) {
  a.forEach((t, i) => assert.equal(compareTensors(t, b[i]!, { rtol: 1e-5, atol: 1e-6 }, `output ${i}`), undefined));
}

test('MLP: bias, GELU and residual fuse into matmul epilogues; results unchanged', () => {
  const x = W.tensor([3, 16], 1);
  const plain = mlp();
  runPipeline(plain, DEFAULT_PIPELINE);
  const lowered = mlp();
  runPipeline(lowered, KERNEL_PIPELINE);
  verifyGraph(lowered, { types: true });
  assert.deepEqual(
    lowered.nodes.map((n) => n.op),
    ['k.matmul', 'k.matmul'],
  );
  const [m1, m2] = lowered.nodes;
  assert.match((m1!.attrs.epilogue as { value: string }).value, /erf/);
  assert.equal(m2!.inputs.length, 4); // A, B, bias, residual x
  assert.match(
    (m2!.attrs.epilogue as { value: string }).value,
    /^sigmoid\(mul\(add\(add\(\$0, \$1\), \$2\), 2\.0\)\)$/,
  );
  same(interpret(lowered, [x]), interpret(plain, [x]));
  // the lowered text form round-trips too
  const text = printGraph(lowered);
  assert.equal(printGraph(parseGraph(text)), text);
});

test('elementwise chains fuse into one k.map with scalars inlined; a value read twice is one step', () => {
  const g = new GraphBuilder('chain');
  const x = g.input('x', 'float32', [4, 5]);
  const a = g.op('Tanh', [g.mul(x, g.scalar(0.5))]);
  const b = g.op('Clip', [g.add(a, g.scalar(1)), g.scalar(0), g.scalar(1.5)]);
  g.output(g.op('LeakyRelu', [g.sub(b, a)], { alpha: 0.2 }), 'y'); // a is read twice
  const built = g.build();
  const xs = W.tensor([4, 5], 3);
  const expect = interpret(built, [xs]);
  runPipeline(built, KERNEL_PIPELINE);
  assert.deepEqual(
    built.nodes.map((n) => n.op),
    ['k.map'],
  );
  assert.deepEqual(built.nodes[0]!.inputs, [built.inputs[0]]);
  const steps = linearize(exprOf((built.nodes[0]!.attrs.expr as { value: string }).value));
  assert.equal(steps.filter((s) => s.kind === 'call' && s.fn === 'tanh').length, 1);
  assert.doesNotMatch(printGraph(built), /const/); // every scalar was inlined
  same(interpret(built, [xs]), expect);
});

test('conv + batch norm + relu become one k.conv with an epilogue', () => {
  const g = new GraphBuilder('cbr');
  const x = g.input('x', 'float32', [1, 3, 8, 8]);
  const c = g.conv(x, g.constant(W.tensor([4, 3, 3, 3])), g.constant(W.tensor([4])), {
    pads: [1, 1, 1, 1],
    kernel_shape: [3, 3],
  });
  const bn = g.op('BatchNormalization', [
    c,
    g.constant(W.positive([4])),
    g.constant(W.tensor([4])),
    g.constant(W.tensor([4])),
    g.constant(W.positive([4])),
  ]);
  g.output(g.relu(bn), 'y');
  const built = g.build();
  const xs = W.tensor([1, 3, 8, 8], 1);
  const expect = interpret(built, [xs]);
  runPipeline(built, KERNEL_PIPELINE);
  assert.deepEqual(
    built.nodes.map((n) => n.op),
    ['k.conv'],
  );
  same(interpret(built, [xs]), expect);
});

test('memory plan: no two live values overlap, and a chain reuses space', () => {
  const g = new GraphBuilder('chain');
  let h = g.input('x', 'float32', [1024]);
  for (let i = 0; i < 8; i++) h = g.op(i % 2 ? 'Relu' : 'Neg', [h]);
  g.output(h, 'y');
  const built = g.build();
  const size = () => 4096;
  const plan = planMemory(built, size);
  assert.ok(plan.size <= 2 * 4096, `arena ${plan.size}`);
  assert.equal(plan.naive, 9 * 4096);
  const ivs = liveness(built, size);
  for (const a of ivs)
    for (const b of ivs) {
      if (a === b || a.last < b.first || b.last < a.first) continue;
      const oa = plan.offsets.get(a.value)!,
        ob = plan.offsets.get(b.value)!;
      assert.ok(oa + a.bytes <= ob || ob + b.bytes <= oa, `${a.value.name} and ${b.value.name} overlap`);
    }
});

test('expression text round-trips and evaluates in float32', () => {
  for (const s of [
    'add($0, mul($1, 0.5))',
    'select(ge($0, 0.0), $0, mul($0, 0.01))',
    'clamp($2, -inf, inf)',
    'isnan(nan)',
  ]) {
    assert.equal(printExpr(parseExpr(s)), s);
  }
  assert.equal(evalExpr(parseExpr('add($0, 0.1)'), [0.2]), Math.fround(Math.fround(0.2) + Math.fround(0.1)));
  assert.throws(() => parseExpr('frob($0)'), /unknown kernel function 'frob'/);
  assert.throws(() => parseExpr('add($0)'), /add takes 2 arguments, got 1/);
  assert.throws(() => parseExpr('add($0, $1'), /expected '\)'/);
});

test('a Transpose of the last two dims folds into k.matmul (transA/transB), results unchanged', () => {
  const make = () => {
    const W = seeded(8);
    const g = new GraphBuilder('tt');
    const a = g.input('a', 'float32', [2, 5, 3]);
    const b = g.input('b', 'float32', [2, 4, 5]);
    const y = g.matmul(g.transpose(a, [0, 2, 1]), g.transpose(b, [0, 2, 1]));
    const z = g.gemm(g.transpose(g.input('c', 'float32', [3, 6]), [1, 0]), g.constant(W.tensor([3, 2])), undefined, {
      transB: 0,
    });
    g.output(y, 'y');
    g.output(z, 'z');
    return g.build();
  };
  const feeds = [W.tensor([2, 5, 3]), W.tensor([2, 4, 5]), W.tensor([3, 6])];
  const plain = make();
  const lowered = make();
  runPipeline(lowered, KERNEL_PIPELINE);
  assert.deepEqual(
    lowered.nodes.map((n) => n.op),
    ['k.matmul', 'k.matmul'],
  );
  assert.deepEqual(
    lowered.nodes.map((n) => [n.attrs.transA?.value ?? 0, n.attrs.transB?.value ?? 0]),
    [
      [1, 1],
      [1, 0],
    ],
  );
  same(interpret(lowered, feeds), interpret(plain, feeds));
});
