import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { assertClose, indices, inferOp, onnxModel, randT, runOnnx, runOp, strides } from './nn-helpers.js';

const f32 = (v: number[], dims?: number[]) => Tensor.from('float32', v, dims);
const i64 = (v: number[]) => Tensor.from('int64', v.map(BigInt));
const row = (v: number[]) => f32(v, [1, 1, 1, v.length]);
const scales4 = (s: number) => ({ c: f32([1, 1, 1, s]) });

function resize1(x: number[], s: number, attrs: Record<string, string | number | number[]>): number[] {
  return runOp('Resize', [row(x), null, scales4(s)], attrs)[0].toNumbers();
}

test('Resize nearest: every nearest_mode, with ties and clamping', () => {
  const x = [10, 20, 30, 40];
  const asym = { coordinate_transformation_mode: 'asymmetric' };
  // scale 2, asymmetric: x = 0, 0.5, 1, 1.5, … (ties at .5)
  assert.deepEqual(resize1(x, 2, { ...asym, nearest_mode: 'round_prefer_floor' }), [10, 10, 20, 20, 30, 30, 40, 40]);
  assert.deepEqual(resize1(x, 2, { ...asym, nearest_mode: 'round_prefer_ceil' }), [10, 20, 20, 30, 30, 40, 40, 40]);
  assert.deepEqual(resize1(x, 2, { ...asym, nearest_mode: 'floor' }), [10, 10, 20, 20, 30, 30, 40, 40]);
  assert.deepEqual(resize1(x, 2, { ...asym, nearest_mode: 'ceil' }), [10, 20, 20, 30, 30, 40, 40, 40]);
  // scale 1.25: x = 0, 0.8, 1.6, 2.4, 3.2
  assert.deepEqual(resize1(x, 1.25, { ...asym, nearest_mode: 'round_prefer_floor' }), [10, 20, 30, 30, 40]);
  assert.deepEqual(resize1(x, 1.25, { ...asym, nearest_mode: 'floor' }), [10, 10, 20, 30, 40]);
  assert.deepEqual(resize1(x, 1.25, { ...asym, nearest_mode: 'ceil' }), [10, 20, 30, 40, 40]);
  // default half_pixel + round_prefer_floor: x = -0.25, 0.25, 0.75, … -> 0 0 1 1 2 2 3 3
  assert.deepEqual(resize1(x, 2, {}), [10, 10, 20, 20, 30, 30, 40, 40]);
  // bool resizes with nearest
  const b = Tensor.from('bool', [1, 0], [1, 2]);
  assert.deepEqual(runOp('Resize', [b, null, { c: f32([1, 2]) }])[0].toNumbers(), [1, 1, 0, 0]);
});

test('Resize linear: half_pixel clamps at the edges; align_corners uses the fractional output length', () => {
  assert.deepEqual(resize1([0, 3], 2, { mode: 'linear' }), [0, 0.75, 2.25, 3]);
  const [ac] = runOp('Resize', [row([0, 3]), null, null, { c: i64([1, 1, 1, 4]) }], {
    mode: 'linear',
    coordinate_transformation_mode: 'align_corners',
  });
  assertClose(ac, { dims: [1, 1, 1, 4], values: [0, 1, 2, 3] });
  // scales 0.6 on length 4: output floor(2.4) = 2, x = y * 3 / (2.4 - 1) (the ONNX reference's answer)
  assertClose(
    runOp('Resize', [row([0, 1, 2, 3]), null, scales4(0.6)], {
      mode: 'linear',
      coordinate_transformation_mode: 'align_corners',
    })[0],
    { dims: [1, 1, 1, 2], values: [0, 3 / 1.4] },
    1e-6,
  );
  // asymmetric: x = y / scale
  assertClose(
    runOp('Resize', [row([0, 1, 2, 3]), null, scales4(2)], {
      mode: 'linear',
      coordinate_transformation_mode: 'asymmetric',
    })[0],
    { dims: [1, 1, 1, 8], values: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3] },
  );
  // half_pixel_symmetric: offset = len/2 * (1 - out_int/out_float)
  const s = Math.fround(0.6);
  const off = 2 * (1 - 2 / (4 * s));
  const xs = [0, 1].map((y) => off + (y + 0.5) / s - 0.5);
  assertClose(
    runOp('Resize', [row([10, 20, 30, 40]), null, scales4(0.6)], {
      mode: 'linear',
      coordinate_transformation_mode: 'half_pixel_symmetric',
    })[0],
    { dims: [1, 1, 1, 2], values: xs.map((x) => 10 + 10 * x) },
    1e-6,
  );
  // pytorch_half_pixel maps a length-1 output to coordinate 0
  assertClose(
    runOp('Resize', [row([1, 2, 3, 4]), null, null, { c: i64([1, 1, 1, 1]) }], {
      mode: 'cubic',
      coordinate_transformation_mode: 'pytorch_half_pixel',
    })[0],
    { dims: [1, 1, 1, 1], values: [1] },
  );
});

