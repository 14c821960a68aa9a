// A plan states its first run and its steady state; the runtime measures both, learns from the
// steady runs (units whole, a device curve) and re-predicts the running placement after each run.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { MemoryStore } from '../../src/cost/history.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { explainRun } from '../../src/runtime/explain.js';
import { Session } from '../../src/runtime/session.js';
import { FakeDevice, fastProfile } from '../helpers/fake-devices.js';
import { seeded } from '../helpers/weights.js';

process.env.SWITCHYARD_CACHE ??= mkdtempSync(join(tmpdir(), 'sy-cache-'));

function chain(n = 48) {
  const W = seeded(5);
  const g = new GraphBuilder('chain');
  let x = g.input('x', 'float32', [n, n]);
  for (let i = 0; i < 3; i++) x = g.op('Tanh', [g.matmul(x, g.constant(W.tensor([n, n])))]);
  g.output(x, 'y');
  return g.build();
}

test('first run and steady state: both predicted, both measured, the steady one re-predicted from the runs', async () => {
  const store = new MemoryStore();
  const dev = new FakeDevice('acc', () => true, 2);
  const s = await Session.create(chain(), {
    backend: 'auto',
    calibration: 'never',
    history: store,
    devices: [{ kind: 'wasm', id: 'acc', instance: dev, profile: fastProfile('acc') }],
    policy: { objective: 'latency', allow: ['acc'] },
  });
  const h = s.hetero!;
  const p0 = h.plan;
  assert.ok(p0.firstRun, 'the plan states its first run');
  assert.ok(p0.firstRun.extraMs > 0, 'weights to upload and units to use for the first time');
  assert.ok(Math.abs(p0.firstRun.ms - ((p0.steadyMs ?? p0.makespanMs) + p0.firstRun.extraMs)) < 1e-9);
  assert.ok(Math.abs(Object.values(p0.firstRun.units).reduce((a, b) => a + b, 0) - p0.firstRun.extraMs) < 1e-9);
  const x = seeded(9).tensor([48, 48]);
  await s.run({ x });
  assert.ok(h.firstRun, 'the first run is measured');
  assert.equal(h.firstRun.plan, p0);
  assert.ok(h.firstRun.ms >= h.firstRun.runMs && h.firstRun.compileMs >= 0);
  assert.equal(h.steadyReports.length, 0);
  for (let i = 0; i < 6; i++) await s.run({ x });
  assert.equal(h.steadyReports.length, 6);
  // the fake device sleeps 2 ms a unit, which calibration (100 GFLOP/s) knows nothing of: the
  // steady prediction is re-predicted from what ran (the timings themselves are the benchmark's:
  // here only that the 3 x 2 ms the units sleep at least are learned)
  const steady = h.plan.steadyMs!;
  assert.ok(p0.makespanMs < 1, `calibration alone: ${p0.makespanMs} ms`);
  assert.ok(steady >= 6 && h.plan.makespanMs >= 6, `steady predicted ${steady} ms (schedule ${h.plan.makespanMs} ms)`);
  assert.ok(steady >= h.plan.makespanMs, 'the learned run overhead comes on top of the schedule');
  assert.equal(h.plan.firstRun?.extraMs, 0, 'compiled and resident: the next run is a steady one');
  const text = explainRun(h);
  assert.match(text, /first run: predicted .* measured .*compile/);
  assert.match(text, /steady: +predicted .* measured .* \(median of 6 runs\)/);
  // what the history learned: whole units, the points the device's curve is re-fit from
  assert.ok(Object.keys(store.load()!.devices.acc!).some((k) => k.startsWith('@unit:')));
  await s.release();
});
