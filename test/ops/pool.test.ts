import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { assertClose, indices, inferOp, numel, onnxModel, randT, runOnnx, runOp, strides } from './nn-helpers.js';

interface Geo {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
  out: number[];
}

/** Pooling from the definition: every window position, clipped to the input (or to the padded input). */
function naivePool(x: Tensor, g: Geo, kind: 'max' | 'avg' | 'avg_pad' | 'lp', p = 2) {
  const [N, C] = x.dims;
  const sp = x.dims.slice(2);
  const xs = strides(x.dims);
  const xv = x.toNumbers();
  const outDims = [N, C, ...g.out];
  const values: number[] = [];
  const argmax: number[] = [];
  for (const [n, c, ...o] of indices(outDims)) {
    let best = -Infinity,
      bi = -1,
      sum = 0,
      count = 0,
      padCount = 0;
    for (const k of indices(g.kernel)) {
      const pos = o.map((v, i) => v * g.strides[i] + k[i] * g.dilations[i] - g.padBegin[i]);
      if (pos.every((v, i) => v >= -g.padBegin[i] && v < sp[i] + g.padEnd[i])) padCount++;
      if (pos.some((v, i) => v < 0 || v >= sp[i])) continue;
      const flat = n * xs[0] + c * xs[1] + pos.reduce((a, v, i) => a + v * xs[i + 2], 0);
      const v = xv[flat];
      if (v > best) {
        best = v;
        bi = flat;
      }
      sum += kind === 'lp' ? Math.abs(v) ** p : v;
      count++;
    }
    values.push(
      kind === 'max' ? best : kind === 'avg' ? sum / count : kind === 'avg_pad' ? sum / padCount : sum ** (1 / p),
    );
    argmax.push(bi);
  }
  return { y: { dims: outDims, values }, argmax };
}

function outLen(len: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const room = len + pb + pe - ((k - 1) * d + 1);
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= len + pb) out--;
  return out;
}

const CASES = [
  { x: [2, 3, 11], kernel: [3], strides: [2], dilations: [1], pads: [1, 1], ceil: false },
  { x: [1, 2, 9, 8], kernel: [3, 2], strides: [2, 3], dilations: [1, 2], pads: [1, 0, 2, 1], ceil: true },
  { x: [1, 2, 7, 7], kernel: [2, 2], strides: [3, 3], dilations: [1, 1], pads: [0, 0, 0, 0], ceil: true },
  {
    x: [1, 1, 5, 6, 7],
    kernel: [2, 3, 2],
    strides: [2, 1, 3],
    dilations: [2, 1, 1],
    pads: [1, 0, 1, 0, 1, 1],
    ceil: true,
  },
  { x: [1, 2, 6, 6], kernel: [3, 3], strides: [1, 1], dilations: [2, 2], pads: [2, 2, 2, 2], ceil: false },
];

function geoOf(c: (typeof CASES)[number]): Geo {
  const n = c.kernel.length;
  return {
    kernel: c.kernel,
    strides: c.strides,
    dilations: c.dilations,
    padBegin: c.pads.slice(0, n),
    padEnd: c.pads.slice(n),
    out: c.x
      .slice(2)
      .map((len, i) => outLen(len, c.kernel[i], c.strides[i], c.dilations[i], c.pads[i], c.pads[i + n], c.ceil)),
  };
}

test('MaxPool and its Indices match the definition (1-D/2-D/3-D, pads, strides, dilations, ceil_mode)', () => {
  CASES.forEach((c, i) => {
    const x = randT(c.x, 100 + i);
    const g = geoOf(c);
    const attrs = {
      kernel_shape: c.kernel,
      strides: c.strides,
      dilations: c.dilations,
      pads: c.pads,
      ceil_mode: c.ceil ? 1 : 0,
    };
    const [y, idx] = runOp('MaxPool', [x], attrs, 2);
    const ref = naivePool(x, g, 'max');
    assertClose(y, ref.y, 0, `case ${i}`);
    assert.equal(idx.type, 'int64');
    assert.deepEqual(idx.toNumbers(), ref.argmax, `case ${i} indices`);
  });
});

test('MaxPool storage_order=1 numbers Indices column-major within each (n, c) image', () => {
  const x = Tensor.from('float32', [1, 9, 3, 4, 5, 6, 7, 8, 2, 10, 11, 0], [1, 1, 3, 4]);
  const [, idx] = runOp('MaxPool', [x], { kernel_shape: [2, 2], strides: [1, 2], storage_order: 1 }, 2);
  // windows' maxima: (0,1)=9 -> h0,w1; (0,2..3)=6 at h1,w1... computed by hand:
  // rows [1,9,3,4],[5,6,7,8],[2,10,11,0]; windows (rows r..r+1, cols 0-1 / 2-3)
  // r0: max(1,9,5,6)=9 at (0,1); max(3,4,7,8)=8 at (1,3); r1: max(5,6,2,10)=10 at (2,1); max(7,8,11,0)=11 at (2,2)
  const col = (h: number, w: number) => h + w * 3;
  assert.deepEqual(idx.toNumbers(), [col(0, 1), col(1, 3), col(2, 1), col(2, 2)]);
  const [, row] = runOp('MaxPool', [x], { kernel_shape: [2, 2], strides: [1, 2] }, 2);
  assert.deepEqual(row.toNumbers(), [1, 7, 9, 10]);
  // the flat index counts the batch and channel too
  const x2 = randT([2, 3, 4, 4], 7);
  const [, i2] = runOp('MaxPool', [x2], { kernel_shape: [4, 4] }, 2);
  i2.toNumbers().forEach((v, k) => assert.ok(v >= k * 16 && v < (k + 1) * 16));
});

