import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { assertClose, indices, inferOp, numel, onnxModel, rand, randT, runOnnx, runOp, strides } from './nn-helpers.js';

/** Direct N-D convolution from the definition, with explicit begin pads and output sizes. */
function naiveConv(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  o: { strides: number[]; dilations: number[]; padBegin: number[]; out: number[]; group: number },
) {
  const [N, C] = x.dims;
  const M = w.dims[0];
  const Cg = C / o.group,
    Mg = M / o.group;
  const sp = x.dims.slice(2),
    ks = w.dims.slice(2);
  const xs = strides(x.dims),
    ws = strides(w.dims);
  const xv = x.toNumbers(),
    wv = w.toNumbers(),
    bv = b?.toNumbers();
  const outDims = [N, M, ...o.out];
  const y: number[] = [];
  for (const [n, m, ...op] of indices(outDims)) {
    const g = Math.floor(m / Mg);
    let acc = bv ? bv[m] : 0;
    for (let c = 0; c < Cg; c++) {
      for (const k of indices(ks)) {
        const ip = op.map((p, i) => p * o.strides[i] + k[i] * o.dilations[i] - o.padBegin[i]);
        if (ip.some((v, i) => v < 0 || v >= sp[i])) continue;
        const xi = n * xs[0] + (g * Cg + c) * xs[1] + ip.reduce((a, v, i) => a + v * xs[i + 2], 0);
        const wi = m * ws[0] + c * ws[1] + k.reduce((a, v, i) => a + v * ws[i + 2], 0);
        acc += xv[xi] * wv[wi];
      }
    }
    y.push(acc);
  }
  return { dims: outDims, values: y };
}

/** Transposed convolution by scattering every input element, cropped by begin pads to `out`. */
function naiveConvTranspose(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  o: { strides: number[]; dilations: number[]; padBegin: number[]; out: number[]; group: number },
) {
  const [N, C] = x.dims;
  const Mg = w.dims[1],
    M = Mg * o.group,
    Cg = C / o.group;
  const ks = w.dims.slice(2);
  const outDims = [N, M, ...o.out];
  const ys = strides(outDims),
    xs = strides(x.dims),
    wsd = strides(w.dims);
  const y = new Array<number>(numel(outDims)).fill(0);
  const xv = x.toNumbers(),
    wv = w.toNumbers();
  for (const [n, c, ...ip] of indices(x.dims)) {
    const g = Math.floor(c / Cg);
    for (let mg = 0; mg < Mg; mg++) {
      for (const k of indices(ks)) {
        const op = ip.map((v, i) => v * o.strides[i] + k[i] * o.dilations[i] - o.padBegin[i]);
        if (op.some((v, i) => v < 0 || v >= o.out[i])) continue;
        const yi = n * ys[0] + (g * Mg + mg) * ys[1] + op.reduce((a, v, i) => a + v * ys[i + 2], 0);
        const xi = n * xs[0] + c * xs[1] + ip.reduce((a, v, i) => a + v * xs[i + 2], 0);
        const wi = c * wsd[0] + mg * wsd[1] + k.reduce((a, v, i) => a + v * wsd[i + 2], 0);
        y[yi] += xv[xi] * wv[wi];
      }
    }
  }
  if (b) {
    const bv = b.toNumbers();
    for (const idx of indices(outDims)) y[idx.reduce((a, v, i) => a + v * ys[i], 0)] += bv[idx[1]];
  }
  return { dims: outDims, values: y };
}

