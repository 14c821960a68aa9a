// RNN / GRU / LSTM on the reference interpreter against onnxruntime-node, for the cases the ONNX
// suite leaves out: both directions, reverse, sequence_lens, clip, custom activations with
// parameters, linear_before_reset, layout 1, peepholes and input_forget.

import { test } from 'node:test';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { dtypeToOnnx } from '../../src/ir/dtype.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ortRun } from '../helpers/ort.js';
import { assertClose, randT, runOnnx } from './nn-helpers.js';

type Attr = number | string | string[] | { f: number } | { floats: number[] };

function model(
  op: string,
  inputs: ({ name: string; t: Tensor } | null)[],
  outputs: string[],
  attrs: Record<string, Attr>,
): Uint8Array {
  const A = onnx.AttributeProto.AttributeType;
  const enc = (s: string) => new TextEncoder().encode(s);
  const attr = (name: string, v: Attr) => {
    if (typeof v === 'string') return { name, type: A.STRING, s: enc(v) };
    if (typeof v === 'number') return { name, type: A.INT, i: v };
    if (Array.isArray(v)) return { name, type: A.STRINGS, strings: v.map(enc) };
    if ('f' in v) return { name, type: A.FLOAT, f: v.f };
    return { name, type: A.FLOATS, floats: v.floats };
  };
  const present = inputs.filter((i): i is { name: string; t: Tensor } => i !== null);
  const graph = {
    name: 'g',
    node: [
      {
        opType: op,
        input: inputs.map((i) => i?.name ?? ''),
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
      },
    ],
    input: present.map((i) => ({
      name: i.name,
      type: { tensorType: { elemType: dtypeToOnnx(i.t.type), shape: { dim: i.t.dims.map((d) => ({ dimValue: d })) } } },
    })),
    output: outputs.filter((o) => o).map((o) => ({ name: o })),
  };
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 14 }], graph }),
  ).finish();
}

/** out[...] = t transposed so that out axis k is t's axis perm[k]. */
function permute(t: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]!);
  const st = t.dims.map((_, i) => t.dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const src = t.toNumbers();
  const out = new Array<number>(src.length);
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < src.length; k++) {
    out[k] = src[idx.reduce((a, v, j) => a + v * st[perm[j]!]!, 0)]!;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d]! < dims[d]!) break;
      idx[d] = 0;
    }
  }
  return Tensor.from(t.type, out, dims);
}

interface Case {
  op: 'RNN' | 'GRU' | 'LSTM';
  T: number;
  B: number;
  I: number;
  H: number;
  D: number;
  attrs: Record<string, Attr>;
  bias?: boolean;
  lens?: number[];
  h0?: boolean;
  c0?: boolean;
  peep?: boolean;
}

async function check(c: Case, seed: number): Promise<void> {
  const G = { RNN: 1, GRU: 3, LSTM: 4 }[c.op];
  const layout = c.attrs.layout === 1;
  const x = randT(layout ? [c.B, c.T, c.I] : [c.T, c.B, c.I], seed);
  const state = layout ? [c.B, c.D, c.H] : [c.D, c.B, c.H];
  const ins: ({ name: string; t: Tensor } | null)[] = [
    { name: 'X', t: x },
    { name: 'W', t: randT([c.D, G * c.H, c.I], seed + 1) },
    { name: 'R', t: randT([c.D, G * c.H, c.H], seed + 2) },
    c.bias ? { name: 'B', t: randT([c.D, 2 * G * c.H], seed + 3) } : null,
    c.lens ? { name: 'L', t: Tensor.from('int32', c.lens) } : null,
    c.h0 ? { name: 'H0', t: randT(state, seed + 4) } : null,
  ];
  if (c.op === 'LSTM')
    ins.push(
      c.c0 ? { name: 'C0', t: randT(state, seed + 5) } : null,
      c.peep ? { name: 'P', t: randT([c.D, 3 * c.H], seed + 6) } : null,
    );
  while (ins[ins.length - 1] === null) ins.pop();
  const outs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const bytes = model(c.op, ins, outs, { hidden_size: c.H, ...c.attrs });
  const feeds = ins.filter((i): i is { name: string; t: Tensor } => i !== null);
  const ours = runOnnx(
    bytes,
    feeds.map((f) => f.t),
  ).outputs;
  if (!layout) {
    const theirs = await ortRun(bytes, Object.fromEntries(feeds.map((f) => [f.name, f.t])));
    outs.forEach((o, i) => assertClose(ours[i]!, theirs[o]!, 1e-4, `${c.op} ${o}`));
    return;
  }
  // onnxruntime refuses layout 1: it runs the layout-0 model on transposed inputs instead
  const swapped = feeds.map((f) => ({
    name: f.name,
    t: ['X', 'H0', 'C0'].includes(f.name) ? permute(f.t, [1, 0, 2]) : f.t,
  }));
  const { layout: _, ...attrs0 } = c.attrs;
  const bytes0 = model(
    c.op,
    ins.map((i) => (i ? swapped.find((f) => f.name === i.name)! : null)),
    outs,
    { hidden_size: c.H, ...attrs0 },
  );
  const theirs = await ortRun(bytes0, Object.fromEntries(swapped.map((f) => [f.name, f.t])));
  outs.forEach((o, i) =>
    assertClose(ours[i]!, permute(theirs[o]!, o === 'Y' ? [2, 0, 1, 3] : [1, 0, 2]), 1e-4, `${c.op} ${o}`),
  );
}

