// What the bench:models zoo needed beyond the WASM kernels already there: Pad in reflect, edge
// and wrap modes, comparisons of integer tensors (Silero VAD's sample-rate check), a Dropout of
// ratio 0 in training mode (torchvision's Swin), shape arithmetic that folds in one pass however
// deep it chains (Swin's masks), and an If whose untaken branch cannot run on the fed shapes
// (Silero VAD's 8 kHz branch). Each against the reference interpreter, with no reference fallback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';
import { parseGraph } from '../../src/ir/parser.js';
import { DEFAULT_PIPELINE, runPipeline } from '../../src/passes/index.js';

let seed = 5;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648) * 2 - 1;
};
const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const randT = (dims: number[]) => new Tensor('float32', Float32Array.from({ length: count(dims) }, rnd), dims);
const ints = (type: 'int32' | 'int64', dims: number[], span = 4) => {
  const v = Array.from({ length: count(dims) }, () => Math.round(rnd() * span));
  return type === 'int64' ? Tensor.from('int64', v.map(BigInt), dims) : Tensor.from('int32', v, dims);
};

type Build = (g: GraphBuilder) => void;

/** Runs on WASM at 1 and 2 threads; outputs must equal the reference's exactly, with nothing on the reference path. */
async function exactOnWasm(build: Build, feeds: Record<string, Tensor>, what: string) {
  const mk = () => {
    const b = new GraphBuilder();
    build(b);
    return b.build();
  };
  const ref = mk();
  const want = interpret(
    ref,
    ref.inputs.map((v) => feeds[v.name]!),
  );
  for (const threads of [1, 2]) {
    const s = await Session.create(mk(), { backend: 'wasm', threads });
    const out = await s.run(feeds);
    ref.outputs.forEach((v, i) => {
      const got = out[v.name]!;
      assert.deepEqual([...got.dims], [...want[i]!.dims], `${what}: shape`);
      assert.equal(got.type, want[i]!.type, `${what}: dtype`);
      assert.deepEqual(got.toNumbers(), want[i]!.toNumbers(), `${what} (${threads} threads)`);
    });
    assert.deepEqual([...s.fallbacks.entries()], [], `${what}: fell back to the reference path`);
    await s.release();
  }
}

test('Pad reflect / edge / wrap (negative pads, partial axes, int32) matches the reference', async () => {
  const cases: [number[], number[], number[] | undefined][] = [
    [[7], [3, 2], undefined],
    [[3, 5], [1, 2, 2, 4], undefined],
    [[2, 3, 4, 5], [0, 1, -1, 2, 0, 2, 1, -2], undefined],
    [[1, 1, 64], [32, 32], [2]],
    [[4, 1, 6], [0, 2, 1, 0, 3, 1], undefined],
  ];
  for (const mode of ['reflect', 'edge', 'wrap']) {
    for (const [dims, pads, axes] of cases) {
      // reflect needs pads smaller than the axis; a size-1 axis only takes edge or wrap
      if (mode === 'reflect' && dims.some((d, a) => d === 1 && pads.some((p, i) => p > 0 && i % dims.length === a)))
        continue;
      for (const dtype of ['float32', 'int32'] as const) {
        await exactOnWasm(
          (g) => {
            const x = g.input('x', dtype, dims);
            const ins = [x, g.constant(Tensor.from('int64', pads.map(BigInt)), 'pads')];
            // constant_value comes before axes; the modes here ignore it
            if (axes) ins.push(g.constant(Tensor.from(dtype, [0], []), 'v'));
            if (axes) ins.push(g.constant(Tensor.from('int64', axes.map(BigInt)), 'axes'));
            g.output(g.op('Pad', ins, { mode }), 'y');
          },
          { x: dtype === 'float32' ? randT(dims) : ints('int32', dims, 1000) },
          `Pad ${mode} ${dtype} [${dims}] pads ${pads}${axes ? ` axes ${axes}` : ''}`,
        );
      }
    }
  }
});

