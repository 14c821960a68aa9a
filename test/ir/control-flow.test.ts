// Subgraphs in the IR: the text form of a Loop that reads an outer value, loop-carried type
// inference (a value that grows, symbolic trip counts), outer-scope capture on ONNX import, and
// the control-flow pass (If folded, Loop unrolled) computing what the interpreter computes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { nodeWork } from '../../src/cost/work.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parser.js';
import { printGraph } from '../../src/ir/printer.js';
import { Tensor } from '../../src/ir/tensor.js';
import { formatType } from '../../src/ir/text-common.js';
import { verifyGraph } from '../../src/ir/verifier.js';
import { runPipeline } from '../../src/passes/index.js';

// %w is computed in the main graph and read inside the body through a capture
const LOOP = `graph @"main"(%n: i64[], %x: f32[2]) -> (?, ?) opsets {"": 17} {
  %w = nn.Mul %x, %x : (f32[2], f32[2]) -> f32[2]
  %y, %ys = nn.Loop %n, _, %x, %w {body = graph @"body"(%i: i64[], %c: i1[], %acc: f32[2]) captures(%w: f32[2]) -> (i1[], f32[2], f32[2]) {
      %acc2 = nn.Add %acc, %w : (f32[2], f32[2]) -> f32[2]
      return %c, %acc2, %acc2
    }} : (i64[], _, f32[2], f32[2]) -> (?, ?)
  return %y, %ys
}
`;

const bodyOf = (g: Graph, i = 0, k = 'body') => (g.nodes[i]!.attrs[k] as { value: Graph }).value;

test('a Loop with an outer-scope capture round-trips through the text form', () => {
  const g = parseGraph(LOOP);
  runPipeline(g, ['shape-inference']);
  const text = printGraph(g);
  assert.match(text, /captures\(%w: f32\[2\]\)/);
  assert.equal(printGraph(parseGraph(text)), text);
  verifyGraph(parseGraph(text), { types: true });
  const loop = g.nodes[1]!;
  assert.equal(loop.inputs.length, 4, 'the capture is the trailing input');
  assert.equal(loop.inputs[3]!.name, 'w');
  assert.equal(bodyOf(g, 1).captures[0]!.name, 'w');
  const [y, ys] = interpret(g, [Tensor.from('int64', [3n], []), Tensor.from('float32', [1, 2])]);
  assert.deepEqual(y!.toNumbers(), [4, 14]); // x + 3·x²
  assert.deepEqual(ys!.dims, [3, 2]);
  assert.deepEqual(ys!.toNumbers(), [2, 6, 3, 10, 4, 14]);
});

test('loop-carried types: a value that grows gets a symbolic dim; the trip count is symbolic unless constant', () => {
  const grow = `graph @"g"(%n: i64[], %x: f32[1]) -> (?, ?) {
  %y, %ys = nn.Loop %n, _, %x {body = graph @"body"(%i: i64[], %c: i1[], %acc: f32[1]) -> (?, ?, ?) {
      %two = nn.Concat %acc, %acc {axis = 0} : (f32[1], f32[1]) -> ?
      %s = nn.ReduceSum %acc : (f32[1]) -> ?
      return %c, %two, %s
    }} : (i64[], _, f32[1]) -> (?, ?)
  return %y, %ys
}
`;
  const g = parseGraph(grow);
  runPipeline(g, ['shape-inference']);
  const [y, ys] = g.outputs;
  assert.match(formatType(y!.type), /^f32\[[a-z_]+\d*\]$/, `carried value: ${formatType(y!.type)}`);
  assert.match(formatType(ys!.type), /^f32\[trips\d+,1\]$/, `scan output: ${formatType(ys!.type)}`);
  assert.match(formatType(bodyOf(g).inputs[2]!.type), /^f32\[[a-z_]+\d*\]$/, 'the body sees the joined type');
  const [yv, ysv] = interpret(g, [Tensor.from('int64', [3n], []), Tensor.from('float32', [1])]);
  assert.deepEqual(yv!.dims, [8]);
  assert.deepEqual(ysv!.toNumbers(), [1, 2, 4]);

  // a constant trip count with nothing to stop the loop early gives the exact leading dim
  const fixed = parseGraph(
    LOOP.replace('(%n: i64[], %x: f32[2])', '(%x: f32[2])').replace(
      '  %w = nn.Mul',
      '  %n = const dense<[5]> : i64[]\n  %w = nn.Mul',
    ),
  );
  runPipeline(fixed, ['shape-inference']);
  assert.equal(formatType(fixed.outputs[1]!.type), 'f32[5,2]');
  assert.equal(formatType(fixed.outputs[0]!.type), 'f32[2]');
});

