// The WASM recurrent kernel (RNN, GRU, LSTM) against the reference interpreter: every direction,
// sequence_lens, initial states, peepholes, input_forget, linear_before_reset and clip, with more
// than one thread; each case must run on the kernel, not on the reference path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';
import type { Value } from '../../src/ir/graph.js';

let seed = 11;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648) * 2 - 1;
};
const randT = (dims: number[]) =>
  new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rnd), dims);

interface Case {
  op: 'RNN' | 'GRU' | 'LSTM';
  T: number;
  B: number;
  I: number;
  H: number;
  D: number;
  attrs: Record<string, number | string | string[]>;
  lens?: number[];
  states?: boolean;
  peep?: boolean;
}

const CASES: Case[] = [
  { op: 'RNN', T: 5, B: 3, I: 4, H: 6, D: 2, attrs: { direction: 'bidirectional' }, lens: [5, 2, 4], states: true },
  { op: 'GRU', T: 6, B: 4, I: 5, H: 7, D: 1, attrs: { direction: 'reverse' }, lens: [6, 1, 3, 5] },
  {
    op: 'GRU',
    T: 4,
    B: 2,
    I: 9,
    H: 8,
    D: 2,
    attrs: { direction: 'bidirectional', linear_before_reset: 1 },
    states: true,
  },
  { op: 'GRU', T: 3, B: 3, I: 3, H: 5, D: 1, attrs: { clip: 0.4, activations: ['Sigmoid', 'Tanh'] } },
  {
    op: 'LSTM',
    T: 7,
    B: 3,
    I: 6,
    H: 9,
    D: 2,
    attrs: { direction: 'bidirectional' },
    lens: [7, 4, 1],
    states: true,
    peep: true,
  },
  { op: 'LSTM', T: 5, B: 2, I: 4, H: 5, D: 1, attrs: { input_forget: 1, clip: 0.8 }, peep: true },
  { op: 'LSTM', T: 16, B: 8, I: 32, H: 64, D: 1, attrs: {} },
];

for (const c of CASES) {
  const name = `${c.op} ${JSON.stringify(c.attrs)} T=${c.T} B=${c.B} H=${c.H}`;
  test(`${name} on the WASM kernel matches the reference`, async () => {
    const G = { RNN: 1, GRU: 3, LSTM: 4 }[c.op];
    const feeds: Record<string, Tensor> = { X: randT([c.T, c.B, c.I]) };
    const consts = { W: randT([c.D, G * c.H, c.I]), R: randT([c.D, G * c.H, c.H]), Bias: randT([c.D, 2 * G * c.H]) };
    if (c.lens) feeds.L = Tensor.from('int32', c.lens);
    if (c.states) feeds.H0 = randT([c.D, c.B, c.H]);
    if (c.states && c.op === 'LSTM') feeds.C0 = randT([c.D, c.B, c.H]);
    const build = () => {
      const g = new GraphBuilder();
      const inp = (name: string) => (feeds[name] ? g.input(name, feeds[name]!.type, [...feeds[name]!.dims]) : null);
      const ins: (Value | null)[] = [
        inp('X'),
        g.constant(consts.W, 'W'),
        g.constant(consts.R, 'R'),
        g.constant(consts.Bias, 'B'),
        inp('L'),
        inp('H0'),
      ];
      if (c.op === 'LSTM') ins.push(inp('C0'), c.peep ? g.constant(randT([c.D, 3 * c.H]), 'P') : null);
      const n = c.op === 'LSTM' ? 3 : 2;
      g.opN(c.op, ins, { hidden_size: c.H, ...c.attrs }, n).forEach((o, i) => g.output(o, ['Y', 'Y_h', 'Y_c'][i]!));
      return g.build();
    };
    seed = 99; // the peephole constant is drawn inside build: same values for both graphs
    const ref = build();
    seed = 99;
    const s = await Session.create(build(), { backend: 'wasm', threads: 2 });
    const out = await s.run(feeds);
    const want = interpret(
      ref,
      ref.inputs.map((v) => feeds[v.name]!),
    );
    assert.equal(s.fallbacks.size, 0, `ran on the reference path: ${[...s.fallbacks.values()].join('; ')}`);
    ref.outputs.forEach((v, i) => {
      const a = out[v.name]!.data as Float32Array,
        e = want[i]!.data as Float32Array;
      assert.deepEqual([...out[v.name]!.dims], [...want[i]!.dims]);
      for (let k = 0; k < a.length; k++)
        assert.ok(Math.abs(a[k]! - e[k]!) <= 2e-5 * (1 + Math.abs(e[k]!)), `${v.name}[${k}]: ${a[k]} vs ${e[k]}`);
    });
    await s.release();
  });
}