test('Equal / Less / Greater / LessOrEqual / GreaterOrEqual on int64 and int32 (scalar sides) match the reference', async () => {
  for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
    for (const type of ['int64', 'int32'] as const) {
      for (const [da, db] of [
        [[], []],
        [
          [3, 5],
          [3, 5],
        ],
        [[2, 7], []],
        [[], [9]],
      ] as number[][][]) {
        await exactOnWasm(
          (g) => g.output(g.op(op, [g.input('a', type, da!), g.input('b', type, db!)]), 'y'),
          { a: ints(type, da!), b: ints(type, db!) },
          `${op} ${type} [${da}] vs [${db}]`,
        );
      }
    }
  }
});

test('Dropout of ratio 0 with training_mode true is the identity on WASM (no reference path)', async () => {
  await exactOnWasm(
    (g) => {
      const x = g.input('x', 'float32', [4, 6]);
      const ratio = g.constant(Tensor.from('float32', [0], []), 'ratio');
      const training = g.constant(Tensor.from('bool', [1], []), 'training');
      g.output(g.op('Relu', [g.op('Dropout', [x, ratio, training])]), 'y');
    },
    { x: randT([4, 6]) },
    'Dropout ratio 0, training',
  );
});

test('shape arithmetic over a Reshape whose target is computed folds in one constant-folding pass', () => {
  // y's shape is known only once Concat(Shape(x)[0], -1) folds; Shape(y) must then fold as well
  const g = parseGraph(`graph @"s"(%x: f32[2,3,4]) -> (?) opsets {"": 17} {
  %sx = nn.Shape %x : (f32[2,3,4]) -> ?
  %i0 = const dense<[0]> : i64[1]
  %b = nn.Gather %sx, %i0 : (?, i64[1]) -> ?
  %m1 = const dense<[-1]> : i64[1]
  %t = nn.Concat %b, %m1 {axis = 0} : (?, i64[1]) -> ?
  %y = nn.Reshape %x, %t : (f32[2,3,4], ?) -> ?
  %sy = nn.Shape %y : (?) -> ?
  %z = nn.ConstantOfShape %sy {value = dense<[1.0]> : f32[1]} : (?) -> ?
  %w = nn.Add %y, %z : (?, ?) -> ?
  return %w
}
`);
  runPipeline(g, DEFAULT_PIPELINE);
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['nn.Reshape', 'nn.Add'],
  );
  assert.deepEqual(g.outputs[0]!.type?.shape, [2, 12]);
});

test('an If whose other branch cannot run on these shapes infers and runs the branch taken', async () => {
  // the else branch reshapes 4 values to 3x3: an error only if it were taken
  const text = `graph @"i"(%c: i1[], %x: f32[1,4]) -> (?) opsets {"": 17} {
  %y = nn.If %c, %x {else_branch = graph @"else"() captures(%x: f32[1,4]) -> (?) {
      %k = const dense<[3, 3]> : i64[2]
      %r = nn.Reshape %x, %k : (f32[1,4], i64[2]) -> ?
      return %r
    }, then_branch = graph @"then"() captures(%x: f32[1,4]) -> (?) {
      %k = const dense<[2, 2]> : i64[2]
      %r = nn.Reshape %x, %k : (f32[1,4], i64[2]) -> ?
      %n = nn.Neg %r : (?) -> ?
      return %n
    }} : (i1[], f32[1,4]) -> ?
  return %y
}
`;
  const x = Tensor.from('float32', [1, 2, 3, 4], [1, 4]);
  for (const backend of ['reference', 'wasm']) {
    const s = await Session.create(parseGraph(text), { backend });
    const out = await s.run({ c: Tensor.from('bool', [1], []), x });
    assert.deepEqual(out.y!.dims, [2, 2], backend);
    assert.deepEqual(out.y!.toNumbers(), [-1, -2, -3, -4], backend);
    await assert.rejects(
      s.run({ c: Tensor.from('bool', [0], []), x }),
      /Reshape/,
      `${backend}: the else branch fails when taken`,
    );
    await s.release();
  }
});
