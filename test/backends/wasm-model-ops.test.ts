// WASM kernels for the ops real models bring (Resize, ConvTranspose, shape arithmetic answered
// from the plan, dynamic quantization, ConvInteger, depthwise convolution, float16 storage),
// each against the reference interpreter on random odd shapes, and with no reference fallback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { GraphBuilder, Session, Tensor } from '../../src/index.js';

let seed = 11;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648) * 2 - 1;
};
const randT = (dims: number[]) =>
  new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rnd), dims);

function close(a: Tensor, b: Tensor, what: string, tol = 2e-4) {
  assert.deepEqual([...a.dims], [...b.dims], `${what}: shape`);
  assert.equal(a.type, b.type, `${what}: dtype`);
  const x = a.toNumbers(),
    y = b.toNumbers();
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= tol * (1 + Math.abs(y[i]!))) && !Object.is(x[i], y[i]))
      assert.fail(`${what}: element ${i} is ${x[i]}, reference ${y[i]} (|diff| ${d})`);
  }
}

type Build = (g: GraphBuilder) => void;

/** Runs on WASM at 1 and 2 threads, compares with the reference, and checks nothing fell back. */
async function onWasm(build: Build, feeds: Record<string, Tensor>, what: string, tol = 2e-4) {
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
    ref.outputs.forEach((v, i) => close(out[v.name]!, want[i]!, `${what} (${threads} threads) output ${v.name}`, tol));
    assert.deepEqual([...s.fallbacks.entries()], [], `${what}: fell back to the reference path`);
    await s.release();
  }
}

test('Resize: nearest (every rounding), linear, cubic, antialias, crop, sizes and scales match the reference', async () => {
  const cases: {
    x: number[];
    attrs: Record<string, number | string>;
    scales?: number[];
    sizes?: number[];
    roi?: number[];
  }[] = [
    { x: [1, 3, 5, 7], attrs: { mode: 'nearest' }, scales: [1, 1, 2, 2] },
    {
      x: [2, 2, 5, 7],
      attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
      scales: [1, 1, 1.5, 3],
    },
    {
      x: [1, 3, 6, 5],
      attrs: { mode: 'nearest', nearest_mode: 'round_prefer_ceil', coordinate_transformation_mode: 'align_corners' },
      sizes: [1, 3, 11, 3],
    },
    { x: [1, 2, 5, 7], attrs: { mode: 'linear' }, scales: [1, 1, 2, 2] },
    {
      x: [1, 2, 9, 13],
      attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
      sizes: [1, 2, 4, 20],
    },
    {
      x: [1, 3, 8, 6],
      attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', antialias: 1 },
      sizes: [1, 3, 3, 5],
    },
    { x: [1, 2, 7, 5], attrs: { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 }, scales: [1, 1, 2.5, 1.6] },
    {
      x: [1, 1, 7, 9],
      attrs: { mode: 'cubic', coordinate_transformation_mode: 'half_pixel_symmetric' },
      scales: [1, 1, 0.6, 1.3],
    },
    {
      x: [1, 2, 6, 8],
      attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 3 },
      sizes: [1, 2, 5, 7],
      roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3],
    },
    { x: [3, 17], attrs: { mode: 'linear' }, scales: [1, 1.7] },
  ];
  for (const c of cases) {
    await onWasm(
      (g) => {
        const x = g.input('x', 'float32', c.x);
        const roi = c.roi ? g.constant(Tensor.from('float32', c.roi), 'roi') : null;
        const sc = c.scales ? g.constant(Tensor.from('float32', c.scales), 'scales') : null;
        const sz = c.sizes ? g.constant(Tensor.from('int64', c.sizes.map(BigInt)), 'sizes') : null;
        g.output(g.op('Resize', [x, roi, sc, sz], c.attrs), 'y');
      },
      { x: randT(c.x) },
      `resize ${c.x} ${JSON.stringify(c.attrs)}`,
    );
  }
});