const cases: [string, Case][] = [
  [
    'RNN bidirectional, bias, initial_h',
    { op: 'RNN', T: 4, B: 3, I: 5, H: 4, D: 2, attrs: { direction: 'bidirectional' }, bias: true, h0: true },
  ],
  [
    'RNN reverse with sequence_lens and Relu',
    {
      op: 'RNN',
      T: 5,
      B: 3,
      I: 2,
      H: 3,
      D: 1,
      attrs: { direction: 'reverse', activations: ['Relu'] },
      lens: [5, 2, 3],
    },
  ],
  [
    'GRU bidirectional with sequence_lens',
    {
      op: 'GRU',
      T: 4,
      B: 3,
      I: 3,
      H: 5,
      D: 2,
      attrs: { direction: 'bidirectional' },
      bias: true,
      lens: [4, 1, 3],
      h0: true,
    },
  ],
  [
    'GRU linear_before_reset, clip',
    { op: 'GRU', T: 3, B: 2, I: 4, H: 3, D: 1, attrs: { linear_before_reset: 1, clip: { f: 0.5 } }, bias: true },
  ],
  [
    'GRU layout 1, reverse',
    { op: 'GRU', T: 4, B: 2, I: 3, H: 3, D: 1, attrs: { layout: 1, direction: 'reverse' }, bias: true, h0: true },
  ],
  [
    'GRU custom activations with parameters',
    {
      op: 'GRU',
      T: 3,
      B: 2,
      I: 3,
      H: 4,
      D: 1,
      attrs: {
        activations: ['HardSigmoid', 'LeakyRelu'],
        activation_alpha: { floats: [0.3, 0.2] },
        activation_beta: { floats: [0.4] },
      },
      bias: true,
    },
  ],
  [
    'LSTM bidirectional, peepholes, states, lens',
    {
      op: 'LSTM',
      T: 5,
      B: 3,
      I: 4,
      H: 3,
      D: 2,
      attrs: { direction: 'bidirectional' },
      bias: true,
      lens: [5, 3, 1],
      h0: true,
      c0: true,
      peep: true,
    },
  ],
  [
    'LSTM layout 1 with initial states',
    { op: 'LSTM', T: 3, B: 2, I: 3, H: 4, D: 1, attrs: { layout: 1 }, bias: true, h0: true, c0: true },
  ],
  [
    'LSTM reverse, clip, input_forget',
    {
      op: 'LSTM',
      T: 4,
      B: 2,
      I: 2,
      H: 3,
      D: 1,
      attrs: { direction: 'reverse', clip: { f: 0.7 }, input_forget: 1 },
      bias: true,
      peep: true,
    },
  ],
];

cases.forEach(([name, c], i) => test(`${name} matches onnxruntime`, () => check(c, 10 * i + 1)));