/** Cubic convolution weight (Keys) with parameter a. */
function keys(t: number, a: number): number {
  const x = Math.abs(t);
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/** Non-separable N-D reference for linear/cubic half_pixel resizing with edge clamping. */
function naiveResize(
  x: Tensor,
  outDims: number[],
  mode: 'linear' | 'cubic',
  a: number,
  excludeOutside: boolean,
): { dims: number[]; values: number[] } {
  const xv = x.toNumbers(),
    xs = strides(x.dims);
  const taps = (len: number, out: number, y: number): [number, number][] => {
    const c = (y + 0.5) / (out / len) - 0.5;
    const f = Math.floor(c);
    const list: [number, number][] =
      mode === 'linear'
        ? [
            [f, 1 - (c - f)],
            [f + 1, c - f],
          ]
        : [-1, 0, 1, 2].map((k) => [f + k, keys(c - (f + k), a)]);
    const kept = excludeOutside ? list.filter(([i]) => i >= 0 && i < len) : list;
    const sum = excludeOutside ? kept.reduce((p, [, w]) => p + w, 0) : 1;
    return kept.map(([i, w]) => [Math.min(len - 1, Math.max(0, i)), w / sum]);
  };
  const values: number[] = [];
  for (const o of indices(outDims)) {
    const per = o.map((y, d) =>
      outDims[d] === x.dims[d] ? ([[y, 1]] as [number, number][]) : taps(x.dims[d], outDims[d], y),
    );
    let acc = 0;
    for (const k of indices(per.map((p) => p.length))) {
      let w = 1,
        flat = 0;
      k.forEach((j, d) => {
        w *= per[d][j][1];
        flat += per[d][j][0] * xs[d];
      });
      acc += w * xv[flat];
    }
    values.push(acc);
  }
  return { dims: outDims, values };
}

test('Resize cubic and linear match a non-separable reference (cubic_coeff_a, exclude_outside)', () => {
  const x = randT([1, 2, 5, 6], 11);
  for (const [mode, a, eo] of [
    ['cubic', -0.75, 0],
    ['cubic', -0.5, 1],
    ['linear', 0, 0],
    ['linear', 0, 1],
  ] as const) {
    const [y] = runOp('Resize', [x, null, null, { c: i64([1, 2, 9, 4]) }], {
      mode,
      cubic_coeff_a: a,
      exclude_outside: eo,
    });
    assertClose(y, naiveResize(x, [1, 2, 9, 4], mode, a, eo === 1), 1e-5, `${mode} a=${a} exclude_outside=${eo}`);
  }
});

test('Resize tf_crop_and_resize writes extrapolation_value outside the input', () => {
  const [y] = runOp('Resize', [row([1, 2, 3, 4]), { c: f32([0.5, 1.5]) }, null, { c: i64([3]) }], {
    mode: 'linear',
    coordinate_transformation_mode: 'tf_crop_and_resize',
    extrapolation_value: 9,
    axes: [3],
  });
  // x = 0.5*3 + y * 1.0 * 3 / 2 = 1.5, 3, 4.5
  assertClose(y, { dims: [1, 1, 1, 3], values: [2.5, 4, 9] });
  const [n] = runOp(
    'Resize',
    [row([1, 2, 3, 4]), { c: f32([0, 0, 0, -0.5, 1, 1, 1, 0.5]) }, null, { c: i64([1, 1, 1, 3]) }],
    {
      coordinate_transformation_mode: 'tf_crop_and_resize',
      nearest_mode: 'floor',
    },
  );
  // x = -1.5 + y * 1.5: -1.5 (outside), 0, 1.5 -> floor 1
  assert.deepEqual(n.toNumbers(), [0, 1, 2]);
});

test('Resize antialias widens the filter by 1/scale when downsampling', () => {
  const x = row([0, 1, 2, 3, 4, 5, 6, 7]);
  assertClose(runOp('Resize', [x, null, scales4(0.5)], { mode: 'linear', antialias: 1 })[0], {
    dims: [1, 1, 1, 4],
    values: [0.625, 2.5, 4.5, 6.375],
  });
  assertClose(runOp('Resize', [x, null, scales4(0.5)], { mode: 'linear', antialias: 1, exclude_outside: 1 })[0], {
    dims: [1, 1, 1, 4],
    values: [0.625 / 0.875, 2.5, 4.5, 5.5 / 0.875],
  });
  // upsampling with antialias is plain interpolation
  const u = randT([1, 1, 3, 3], 12);
  assertClose(
    runOp('Resize', [u, null, { c: f32([1, 1, 2, 1.5]) }], { mode: 'cubic', antialias: 1 })[0],
    runOp('Resize', [u, null, { c: f32([1, 1, 2, 1.5]) }], { mode: 'cubic' })[0],
    1e-6,
  );
  // antialias only concerns linear and cubic; nearest ignores it
  assert.deepEqual(
    runOp('Resize', [x, null, scales4(0.5)], { antialias: 1 })[0].toNumbers(),
    runOp('Resize', [x, null, scales4(0.5)])[0].toNumbers(),
  );
});

test('Resize sizes with axes and keep_aspect_ratio_policy', () => {
  const x = randT([1, 1, 2, 4], 13);
  const sizes = { c: i64([4, 4]) };
  assert.deepEqual(
    runOp('Resize', [x, null, null, sizes], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' })[0].dims,
    [1, 1, 2, 4],
  );
  assert.deepEqual(
    runOp('Resize', [x, null, null, sizes], { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' })[0].dims,
    [1, 1, 4, 8],
  );
  assert.deepEqual(runOp('Resize', [x, null, null, { c: i64([3, 5]) }], { axes: [-1, 2] })[0].dims, [1, 1, 5, 3]);
  // the shape rule computes the same from constant sizes; symbolic untouched axes stay
  const [t] = inferOp('Resize', [{ dtype: 'float32', shape: ['N', 3, 2, 4] }, null, null, sizes], {
    axes: [2, 3],
    keep_aspect_ratio_policy: 'not_smaller',
  });
  assert.deepEqual(t.shape, ['N', 3, 4, 8]);
  const [u] = inferOp('Resize', [{ dtype: 'float32', shape: ['N', 3, 'H', 10] }, null, { c: f32([1, 1, 2, 0.5]) }]);
  assert.deepEqual([u.shape![0], u.shape![1], typeof u.shape![2], u.shape![3]], ['N', 3, 'string', 5]);
  const [v] = inferOp('Resize', [
    { dtype: 'float32', shape: ['N', 3, 8, 8] },
    null,
    null,
    { dtype: 'int64', shape: [4] },
  ]);
  assert.equal(v.shape!.length, 4);
  assert.ok(v.shape!.every((d) => typeof d === 'string'));
  assert.deepEqual(
    inferOp('Resize', [{ dtype: 'float32' }, null, null, { c: i64([1, 3, 5, 5]) }])[0].shape,
    [1, 3, 5, 5],
  );
  assert.equal(inferOp('Resize', [{ dtype: 'float32' }, null, { c: f32([1, 1, 2, 2]) }])[0].shape?.length, 4);
  assert.throws(
    () => inferOp('Resize', [{ dtype: 'float32', shape: [1, 3, 8, 8] }, null, { c: f32([1, 2]) }]),
    /scales has 2 values/,
  );
  assert.throws(
    () => inferOp('Resize', [{ dtype: 'float32', shape: [1, 3, 8, 8] }, null, { c: f32([2, 2]) }], { axes: [2, -2] }),
    /repeats/,
  );
  assert.throws(
    () => runOp('Resize', [x, null, { c: f32([1, 1, 2, 2]) }, { c: i64([1, 1, 4, 8]) }]),
    /only one of scales and sizes/,
  );
  assert.throws(
    () => inferOp('Resize', [{ dtype: 'float32', shape: [1, 4] }, null, { c: f32([1, 2]) }], { mode: 'bicubic' }),
    /mode must be one of/,
  );
});

test('Resize of integer tensors rounds half to even and saturates', () => {
  const vals = [0, 255, 255, 0, 10, 200, 3, 255];
  const u = Tensor.from('uint8', vals, [1, 1, 2, 4]);
  const f = Tensor.from('float64', vals, [1, 1, 2, 4]);
  const sc = { c: f32([1, 1, 2, 1.5]) };
  const [yu] = runOp('Resize', [u, null, sc], { mode: 'cubic' });
  const [yf] = runOp('Resize', [f, null, sc], { mode: 'cubic' });
  assert.equal(yu.type, 'uint8');
  const fv = yf.toNumbers();
  assert.ok(fv.some((v) => v > 255) && fv.some((v) => v < 0), 'cubic overshoots the input range');
  const even = (v: number) => {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  assert.deepEqual(
    yu.toNumbers(),
    fv.map((v) => Math.min(255, Math.max(0, even(v)))),
  );
  // 0.5 and 2.5 round to even
  const [yi] = runOp('Resize', [Tensor.from('int32', [0, 1, 2, 3], [4]), null, { c: f32([2]) }], {
    mode: 'linear',
    coordinate_transformation_mode: 'asymmetric',
  });
  assert.deepEqual(yi.toNumbers(), [0, 0, 1, 2, 2, 2, 3, 3]);
});

test('Resize-10 and Upsample import as Resize with asymmetric coordinates', () => {
  const x = f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4]);
  const sc = (v: number[]) => ({ name: 's', t: f32(v), init: true });
  const down = runOnnx(
    onnxModel('Resize', 10, [{ name: 'x', t: x }, sc([1, 1, 0.6, 0.6])], ['y'], { mode: 'nearest' }),
    [x],
  );
  assertClose(down.outputs[0], { dims: [1, 1, 1, 2], values: [1, 3] });
  const lin = runOnnx(onnxModel('Resize', 10, [{ name: 'x', t: x }, sc([1, 1, 0.6, 0.6])], ['y'], { mode: 'linear' }), [
    x,
  ]);
  assertClose(lin.outputs[0], { dims: [1, 1, 1, 2], values: [1, 1 + 1 / 0.6] }, 1e-6);
  const small = f32([1, 2, 3, 4], [1, 1, 2, 2]);
  const repeat = {
    dims: [1, 1, 4, 6],
    values: [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4],
  };
  assertClose(
    runOnnx(onnxModel('Resize', 10, [{ name: 'x', t: small }, sc([1, 1, 2, 3])], ['y'], {}), [small]).outputs[0],
    repeat,
  );
  const u9 = runOnnx(
    onnxModel('Upsample', 9, [{ name: 'x', t: small }, sc([1, 1, 2, 3])], ['y'], { mode: 'nearest' }),
    [small],
  );
  assertClose(u9.outputs[0], repeat);
  assert.equal(u9.graph.nodes[0].op, 'nn.Resize');
  const u7 = runOnnx(
    onnxModel('Upsample', 7, [{ name: 'x', t: small }], ['y'], { mode: 'nearest', scales: { floats: [1, 1, 2, 3] } }),
    [small],
  );
  assertClose(u7.outputs[0], repeat);
  const u7l = runOnnx(
    onnxModel('Upsample', 7, [{ name: 'x', t: small }], ['y'], { mode: 'linear', scales: { floats: [1, 1, 2, 2] } }),
    [small],
  );
  assertClose(u7l.outputs[0], { dims: [1, 1, 4, 4], values: [1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4] });
  const u1 = runOnnx(
    onnxModel('Upsample', 1, [{ name: 'x', t: small }], ['y'], {
      mode: 'bilinear',
      height_scale: { f: 2 },
      width_scale: { f: 2 },
    }),
    [small],
  );
  assertClose(u1.outputs[0], u7l.outputs[0]);
  // Resize-11 with an empty scales tensor and sizes
  const r11 = runOnnx(
    onnxModel(
      'Resize',
      11,
      [
        { name: 'x', t: small },
        { name: 'roi', t: f32([]), init: true },
        { name: 's', t: f32([]), init: true },
        { name: 'z', t: i64([1, 1, 4, 6]), init: true },
      ],
      ['y'],
      {},
    ),
    [small],
  );
  assert.deepEqual(r11.outputs[0].dims, [1, 1, 4, 6]);
  assert.deepEqual(r11.graph.outputs[0].type?.shape, [1, 1, 4, 6]);
});

test('Upsample built directly keeps its own rule', () => {
  const small = f32([1, 2, 3, 4], [1, 1, 2, 2]);
  const [y] = runOp('Upsample', [small, { c: f32([1, 1, 1, 2]) }]);
  assertClose(y, { dims: [1, 1, 2, 4], values: [1, 1, 2, 2, 3, 3, 4, 4] });
});