test('ConvTranspose with strides, pads, dilations, groups, output_padding and bias matches the reference', async () => {
  const cases: { x: number[]; w: number[]; attrs: Record<string, number | number[] | string>; bias?: boolean }[] = [
    { x: [1, 4, 5, 6], w: [4, 3, 2, 2], attrs: { strides: [2, 2] }, bias: true },
    { x: [2, 6, 5, 4], w: [6, 2, 3, 3], attrs: { group: 3, strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] } },
    { x: [1, 3, 7], w: [3, 5, 4], attrs: { strides: [3], output_padding: [1], pads: [1, 2] }, bias: true },
    { x: [1, 2, 3, 4, 3], w: [2, 3, 2, 3, 2], attrs: { strides: [1, 2, 2] }, bias: true },
    { x: [1, 5, 4, 4], w: [5, 2, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } },
  ];
  for (const c of cases) {
    const W = randT(c.w),
      B = randT([c.w[1]! * Number(c.attrs.group ?? 1)]);
    await onWasm(
      (g) => {
        const x = g.input('x', 'float32', c.x);
        g.output(g.op('ConvTranspose', [x, g.constant(W, 'W'), c.bias ? g.constant(B, 'B') : null], c.attrs), 'y');
      },
      { x: randT(c.x) },
      `convtranspose ${c.x} * ${c.w}`,
    );
  }
});

test('Shape of a symbolic batch feeding Reshape, Gather, Concat and integer arithmetic stays on WASM', async () => {
  for (const batch of [1, 3]) {
    await onWasm(
      (g) => {
        const x = g.input('x', 'float32', ['n', 4, 6]);
        const sh = g.op('Shape', [x]);
        const n = g.op('Gather', [sh, g.constant(Tensor.from('int64', [0n], []), 'i0')], { axis: 0 });
        const last = g.op('Mul', [
          g.op('Gather', [sh, g.constant(Tensor.from('int64', [2n], []), 'i2')], { axis: 0 }),
          g.constant(Tensor.from('int64', [2n], []), 'two'),
        ]);
        const target = g.op(
          'Concat',
          [
            g.op('Unsqueeze', [n, g.constant(Tensor.from('int64', [0n]), 'a0')]),
            g.constant(Tensor.from('int64', [2n]), 'c2'),
            g.op('Unsqueeze', [last, g.constant(Tensor.from('int64', [0n]), 'a1')]),
          ],
          { axis: 0 },
        );
        const y = g.op('Reshape', [g.op('Relu', [x]), target]);
        g.output(g.op('Sigmoid', [y]), 'y');
        g.output(g.op('Size', [x]), 'size');
      },
      { x: randT([batch, 4, 6]) },
      `shape arithmetic, batch ${batch}`,
    );
  }
});

const intT = (type: 'uint8' | 'int8', dims: number[]) => {
  const n = dims.reduce((a, b) => a * b, 1);
  const lo = type === 'uint8' ? 0 : -128;
  const vals = Array.from({ length: n }, () => lo + Math.floor((rnd() + 1) * 127.9));
  return new Tensor(type, type === 'uint8' ? Uint8Array.from(vals) : Int8Array.from(vals), dims);
};

test('DynamicQuantizeLinear (all-positive, all-negative, mixed, odd sizes) matches the reference exactly', async () => {
  for (const [dims, shift] of [
    [[7], 0],
    [[3, 37], 2],
    [[1, 4, 33, 17], -3],
    [[65537], 0.25],
  ] as [number[], number][]) {
    const x = randT(dims);
    const xs = new Tensor(
      'float32',
      Float32Array.from(x.data as Float32Array, (v) => v * 3 + shift),
      dims,
    );
    await onWasm(
      (g) => {
        const [y, s, z] = g.opN('DynamicQuantizeLinear', [g.input('x', 'float32', dims)], {}, 3);
        g.output(y!, 'y');
        g.output(s!, 'scale');
        g.output(z!, 'zp');
      },
      { x: xs },
      `dql ${dims}`,
      0,
    );
  }
});