test('Conv matches the definition over 1-D/2-D/3-D, groups, strides, dilations and asymmetric pads', () => {
  const cases = [
    { x: [2, 4, 11], w: [6, 2, 3], strides: [2], dilations: [2], pads: [2, 1], group: 2 },
    { x: [1, 3, 7, 6], w: [4, 3, 3, 2], strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 1], group: 1 },
    { x: [2, 6, 5, 5], w: [6, 1, 3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 6 }, // depthwise
    { x: [1, 3, 6, 6], w: [6, 1, 3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 1, 1, 0], group: 3 }, // depthwise multiplier 2
    {
      x: [1, 2, 4, 5, 6],
      w: [4, 2, 2, 3, 2],
      strides: [1, 2, 3],
      dilations: [2, 1, 1],
      pads: [1, 0, 1, 0, 1, 2],
      group: 1,
    },
    { x: [1, 2, 3, 3], w: [2, 2, 5, 5], strides: [1, 1], dilations: [1, 1], pads: [2, 2, 2, 2], group: 1 }, // kernel wider than input
  ];
  cases.forEach((c, i) => {
    const x = randT(c.x, 10 + i),
      w = randT(c.w, 20 + i),
      b = randT([c.w[0]], 30 + i);
    const out = c.x
      .slice(2)
      .map(
        (len, a) =>
          Math.floor(
            (len + c.pads[a] + c.pads[a + c.x.length - 2] - ((c.w[a + 2] - 1) * c.dilations[a] + 1)) / c.strides[a],
          ) + 1,
      );
    const expected = naiveConv(x, w, b, {
      strides: c.strides,
      dilations: c.dilations,
      padBegin: c.pads.slice(0, c.x.length - 2),
      out,
      group: c.group,
    });
    const [y] = runOp('Conv', [x, { c: w }, { c: b }], {
      strides: c.strides,
      dilations: c.dilations,
      pads: c.pads,
      group: c.group,
    });
    assertClose(y, expected, 1e-5, `case ${i}`);
  });
});

test('Conv auto_pad: SAME_UPPER pads at the end, SAME_LOWER at the start, VALID not at all', () => {
  const x = Tensor.from('float32', [1, 2, 3, 4], [1, 1, 4]);
  const w = Tensor.from('float32', [1, 1], [1, 1, 2]);
  assertClose(runOp('Conv', [x, { c: w }], { auto_pad: 'SAME_UPPER' })[0], { dims: [1, 1, 4], values: [3, 5, 7, 4] });
  assertClose(runOp('Conv', [x, { c: w }], { auto_pad: 'SAME_LOWER' })[0], { dims: [1, 1, 4], values: [1, 3, 5, 7] });
  assertClose(runOp('Conv', [x, { c: w }], { auto_pad: 'VALID', pads: [5, 5] })[0], {
    dims: [1, 1, 3],
    values: [3, 5, 7],
  });
  // SAME keeps ceil(len / stride) outputs, also with dilation: total pad = (out-1)*s + (k-1)*d + 1 - len
  const x7 = randT([1, 1, 7], 3),
    w3 = randT([1, 1, 3], 4);
  const [y] = runOp('Conv', [x7, { c: w3 }], { auto_pad: 'SAME_LOWER', strides: [2], dilations: [2] });
  // out = 4, total pad = 3*2 + 5 - 7 = 4 -> 2 before, 2 after
  assertClose(y, naiveConv(x7, w3, undefined, { strides: [2], dilations: [2], padBegin: [2], out: [4], group: 1 }));
  const [y2] = runOp('Conv', [randT([1, 1, 6], 5), { c: w3 }], { auto_pad: 'SAME_LOWER', strides: [1] });
  assert.deepEqual(y2.dims, [1, 1, 6]);
});

test('Conv keeps float16 and float64, rounding once at the end', () => {
  const vals = rand(2 * 9, 7);
  for (const dt of ['float16', 'float64'] as const) {
    const x = Tensor.from(dt, vals, [1, 2, 3, 3]);
    const w = Tensor.from(dt, [0.5, -0.25, 1, 2, 0.125, 0.75, -1, 0.5], [1, 2, 2, 2]);
    const [y] = runOp('Conv', [x, { c: w }]);
    assert.equal(y.type, dt);
    assertClose(
      y,
      naiveConv(x, w, undefined, { strides: [1, 1], dilations: [1, 1], padBegin: [0, 0], out: [2, 2], group: 1 }),
      dt === 'float16' ? 1e-3 : 1e-12,
    );
  }
});