/** An ONNX model whose Loop body reads 'w', produced by a node of the main graph. */
function onnxLoopModel(): Uint8Array {
  const f32 = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const scalar = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [] } } } });
  const body = {
    name: 'body',
    input: [scalar('i', 7), scalar('c', 9), { name: 'acc' }],
    output: [scalar('c_out', 9), { name: 'acc_out' }],
    node: [
      { opType: 'Identity', input: ['c'], output: ['c_out'] },
      { opType: 'Add', input: ['acc', 'w'], output: ['acc_out'] },
    ],
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'm',
      input: [f32('x', [3])],
      output: [f32('y', [3])],
      initializer: [{ name: 'n', dataType: 7, dims: [], int64Data: [4] }],
      node: [
        {
          opType: 'Loop',
          input: ['n', '', 'x'],
          output: ['y'],
          attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }],
        },
        // defined after its reader: the importer orders nodes by what their subgraphs read too
        { opType: 'Relu', input: ['x'], output: ['w'] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

test('ONNX import: a body reading an outer value gets a capture bound to a trailing input', () => {
  const g = importOnnx(onnxLoopModel());
  const loop = g.nodes.find((n) => n.op === 'nn.Loop')!;
  assert.equal(g.nodes.indexOf(loop), 1, 'Relu (which defines w) comes first');
  assert.equal(loop.inputs.at(-1)!.name, 'w');
  const body = (loop.attrs.body as { value: Graph }).value;
  assert.deepEqual(
    body.captures.map((v) => v.name),
    ['w'],
  );
  assert.equal(formatType(body.inputs[2]!.type), 'f32[3]', 'the untyped carried input takes its type from the node');
  const [y] = interpret(g, [Tensor.from('float32', [1, -2, 3])]);
  assert.deepEqual(y!.toNumbers(), [5, -2, 15]); // x + 4·relu(x)
  assert.equal(printGraph(parseGraph(printGraph(g))), printGraph(g));
});

test('control-flow pass: a constant If is inlined and a constant-trip Loop unrolled, with the same results', () => {
  const text = LOOP.replace('(%n: i64[], %x: f32[2])', '(%x: f32[2])').replace(
    '  %w = nn.Mul',
    '  %n = const dense<[3]> : i64[]\n  %w = nn.Mul',
  );
  const feeds = [Tensor.from('float32', [1, 2])];
  const plain = parseGraph(text);
  runPipeline(plain, ['shape-inference']);
  const want = interpret(plain, feeds).map((t) => t.toNumbers());
  const g = parseGraph(text);
  runPipeline(g);
  assert.ok(!g.nodes.some((n) => n.op === 'nn.Loop'), printGraph(g));
  verifyGraph(g, { types: true });
  assert.deepEqual(
    interpret(g, feeds).map((t) => t.toNumbers()),
    want,
  );
  assert.deepEqual(
    g.outputs.map((v) => v.name),
    ['y', 'ys'],
  );

  const iff = `graph @"i"(%x: f32[2]) -> (?) {
  %c = const dense<[0]> : i1[]
  %y = nn.If %c, %x {else_branch = graph @"else"() captures(%x: f32[2]) -> (f32[2]) {
      %n = nn.Neg %x : (f32[2]) -> f32[2]
      return %n
    }, then_branch = graph @"then"() captures(%x: f32[2]) -> (f32[2]) {
      return %x
    }} : (i1[], f32[2]) -> ?
  return %y
}
`;
  const h = parseGraph(iff);
  runPipeline(h);
  // the else branch's node comes into the main graph; the output keeps its name through an Identity
  assert.deepEqual(
    h.nodes.map((n) => n.op),
    ['nn.Neg', 'nn.Identity'],
  );
  assert.deepEqual(interpret(h, feeds)[0]!.toNumbers(), [-1, -2]);
});

test('control-flow pass folds constants inside a body that stays, and never folds a sequence', () => {
  const g = parseGraph(`graph @"b"(%n: i64[], %x: f32[2]) -> (?) opsets {"": 17} {
  %y = nn.Loop %n, _, %x {body = graph @"body"(%i: i64[], %c: i1[], %acc: f32[2]) -> (?, ?) {
      %one = nn.Constant {value = dense<[1.0, 2.0]> : f32[2]} : () -> ?
      %s = nn.SequenceConstruct %one : (?) -> ?
      %back = nn.SequenceAt %s, %i : (?, i64[]) -> ?
      %z = nn.Mul %back, %back : (?, ?) -> ?
      %acc2 = nn.Add %acc, %back : (f32[2], ?) -> ?
      return %c, %acc2
    }} : (i64[], _, f32[2]) -> ?
  return %y
}
`);
  runPipeline(g);
  const body = bodyOf(g);
  const ops = body.nodes.map((n) => n.op);
  assert.ok(!ops.includes('nn.Constant'), ops.join(', '));
  assert.ok(!ops.includes('nn.Mul'), 'dead body nodes are removed');
  assert.ok(ops.includes('nn.SequenceConstruct'), 'a sequence of constants stays an op');
  const [y] = interpret(g, [Tensor.from('int64', [1n], []), Tensor.from('float32', [0, 0])]);
  assert.deepEqual(y!.toNumbers(), [1, 2]);
});

test('cost of a Loop: the body once per trip where the trip count is a constant', () => {
  const withTrips = (m: string) =>
    parseGraph(
      LOOP.replace('(%n: i64[], %x: f32[2])', '(%x: f32[2])').replace(
        '  %w = nn.Mul',
        `  %n = const dense<[${m}]> : i64[]\n  %w = nn.Mul`,
      ),
    );
  const loopOf = (g: Graph) => g.nodes.find((n) => n.op === 'nn.Loop')!;
  const one = nodeWork(loopOf(parseGraph(LOOP))); // trip count unknown: one trip
  const seven = nodeWork(loopOf(withTrips('7')));
  assert.equal(one.flops, 2); // the body's Add on f32[2]
  assert.equal(seven.flops, 7 * one.flops);
  assert.equal(seven.bytes, 7 * one.bytes);
});