test('MaxPool takes the first maximum, ignores NaN unless the whole window is NaN, and keeps int8/uint8', () => {
  const x = Tensor.from('float32', [2, NaN, 2, 1, NaN, NaN], [1, 1, 6]);
  const [y, i] = runOp('MaxPool', [x], { kernel_shape: [2], strides: [2] }, 2);
  assertClose(y, { dims: [1, 1, 3], values: [2, 2, NaN] });
  assert.deepEqual(i.toNumbers(), [0, 2, 4]);
  const q = Tensor.from('int8', [-128, -100, 127, -1, 5, 5], [1, 1, 6]);
  const [z] = runOp('MaxPool', [q], { kernel_shape: [3], strides: [3], pads: [1, 1] });
  assert.equal(z.type, 'int8');
  assert.deepEqual(z.toNumbers(), [-100, 127]);
  const u = Tensor.from('uint8', [0, 255, 3, 200], [1, 1, 2, 2]);
  assert.deepEqual(runOp('MaxPool', [u], { kernel_shape: [2, 2] })[0].toNumbers(), [255]);
});

test('AveragePool count_include_pad counts pads but not the ceil_mode overhang', () => {
  CASES.forEach((c, i) => {
    const x = randT(c.x, 200 + i);
    const g = geoOf(c);
    const attrs = {
      kernel_shape: c.kernel,
      strides: c.strides,
      dilations: c.dilations,
      pads: c.pads,
      ceil_mode: c.ceil ? 1 : 0,
    };
    assertClose(runOp('AveragePool', [x], attrs)[0], naivePool(x, g, 'avg').y, 1e-6, `case ${i} exclude pad`);
    assertClose(
      runOp('AveragePool', [x], { ...attrs, count_include_pad: 1 })[0],
      naivePool(x, g, 'avg_pad').y,
      1e-6,
      `case ${i} include pad`,
    );
  });
  // by hand: [1..5], kernel 2, stride 2, pads [1,0], ceil: windows [-1,0] [1,2] [3,4]
  const x = Tensor.from('float32', [1, 2, 3, 4, 5], [1, 1, 5]);
  assertClose(runOp('AveragePool', [x], { kernel_shape: [2], strides: [2], pads: [1, 0], ceil_mode: 1 })[0], {
    dims: [1, 1, 3],
    values: [1, 2.5, 4.5],
  });
  assertClose(
    runOp('AveragePool', [x], { kernel_shape: [2], strides: [2], pads: [1, 0], ceil_mode: 1, count_include_pad: 1 })[0],
    { dims: [1, 1, 3], values: [0.5, 2.5, 4.5] },
  );
  // no pads, ceil: the last window [4, 5) overhangs the input and is not padding
  assertClose(runOp('AveragePool', [x], { kernel_shape: [2], strides: [2], ceil_mode: 1, count_include_pad: 1 })[0], {
    dims: [1, 1, 3],
    values: [1.5, 3.5, 5],
  });
});

test('pool auto_pad: SAME keeps ceil(len/stride) with dilated windows, LOWER pads first, VALID ignores pads', () => {
  const x = Tensor.from('float32', [1, 2, 3, 4, 5], [1, 1, 5]);
  assertClose(runOp('AveragePool', [x], { kernel_shape: [2], auto_pad: 'SAME_UPPER' })[0], {
    dims: [1, 1, 5],
    values: [1.5, 2.5, 3.5, 4.5, 5],
  });
  assertClose(runOp('AveragePool', [x], { kernel_shape: [2], auto_pad: 'SAME_LOWER' })[0], {
    dims: [1, 1, 5],
    values: [1, 1.5, 2.5, 3.5, 4.5],
  });
  assertClose(runOp('AveragePool', [x], { kernel_shape: [2], auto_pad: 'SAME_LOWER', count_include_pad: 1 })[0], {
    dims: [1, 1, 5],
    values: [0.5, 1.5, 2.5, 3.5, 4.5],
  });
  assertClose(runOp('MaxPool', [x], { kernel_shape: [2], auto_pad: 'VALID', pads: [3, 3], strides: [2] })[0], {
    dims: [1, 1, 2],
    values: [2, 4],
  });
  // dilation 2, kernel 3 -> window 5; SAME_UPPER on length 5, stride 1: total pad 4 -> 2 and 2
  const [y] = runOp('MaxPool', [x], { kernel_shape: [3], dilations: [2], auto_pad: 'SAME_UPPER' });
  assertClose(y, { dims: [1, 1, 5], values: [3, 4, 5, 4, 5] });
  const [t] = inferOp('MaxPool', [{ dtype: 'float32', shape: ['N', 3, 'H', 15] }], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    auto_pad: 'SAME_LOWER',
  });
  assert.equal(t.shape![0], 'N');
  assert.equal(typeof t.shape![2], 'string');
  assert.equal(t.shape![3], 8);
});

