// The compute curve: throughput measured at several kernel sizes makes the roofline charge small
// kernels for running below peak, which a single peak figure (measured on large matmuls) hides.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMeasurements } from '../../src/cost/calibrate/calibrator.js';
import { getProfile } from '../../src/cost/catalog/index.js';
import { type DeviceProfile, sizeEfficiency } from '../../src/cost/profile.js';
import { roofline } from '../../src/cost/roofline.js';

const withCurve = (p: DeviceProfile, curve: [number, number][]): DeviceProfile => ({
  ...p,
  computeCurve: curve.map(([flops, f]) => ({ flops, flopsPerSec: f })),
});

test('sizeEfficiency interpolates log-log between measured sizes and is flat beyond them', () => {
  const p = withCurve(getProfile('H100'), [
    [1e6, 1e12],
    [1e8, 1e13],
    [1e10, 4e13],
  ]);
  assert.equal(sizeEfficiency(p, 1e4), 1e12 / 4e13, 'below the smallest point: its share');
  assert.equal(sizeEfficiency(p, 1e6), 0.025);
  assert.ok(Math.abs(sizeEfficiency(p, 1e7) - Math.sqrt(1e12 * 1e13) / 4e13) < 1e-12, 'geometric midpoint');
  assert.equal(sizeEfficiency(p, 1e12), 1, 'beyond the largest point: peak');
  assert.equal(sizeEfficiency(getProfile('H100'), 1e6), 1, 'no curve: peak');
});

test('the roofline charges a small kernel for its size, a large one not', () => {
  const base = getProfile('H100');
  const p = withCurve(base, [
    [4e6, 1e12],
    [1.7e10, 1.7e13],
  ]);
  const small = { flops: 4e6, bytes: 0, launches: 0, dtype: 'float32' as const };
  const big = { flops: 1.7e10, bytes: 0, launches: 0, dtype: 'float32' as const };
  const ratio = roofline(small, p).computeMs / roofline(small, base).computeMs;
  assert.ok(Math.abs(ratio - 17) < 1e-9, `a kernel at 1/17 of peak takes 17x: ${ratio}`);
  assert.ok(Math.abs(roofline(big, p).computeMs - roofline(big, base).computeMs) < 1e-12);
});

test('calibration folds curve points into the profile: best per size, dispatch cost taken out, never falling with size', () => {
  const p = applyMeasurements(getProfile('H100'), {
    matmulGflops: { float32: 16000 },
    dispatchUs: 20,
    matmulCurve: [
      { flops: 2 * 2048 ** 3, gflops: 16000 },
      { flops: 2 * 128 ** 3, gflops: 100 },
      { flops: 2 * 128 ** 3, gflops: 80 },
      { flops: 2 * 256 ** 3, gflops: 90 }, // a dip below the smaller size: noise, lifted
    ],
  });
  const c = p.computeCurve!;
  assert.deepEqual(
    c.map((x) => x.flops),
    [2 * 128 ** 3, 2 * 256 ** 3, 2 * 2048 ** 3],
  );
  // 128^3: 4.19 MFLOP at 100 GFLOP/s is 41.9 us, less 20 us of dispatch: 21.9 us
  const t128 = (2 * 128 ** 3) / 100e9 - 20e-6;
  assert.ok(Math.abs(c[0]!.flopsPerSec - (2 * 128 ** 3) / t128) < 1, `${c[0]!.flopsPerSec}`);
  assert.ok(c[1]!.flopsPerSec >= c[0]!.flopsPerSec, 'non-decreasing');
  assert.equal(
    applyMeasurements(getProfile('H100'), { matmulGflops: { float32: 1 } }).computeCurve,
    undefined,
    'one size: no curve',
  );
});