test('ConvInteger (uint8/int8, zero points per tensor and per channel, groups, pads) matches the reference exactly', async () => {
  const cases: {
    x: number[];
    w: number[];
    xt: 'uint8' | 'int8';
    wt: 'uint8' | 'int8';
    attrs: Record<string, number | number[]>;
    perChannel?: boolean;
  }[] = [
    { x: [1, 3, 9, 11], w: [5, 3, 3, 3], xt: 'uint8', wt: 'uint8', attrs: { pads: [1, 1, 1, 1] } },
    {
      x: [2, 4, 7, 6],
      w: [6, 2, 3, 2],
      xt: 'uint8',
      wt: 'int8',
      attrs: { group: 2, strides: [2, 1], pads: [1, 0, 0, 1] },
      perChannel: true,
    },
    { x: [1, 8, 5, 5], w: [7, 8, 1, 1], xt: 'int8', wt: 'int8', attrs: {} },
  ];
  for (const c of cases) {
    const W = intT(c.wt, c.w);
    const wz = c.perChannel ? intT(c.wt, [c.w[0]!]) : intT(c.wt, []);
    await onWasm(
      (g) => {
        const x = g.input('x', c.xt, c.x);
        const xz = g.input('xz', c.xt, []);
        g.output(g.op('ConvInteger', [x, g.constant(W, 'W'), xz, g.constant(wz, 'wz')], c.attrs), 'y');
      },
      { x: intT(c.xt, c.x), xz: intT(c.xt, []) },
      `convinteger ${c.x} * ${c.w}`,
      0,
    );
  }
});

test('a float16 model (f16 weights, inputs and outputs) computes in float32 on WASM kernels', async () => {
  const W = castTo16(randT([6, 3, 3, 3])),
    B = castTo16(randT([6]));
  const build: Build = (g) => {
    const x = g.input('x', 'float16', [1, 3, 9, 10]);
    const c = g.op('Relu', [g.op('Conv', [x, g.constant(W, 'W'), g.constant(B, 'B')], { pads: [1, 1, 1, 1] })]);
    const up = g.op('Resize', [c, null, g.constant(Tensor.from('float32', [1, 1, 2, 2]), 'sc')], { mode: 'linear' });
    g.output(g.op('Cast', [up], { to: 1 }), 'y32');
    g.output(g.op('Mul', [up, g.constant(castTo16(Tensor.from('float32', [0.5], [])), 'half')]), 'y16');
  };
  const x = castTo16(randT([1, 3, 9, 10]));
  const b = new GraphBuilder();
  build(b);
  const ref = b.build();
  // the reference computes in float16 too, so the comparison allows float16 rounding
  const want = interpret(ref, [x]);
  const s = await Session.create(
    (() => {
      const g = new GraphBuilder();
      build(g);
      return g.build();
    })(),
    { backend: 'wasm', threads: 2 },
  );
  const out = await s.run({ x });
  assert.equal(out.y16!.type, 'float16');
  assert.equal(out.y32!.type, 'float32');
  close(out.y32!, want[0]!, 'f16 model, float32 output', 1e-2);
  close(out.y16!, want[1]!, 'f16 model, float16 output', 1e-2);
  assert.deepEqual([...s.fallbacks.entries()], [], 'fell back to the reference path');
  await s.release();
});

function castTo16(t: Tensor): Tensor {
  const g = new GraphBuilder();
  g.output(g.op('Cast', [g.input('x', 'float32', [...t.dims])], { to: 10 }), 'y');
  return interpret(g.build(), [t])[0]!;
}

test('Cast between float32, float16, int32, uint8, int8, bool and int64 matches the reference exactly', async () => {
  const vals = [0, 1.5, -1.5, 2.7, -2.7, 255.9, 256.5, -129.2, 3e9, -3e9, NaN, Infinity, 1e-3, 65504, 70000, 123456789];
  const x = new Tensor(
    'float32',
    Float32Array.from({ length: 37 }, (_, i) => vals[i % vals.length]! * (i > 15 ? 0.37 : 1)),
    [37],
  );
  const chains: number[][] = [
    [6],
    [2],
    [3],
    [9],
    [7],
    [10],
    [6, 1],
    [2, 1],
    [3, 6],
    [7, 6],
    [7, 2],
    [9, 6],
    [6, 7, 1],
    [3, 2, 1],
    [10, 1],
  ];
  for (const chain of chains) {
    await onWasm(
      (g) => {
        let v = g.input('x', 'float32', [37]);
        for (const to of chain) v = g.op('Cast', [v], { to });
        g.output(v, 'y');
      },
      { x },
      `cast chain ${chain}`,
      0,
    );
  }
});

