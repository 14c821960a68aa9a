// First-run costs apart from the steady state, and device curves re-fit from measured units.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WASM, WEBGPU } from '../../src/cost/catalog/local.js';
import { fitDevice, predictFit } from '../../src/cost/device-fit.js';
import { Estimator } from '../../src/cost/estimator.js';
import { fig } from '../../src/cost/figure.js';
import { firstRunOf } from '../../src/cost/first-run.js';
import { KernelHistory, MemoryStore } from '../../src/cost/history.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { runPipeline } from '../../src/passes/index.js';
import { seeded } from '../helpers/weights.js';
import '../../src/ops/index.js';

test('the device fit recovers fixed + slope x roofline by least squares, and refuses what it cannot tell', () => {
  const pts = [0.01, 0.1, 1, 10].map((r) => ({ rooflineMs: r, measuredMs: 0.2 + 1.5 * r }));
  const f = fitDevice(pts)!;
  assert.ok(Math.abs(f.fixedMs - 0.2) < 1e-9 && Math.abs(f.slope - 1.5) < 1e-9, JSON.stringify(f));
  assert.ok(f.meanError < 1e-9);
  assert.ok(Math.abs(predictFit(f, 100) - 150.2) < 1e-6);
  assert.equal(fitDevice([{ rooflineMs: 1, measuredMs: 2 }]), undefined, 'one point');
  assert.equal(
    fitDevice([
      { rooflineMs: 1, measuredMs: 2 },
      { rooflineMs: 1.1, measuredMs: 3 },
    ]),
    undefined,
    'one size',
  );
  assert.equal(
    fitDevice([
      { rooflineMs: 1, measuredMs: 5 },
      { rooflineMs: 10, measuredMs: 1 },
    ]),
    undefined,
    'time falling with size',
  );
  // a negative intercept is noise: the line goes through zero
  const z = fitDevice([
    { rooflineMs: 1, measuredMs: 0.5 },
    { rooflineMs: 10, measuredMs: 10 },
  ])!;
  assert.equal(z.fixedMs, 0);
  assert.ok(z.slope > 0.5 && z.slope < 1);
});

test('the estimator: a measured unit as measured, unseen units from the re-fit curve, untouched devices by roofline', () => {
  const h = new KernelHistory(new MemoryStore());
  const est = new Estimator(h);
  const p = { ...structuredClone(WASM), id: 'wasm' };
  const w = (flops: number) => ({ flops, bytes: 0, dtype: 'float32' as const, launches: 1 });
  const before = est.estimate(w(1e8), p, ['a']);
  assert.equal(before.source, 'roofline');
  // units measured at three sizes: a fixed 0.3 ms each, and twice the calibrated time
  for (const [sig, flops] of [
    ['u1', 1e6],
    ['u2', 1e8],
    ['u3', 1e9],
  ] as const) {
    const r = est.estimate(w(flops), p, [sig]).rooflineMs - (p.unitOverhead?.value ?? 0) * 1e3;
    h.recordUnit('wasm', [sig], 0.3 + 2 * r, r);
  }
  const measured = est.estimate(w(1e8), p, ['u2']);
  assert.equal(measured.source, 'measured');
  const fitted = est.estimate(w(5e8), p, ['new']);
  assert.equal(fitted.source, 'fitted');
  const r = fitted.rooflineMs - (p.unitOverhead?.value ?? 0) * 1e3;
  assert.ok(Math.abs(fitted.ms - (0.3 + 2 * r)) < 1e-6, `${fitted.ms} vs ${0.3 + 2 * r}`);
  assert.equal(est.estimate(w(5e8), { ...p, id: 'other' }, ['new']).source, 'roofline');
});

test('whole-unit entries are the median of the last runs: one stall does not move them', () => {
  const h = new KernelHistory(new MemoryStore());
  for (const ms of [1, 1.1, 40, 0.9, 1]) h.recordUnit('d', ['k'], ms, 1);
  assert.equal(h.lookupUnit('d', ['k'])!.ms, 1);
  for (const ms of [5, 5, 5]) h.recordUnit('d', ['k'], ms, 1);
  assert.equal(h.lookupUnit('d', ['k'])!.ms, 5, 'a lasting change in three runs');
});

