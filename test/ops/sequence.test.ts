// Sequences, optionals and control flow over them, against onnxruntime-node (graphs whose inputs
// and outputs are tensors, sequences inside), plus sequence values through Session.runValues.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { parseGraph } from '../../src/ir/parser.js';
import { Tensor } from '../../src/ir/tensor.js';
import { OptionalValue, TensorSequence } from '../../src/ir/values.js';
import { runPipeline } from '../../src/passes/index.js';
import { Session } from '../../src/runtime/session.js';
import { ortRun } from '../helpers/ort.js';

async function same(text: string, feeds: Record<string, Tensor>): Promise<void> {
  const g = parseGraph(text);
  runPipeline(g, ['shape-inference']);
  const mine = interpret(
    g,
    g.inputs.map((v) => feeds[v.name]!),
  );
  const theirs = await ortRun(exportOnnx(g, { opset: g.opsets[''] }), feeds);
  g.outputs.forEach((v, i) => {
    assert.deepEqual(mine[i]!.dims, theirs[v.name]!.dims, `${v.name} dims`);
    assert.deepEqual(mine[i]!.toNumbers(), theirs[v.name]!.toNumbers(), `${v.name} values`);
  });
}

const x = Tensor.from('float32', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]);

test('split, erase, insert at negative positions, at, length, concat and stack', async () => {
  await same(
    `graph @"s"(%x: f32[3,4]) -> (?, ?, ?, ?) opsets {"": 17} {
  %two = const dense<[2]> : i64[]
  %m1 = const dense<[-1]> : i64[]
  %seq = nn.SplitToSequence %x, %two {axis = 1} : (f32[3,4], i64[]) -> ?
  %first = nn.SequenceAt %seq, %m1 : (?, i64[]) -> ?
  %er = nn.SequenceErase %seq, _ : (?, _) -> ?
  %ins = nn.SequenceInsert %er, %first, %m1 : (?, ?, i64[]) -> ?
  %ins2 = nn.SequenceInsert %ins, %first : (?, ?) -> ?
  %n = nn.SequenceLength %ins2 : (?) -> ?
  %cat = nn.ConcatFromSequence %ins2 {axis = 1} : (?) -> ?
  %stk = nn.ConcatFromSequence %ins2 {axis = -1, new_axis = 1} : (?) -> ?
  return %first, %n, %cat, %stk
}
`,
    { x },
  );
  await same(
    `graph @"k"(%x: f32[3,4]) -> (?) opsets {"": 17} {
  %seq = nn.SplitToSequence %x {axis = 0, keepdims = 0} : (f32[3,4]) -> ?
  %cat = nn.ConcatFromSequence %seq {axis = 0} : (?) -> ?
  return %cat
}
`,
    { x },
  );
});

test('a Loop that carries a sequence and a SequenceMap with a tensor argument', async () => {
  await same(
    `graph @"l"(%x: f32[3,4]) -> (?) opsets {"": 17} {
  %n = const dense<[3]> : i64[]
  %empty = nn.SequenceEmpty : () -> ?
  %out = nn.Loop %n, _, %empty, %x {body = graph @"body"(%i: i64[], %c: i1[], %s: seq<f32[*]>) captures(%x: f32[3,4]) -> (?, ?) {
      %row = nn.Gather %x, %i {axis = 0} : (f32[3,4], i64[]) -> ?
      %sq = nn.Mul %row, %row : (?, ?) -> ?
      %s2 = nn.SequenceInsert %s, %sq : (seq<f32[*]>, ?) -> ?
      return %c, %s2
    }} : (i64[], _, ?, f32[3,4]) -> ?
  %cat = nn.ConcatFromSequence %out {axis = 0, new_axis = 1} : (?) -> ?
  return %cat
}
`,
    { x },
  );
  const g = parseGraph(`graph @"m"(%x: f32[3,4], %b: f32[4]) -> (?) opsets {"": 17} {
  %seq = nn.SplitToSequence %x {axis = 0, keepdims = 0} : (f32[3,4]) -> ?
  %mapped = nn.SequenceMap %seq, %b {body = graph @"body"(%e: f32[4], %t: f32[4]) -> (?) {
      %y = nn.Add %e, %t : (f32[4], f32[4]) -> ?
      return %y
    }} : (?, f32[4]) -> ?
  %cat = nn.ConcatFromSequence %mapped {axis = 0} : (?) -> ?
  return %cat
}
`);
  runPipeline(g, ['shape-inference']);
  const [y] = interpret(g, [x, Tensor.from('float32', [10, 20, 30, 40])]);
  assert.deepEqual(y!.toNumbers(), [11, 22, 33, 44, 15, 26, 37, 48, 19, 30, 41, 52]);
});

test('sequence and optional values in and out of a session (runValues), with clear errors in run', async () => {
  const g = parseGraph(`graph @"o"(%s: seq<f32[2]>, %o: opt<f32[2]>) -> (?, ?, ?) opsets {"": 18} {
  %has = nn.OptionalHasElement %o : (opt<f32[2]>) -> ?
  %n = nn.SequenceLength %s : (seq<f32[2]>) -> ?
  %wrapped = nn.Optional %s : (seq<f32[2]>) -> ?
  return %has, %n, %wrapped
}
`);
  const session = await Session.create(g);
  const s = new TensorSequence('float32', [Tensor.from('float32', [1, 2]), Tensor.from('float32', [3, 4])]);
  const none = new OptionalValue({ dtype: 'float32', shape: [2] });
  const out = await session.runValues({ s, o: none });
  assert.deepEqual((out.has as Tensor).toNumbers(), [0]);
  assert.deepEqual((out.n as Tensor).toNumbers(), [2]);
  assert.ok(out.wrapped instanceof OptionalValue && out.wrapped.value === s);
  const some = await session.runValues({
    s,
    o: new OptionalValue({ dtype: 'float32', shape: [2] }, Tensor.from('float32', [5, 6])),
  });
  assert.deepEqual((some.has as Tensor).toNumbers(), [1]);
  await assert.rejects(
    session.runValues({ s: Tensor.from('float32', [1, 2]), o: none }),
    /input 's' is float32\[2\], the model expects seq<f32\[2\]>/,
  );
  await assert.rejects(
    session.run({ s: Tensor.from('float32', [1, 2]) }),
    /input 's' is seq<f32\[2\]>; feed it with session.runValues\(\)/,
  );
  await session.release();
});