test('depthwise convolution (direct kernel): strides, pads, dilations, multipliers, 1-D, bias, relu and other epilogues', async () => {
  const cases: { x: number[]; w: number[]; attrs: Record<string, number | number[]>; act?: string }[] = [
    { x: [1, 5, 9, 11], w: [5, 1, 3, 3], attrs: { group: 5, pads: [1, 1, 1, 1] }, act: 'Relu' },
    { x: [2, 4, 10, 7], w: [4, 1, 3, 3], attrs: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] } },
    { x: [1, 3, 13, 9], w: [6, 1, 5, 3], attrs: { group: 3, dilations: [2, 1], pads: [4, 1, 3, 0] }, act: 'HardSwish' },
    { x: [1, 6, 17], w: [6, 1, 5], attrs: { group: 6, pads: [2, 2], strides: [3] }, act: 'Sigmoid' },
    { x: [1, 7, 6, 23], w: [7, 1, 1, 7], attrs: { group: 7, pads: [0, 3, 0, 3] }, act: 'Relu' },
  ];
  for (const c of cases) {
    const W = randT(c.w),
      B = randT([c.w[0]!]);
    await onWasm(
      (g) => {
        const x = g.input('x', 'float32', c.x);
        const y = g.op('Conv', [x, g.constant(W, 'W'), g.constant(B, 'B')], c.attrs);
        g.output(c.act ? g.op(c.act, [y]) : y, 'y');
      },
      { x: randT(c.x) },
      `depthwise ${c.x} * ${c.w} ${c.act ?? ''}`,
    );
  }
});

test('Conv + BatchNormalization + activation (+ residual Add) with the scale folded into the weights matches the reference', async () => {
  const cases: {
    x: number[];
    w: number[];
    attrs: Record<string, number | number[]>;
    act: string;
    residual?: boolean;
    addFirst?: boolean;
  }[] = [
    { x: [1, 3, 11, 9], w: [8, 3, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, act: 'HardSwish' },
    { x: [1, 8, 7, 7], w: [16, 8, 1, 1], attrs: {}, act: 'Relu' },
    { x: [1, 6, 9, 5], w: [6, 1, 3, 3], attrs: { group: 6, pads: [1, 1, 1, 1] }, act: 'Relu', residual: true },
    { x: [2, 4, 6, 6], w: [4, 4, 3, 3], attrs: { pads: [1, 1, 1, 1] }, act: 'Sigmoid', residual: true },
    { x: [1, 5, 7, 9], w: [5, 5, 3, 3], attrs: { pads: [1, 1, 1, 1] }, act: 'Relu', residual: true, addFirst: true },
    {
      x: [1, 6, 5, 5],
      w: [6, 2, 3, 3],
      attrs: { pads: [1, 1, 1, 1], group: 3 },
      act: 'HardSwish',
      residual: true,
      addFirst: true,
    },
  ];
  for (const c of cases) {
    const M = c.w[0]!;
    const W = randT(c.w),
      B = randT([M]);
    const bn = [
      randT([M]),
      randT([M]),
      randT([M]),
      new Tensor(
        'float32',
        Float32Array.from({ length: M }, () => 0.5 + Math.abs(rnd())),
        [M],
      ),
    ];
    await onWasm(
      (g) => {
        const x = g.input('x', 'float32', c.x);
        const y = g.op('Conv', [x, g.constant(W, 'W'), g.constant(B, 'B')], c.attrs);
        const z = g.op('BatchNormalization', [y, ...bn.map((t, i) => g.constant(t, `bn${i}`))], { epsilon: 1e-5 });
        // ResNet's order (residual, then the activation) or the activation first
        if (c.addFirst) {
          g.output(g.op(c.act, [g.op('Add', [z, x])]), 'y');
          return;
        }
        const a = g.op(c.act, [z]);
        g.output(c.residual ? g.op('Add', [a, x]) : a, 'y');
      },
      { x: randT(c.x) },
      `conv+bn ${c.x} * ${c.w} ${c.act}`,
    );
  }
});