test('LpPool and GlobalLpPool compute (sum |x|^p)^(1/p) over the covered elements', () => {
  const c = CASES[1];
  const x = randT(c.x, 300);
  for (const p of [1, 2, 3]) {
    const [y] = runOp('LpPool', [x], {
      kernel_shape: c.kernel,
      strides: c.strides,
      dilations: c.dilations,
      pads: c.pads,
      ceil_mode: 1,
      p,
    });
    assertClose(y, naivePool(x, geoOf(c), 'lp', p).y, 1e-6, `p=${p}`);
  }
  const g = Tensor.from('float32', [3, -4, 1, 2], [1, 2, 2]);
  assertClose(runOp('GlobalLpPool', [g])[0], { dims: [1, 2, 1], values: [5, Math.sqrt(5)] });
  assertClose(runOp('GlobalLpPool', [g], { p: 1 })[0], { dims: [1, 2, 1], values: [7, 3] });
});

test('LpPool-1 and GlobalLpPool-1 accept p as a float attribute', () => {
  const x = randT([1, 2, 4, 4], 301);
  const bytes = onnxModel('LpPool', 1, [{ name: 'x', t: x }], ['y'], { kernel_shape: [2, 2], p: { f: 3 } });
  const {
    outputs: [y],
  } = runOnnx(bytes, [x]);
  assertClose(
    y,
    naivePool(
      x,
      { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], padBegin: [0, 0], padEnd: [0, 0], out: [3, 3] },
      'lp',
      3,
    ).y,
    1e-6,
  );
  const gb = onnxModel('GlobalLpPool', 1, [{ name: 'x', t: x }], ['y'], { p: { f: 1 } });
  const {
    outputs: [gy],
  } = runOnnx(gb, [x]);
  const xv = x.toNumbers();
  assertClose(
    gy,
    {
      dims: [1, 2, 1, 1],
      values: [0, 1].map((c) => xv.slice(c * 16, c * 16 + 16).reduce((a, v) => a + Math.abs(v), 0)),
    },
    1e-6,
  );
});

test('GlobalAveragePool and GlobalMaxPool reduce every spatial axis, keeping them as 1', () => {
  const x = randT([2, 3, 4, 5, 2], 400);
  const xv = x.toNumbers();
  const plane = 40;
  const slices = Array.from({ length: 6 }, (_, p) => xv.slice(p * plane, (p + 1) * plane));
  assertClose(
    runOp('GlobalAveragePool', [x])[0],
    { dims: [2, 3, 1, 1, 1], values: slices.map((s) => s.reduce((a, b) => a + b, 0) / plane) },
    1e-6,
  );
  assertClose(runOp('GlobalMaxPool', [x])[0], { dims: [2, 3, 1, 1, 1], values: slices.map((s) => Math.max(...s)) });
  const [t] = inferOp('GlobalAveragePool', [{ dtype: 'float16', shape: ['N', 'C', 'H', 'W'] }]);
  assert.deepEqual(t, { dtype: 'float16', shape: ['N', 'C', 1, 1] });
  const h = runOp('GlobalAveragePool', [Tensor.from('float16', [1, 2, 3, 4.5], [1, 1, 4])])[0];
  assert.equal(h.type, 'float16');
  assert.deepEqual(h.toNumbers(), [2.625]);
});

test('MaxPool-8 imported with the Indices output; pool errors name the rule', () => {
  const x = randT([1, 1, 4, 4], 500);
  const bytes = onnxModel('MaxPool', 8, [{ name: 'x', t: x }], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] });
  const {
    outputs: [y, i],
  } = runOnnx(bytes, [x]);
  const ref = naivePool(
    x,
    { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padBegin: [0, 0], padEnd: [0, 0], out: [2, 2] },
    'max',
  );
  assertClose(y, ref.y, 0);
  assert.deepEqual(i.toNumbers(), ref.argmax);
  assert.throws(
    () => inferOp('MaxPool', [{ dtype: 'float32', shape: [1, 1, 4, 4] }], { kernel_shape: [2] }),
    /kernel_shape has 1 values/,
  );
  assert.throws(
    () => inferOp('AveragePool', [{ dtype: 'float32', shape: [1, 1, 4, 4] }], { kernel_shape: [2, 2], pads: [1, 1] }),
    /pads has 2 values/,
  );
  assert.throws(
    () => inferOp('AveragePool', [{ dtype: 'int8', shape: [1, 1, 4, 4] }], { kernel_shape: [2, 2] }),
    /X has type/,
  );
  assert.throws(() => runOp('MaxPool', [randT([1, 1, 2, 2])], { kernel_shape: [3, 3] }), /smaller than the window/);
  assert.equal(numel([2, 3]), 6);
});