test('first-run extras: WASM compiles fused elementwise kernels once, a GPU every kernel; weights upload and pack', () => {
  const W = seeded(7);
  const g = new GraphBuilder('fr');
  const x = g.input('x', 'float32', [64, 128]);
  const a = g.op('Tanh', [g.op('Mul', [g.matmul(x, g.constant(W.tensor([128, 128]))), g.op('Sigmoid', [x])])]);
  g.output(g.op('Tanh', [g.op('Mul', [a, g.op('Sigmoid', [a])])]), 'y');
  const graph = g.build();
  runPipeline(graph, ['lower', 'fuse-elementwise', 'fuse-epilogue', 'dce']);
  const wasm = { ...structuredClone(WASM), id: 'wasm' };
  const gpu = { ...structuredClone(WEBGPU), id: 'gpu' };
  // fused: a map, or a matmul epilogue too long for the GEMM's registers, is a generated module
  const maps = graph.nodes.filter(
    (n) => n.op === 'k.map' || (n.op === 'k.matmul' && String(n.attrs.epilogue?.value ?? '$0').length > 20),
  ).length;
  assert.ok(maps >= 1, graph.nodes.map((n) => `${n.op} ${String(n.attrs.epilogue?.value ?? '')}`).join(','));
  const seen = new Set<string>();
  const fw = firstRunOf(graph.nodes, wasm, seen);
  assert.ok(Math.abs(fw.compileMs - seen.size * wasm.firstRun!.compileKernel.value * 1e3) < 1e-9);
  assert.ok(seen.size >= 1 && seen.size <= maps, `${seen.size} compiled of ${maps} maps`);
  assert.equal(firstRunOf(graph.nodes, wasm, seen).compileMs, 0, 'compiled once per device');
  const weights = 128 * 128 * 4;
  assert.ok(Math.abs(fw.packMs - (weights / wasm.firstRun!.packBandwidth!.value) * 1e3) < 1e-9);
  assert.ok(fw.uploadMs > (weights / wasm.link.bandwidth.value) * 1e3 - 1e-12);
  assert.equal(firstRunOf(graph.nodes, wasm, new Set(), 1, true).uploadMs, 0, 'the host holds the weights');
  const fg = firstRunOf(graph.nodes, gpu);
  assert.ok(
    Math.abs(fg.compileMs - graph.nodes.length * gpu.firstRun!.compileKernel.value * 1e3) < 1e-9,
    'a pipeline per kernel',
  );
  assert.equal(fg.packMs, 0);
  assert.ok(Math.abs(firstRunOf(graph.nodes, gpu, new Set(), 2).ms - 2 * fg.ms) < 1e-9, 'the learned ratio scales it');
  assert.equal(firstRunOf(graph.nodes, { ...gpu, firstRun: undefined }).ms, 0);
  const calibrated = { ...gpu, firstRun: { ...gpu.firstRun!, compileKernel: fig(0.5, 'test') } };
  assert.ok(firstRunOf(graph.nodes, calibrated).compileMs > fg.compileMs);
});

test('first-run ratio: learned per device from measured extras, pessimistic for untried devices when asked', () => {
  const h = new KernelHistory(new MemoryStore(), 0.3, 'pessimistic');
  assert.equal(h.firstRunRatio('wasm'), 1);
  h.recordFirstRun('wasm', 40, 10);
  assert.ok(Math.abs(h.firstRunRatio('wasm') - 2.5) < 1e-9, 'one first run: the median of it (4) and the profile (1)');
  h.recordFirstRun('wasm', 40, 10);
  assert.ok(Math.abs(h.firstRunRatio('wasm') - 4) < 1e-9, 'two alike: theirs');
  assert.ok(Math.abs(h.firstRunRatio('gpu') - 4) < 1e-9, 'an untried device: as off as the measured ones');
  assert.equal(new KernelHistory(new MemoryStore()).firstRunRatio('gpu'), 1);
  // first-run and unit entries do not count as kernel measurements
  assert.equal(h.deviceRatio('wasm'), 1);
});

test("first runs are fit in two parts: a small model's fixed costs do not set a large one's packing", () => {
  // small models: all fixed cost (compiles, first uses), measured 4x the profile's figures; large
  // ones: mostly upload and packing, measured at half the figures
  const h = new KernelHistory(new MemoryStore());
  const runs: [number, number][] = [
    [10, 0],
    [12, 0.5],
    [8, 1],
    [20, 400],
    [25, 900],
  ];
  for (const [fixed, bytes] of runs) {
    const measured = 4 * fixed + 0.5 * bytes;
    h.recordFirstRun('wasm', measured, fixed + bytes);
    h.recordFirstRunParts('wasm', fixed, bytes, measured);
  }
  const s = h.firstRunScales('wasm');
  assert.ok(Math.abs(s.fixed - 4) < 0.5 && Math.abs(s.bytes - 0.5) < 0.1, JSON.stringify(s));
  // one factor over both (the median ratio) is far off for a large model
  const ratio = h.firstRunRatio('wasm');
  const big = { fixed: 30, bytes: 1500, measured: 4 * 30 + 0.5 * 1500 };
  const oneFactor = ratio * (big.fixed + big.bytes);
  const twoParts = s.fixed * big.fixed + s.bytes * big.bytes;
  assert.ok(Math.abs(twoParts / big.measured - 1) < 0.1, `two parts: ${twoParts} for ${big.measured}`);
  assert.ok(Math.abs(oneFactor / big.measured - 1) > 0.5, `one factor: ${oneFactor} for ${big.measured}`);
  // firstRunOf applies each scale to its part and reports the raw parts it scaled
  const g = new GraphBuilder('w', 17);
  const x = g.input('x', 'float32', [1, 64]);
  g.output(g.op('MatMul', [x, g.constant(seeded(1).tensor([64, 64]))]));
  const graph = g.build();
  runPipeline(graph, ['shape-inference', 'lower']);
  const plain = firstRunOf(graph.nodes, WASM);
  const scaled = firstRunOf(graph.nodes, WASM, new Set(), { fixed: 2, bytes: 3 });
  assert.ok(Math.abs(scaled.compileMs - 2 * plain.compileMs) < 1e-9);
  assert.ok(Math.abs(scaled.firstUseMs - 2 * plain.firstUseMs) < 1e-9);
  assert.ok(Math.abs(scaled.packMs - 3 * plain.packMs) < 1e-9 && plain.packMs > 0);
  assert.deepEqual(scaled.raw, plain.raw);
  // with no parts recorded, both scales are the single ratio
  assert.deepEqual(new KernelHistory(new MemoryStore()).firstRunScales('wasm'), { fixed: 1, bytes: 1 });
});