test('Conv with an empty batch gives an empty result of the right shape', () => {
  const [y] = runOp('Conv', [Tensor.zeros('float32', [0, 2, 5, 5]), { c: randT([3, 2, 3, 3]) }]);
  assert.deepEqual(y.dims, [0, 3, 3, 3]);
});

test('Conv shape rule: symbolic batch and spatial dims, and errors naming the input', () => {
  const w = randT([8, 3, 3, 3]);
  const [t] = inferOp('Conv', [{ dtype: 'float32', shape: ['N', 3, 224, 224] }, { c: w }], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  assert.deepEqual(t.shape, ['N', 8, 112, 112]);
  const [u] = inferOp('Conv', [{ dtype: 'float32', shape: ['N', 3, 'H', 32] }, { c: w }], { auto_pad: 'SAME_UPPER' });
  assert.equal(typeof u.shape![2], 'string');
  assert.equal(u.shape![3], 32);
  const [r] = inferOp('Conv', [{ dtype: 'float32' }, { c: w }]);
  assert.equal(r.shape, undefined);
  assert.throws(() => inferOp('Conv', [{ dtype: 'float32', shape: [1, 4, 8, 8] }, { c: w }]), /4 channels.*W/);
  assert.throws(
    () => inferOp('Conv', [{ dtype: 'float32', shape: [1, 3, 8, 8] }, { c: w }], { kernel_shape: [2, 2] }),
    /kernel_shape/,
  );
  assert.throws(
    () => inferOp('Conv', [{ dtype: 'int32', shape: [1, 3, 8, 8] }, { c: Tensor.zeros('int32', [8, 3, 3, 3]) }]),
    /X has type/,
  );
  assert.throws(() => inferOp('Conv', [{ dtype: 'float32', shape: [1, 3, 8, 8] }, { c: randT([8, 3, 3]) }]), /rank/);
  assert.throws(
    () => inferOp('Conv', [{ dtype: 'float32', shape: [1, 3, 8, 8] }, { c: w }], { auto_pad: 'SAME' }),
    /auto_pad/,
  );
});

test('ConvTranspose matches scattering by the definition (groups, strides, dilations, pads, output_padding)', () => {
  const cases = [
    { x: [1, 4, 4, 5], w: [4, 3, 3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 0, 0, 1], op: [1, 0], group: 2 },
    { x: [2, 2, 4, 3], w: [2, 3, 3, 2], strides: [3, 2], dilations: [2, 1], pads: [1, 0, 2, 1], op: [1, 1], group: 1 },
    { x: [1, 2, 5], w: [2, 2, 3], strides: [2], dilations: [1], pads: [1, 2], op: [0], group: 1 },
    {
      x: [1, 2, 3, 4, 3],
      w: [2, 2, 2, 3, 2],
      strides: [2, 1, 2],
      dilations: [1, 1, 2],
      pads: [0, 0, 0, 0, 0, 0],
      op: [1, 0, 0],
      group: 1,
    },
  ];
  cases.forEach((c, i) => {
    const x = randT(c.x, 40 + i),
      w = randT(c.w, 50 + i),
      b = randT([c.w[1] * c.group], 60 + i);
    const n = c.x.length - 2;
    const out = c.x
      .slice(2)
      .map(
        (len, a) =>
          c.strides[a] * (len - 1) + c.op[a] + (c.w[a + 2] - 1) * c.dilations[a] + 1 - c.pads[a] - c.pads[a + n],
      );
    const [y] = runOp('ConvTranspose', [x, { c: w }, { c: b }], {
      strides: c.strides,
      dilations: c.dilations,
      pads: c.pads,
      output_padding: c.op,
      group: c.group,
    });
    assertClose(
      y,
      naiveConvTranspose(x, w, b, {
        strides: c.strides,
        dilations: c.dilations,
        padBegin: c.pads.slice(0, n),
        out,
        group: c.group,
      }),
      1e-5,
      `case ${i}`,
    );
  });
});

test('ConvTranspose output_shape and auto_pad derive the pads from the spec equations', () => {
  const x = randT([1, 1, 3, 3], 70),
    w = randT([1, 2, 3, 3], 71);
  const geo = (out: number[], padBegin: number[]) =>
    naiveConvTranspose(x, w, undefined, { strides: [3, 2], dilations: [1, 1], padBegin, out, group: 1 });
  // full size is 9 x 7; total padding = full - output_shape, begin = total - floor(total/2)
  assertClose(
    runOp('ConvTranspose', [x, { c: w }], { strides: [3, 2], output_shape: [10, 8] })[0],
    geo([10, 8], [0, 0]),
  );
  assertClose(runOp('ConvTranspose', [x, { c: w }], { strides: [3, 2], output_shape: [6, 4] })[0], geo([6, 4], [2, 2]));
  // output_shape overrides pads; an output_shape with N and C is accepted
  assertClose(
    runOp('ConvTranspose', [x, { c: w }], { strides: [3, 2], output_shape: [1, 2, 7, 7], pads: [3, 3, 3, 3] })[0],
    geo([7, 7], [1, 0]),
  );
  // SAME_UPPER: output = input * stride, the odd padding element at the end; SAME_LOWER at the start
  assertClose(
    runOp('ConvTranspose', [x, { c: w }], { strides: [3, 2], auto_pad: 'SAME_UPPER' })[0],
    geo([9, 6], [0, 0]),
  );
  assertClose(
    runOp('ConvTranspose', [x, { c: w }], { strides: [3, 2], auto_pad: 'SAME_LOWER' })[0],
    geo([9, 6], [0, 1]),
  );
  const [t] = inferOp('ConvTranspose', [{ dtype: 'float32', shape: ['N', 1, 3, 3] }, { c: w }], {
    strides: [3, 2],
    output_padding: [1, 1],
  });
  assert.deepEqual(t.shape, ['N', 2, 10, 8]);
});

test('ConvInteger subtracts scalar and per-channel zero points and accumulates in int32', () => {
  const x = Tensor.from('uint8', [10, 20, 30, 40, 50, 60, 70, 80, 90], [1, 1, 3, 3]);
  const w = Tensor.from('uint8', [1, 2, 3, 4, 130, 128, 126, 124], [2, 1, 2, 2]);
  const xz = Tensor.from('uint8', [10], []);
  const wz = Tensor.from('uint8', [0, 128], [2]);
  const [y] = runOp('ConvInteger', [x, { c: w }, { c: xz }, { c: wz }]);
  assert.equal(y.type, 'int32');
  // x - 10 = [[0,10,20],[30,40,50],[60,70,80]]; channel 0 w = [1,2,3,4]; channel 1 w = [2,0,-2,-4]
  const xs = [
    [0, 10, 20],
    [30, 40, 50],
    [60, 70, 80],
  ];
  const conv = (k: number[]) =>
    [0, 1].flatMap((i) =>
      [0, 1].map((j) => xs[i][j] * k[0] + xs[i][j + 1] * k[1] + xs[i + 1][j] * k[2] + xs[i + 1][j + 1] * k[3]),
    );
  assert.deepEqual(y.toNumbers(), [...conv([1, 2, 3, 4]), ...conv([2, 0, -2, -4])]);
  // without zero points, int8
  const [z] = runOp('ConvInteger', [
    Tensor.from('int8', [-128, 127, 5, -5], [1, 1, 2, 2]),
    { c: Tensor.from('int8', [-128, -128, 1, 1], [1, 1, 2, 2]) },
  ]);
  assert.deepEqual(z.toNumbers(), [-128 * -128 + 127 * -128 + 5 - 5]);
});

test('Conv imported from ONNX with an omitted bias and kernel_shape', () => {
  const x = randT([1, 2, 5, 5], 80),
    w = randT([3, 2, 3, 3], 81);
  const bytes = onnxModel('Conv', 11, [{ name: 'x', t: x }, { name: 'w', t: w, init: true }, null], ['y'], {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
  });
  const {
    outputs: [y],
  } = runOnnx(bytes, [x]);
  assertClose(
    y,
    naiveConv(x, w, undefined, { strides: [1, 1], dilations: [1, 1], padBegin: [1, 1], out: [5, 5], group: 1 }),
  );
});
