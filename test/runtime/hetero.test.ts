// The heterogeneous runtime (backend 'auto'): ops that exist on different devices only, real
// concurrency of independent branches, device failure with fallback, re-planning, traces.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { compareTensors } from '../../src/conformance/compare.js';
import { MemoryStore } from '../../src/cost/history.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { FakeDevice, fastProfile } from '../helpers/fake-devices.js';
import { seeded } from '../helpers/weights.js';

process.env.SWITCHYARD_CACHE ??= mkdtempSync(join(tmpdir(), 'sy-cache-'));
const W = seeded(4);

/** Two matmul branches; joined by an Add (which epilogue fusion chains), or as two outputs. */
function twoBranches(n = 64, split = false) {
  const W = seeded(3); // the same weights on every call
  const g = new GraphBuilder('branches');
  const x = g.input('x', 'float32', [n, n]);
  const a = g.op('Tanh', [g.matmul(x, g.constant(W.tensor([n, n])))]);
  const b = g.op('Sigmoid', [g.matmul(x, g.constant(W.tensor([n, n])))]);
  if (split) {
    g.output(a, 'a');
    g.output(b, 'b');
  } else g.output(g.add(a, b), 'y');
  return g.build();
}

const close = (a: Tensor, b: Tensor) => assert.equal(compareTensors(a, b, { rtol: 1e-5, atol: 1e-6 }, 'y'), undefined);
const opts = (devices: { id: string; dev: FakeDevice }[], gflops = 100) => ({
  backend: 'auto',
  calibration: 'never' as const,
  history: new MemoryStore(),
  trace: true,
  devices: devices.map(({ id, dev }) => ({
    kind: 'wasm' as const,
    id,
    instance: dev,
    profile: fastProfile(id, gflops),
  })),
});

test('an op only one device has runs there, the rest elsewhere, with transfers between', async () => {
  // 'gpu' cannot run Sigmoid or Add (as a GPU without those kernels): the plan must route them
  const gpu = new FakeDevice(
    'gpu',
    (n) => n.op === 'k.matmul' || (n.op === 'k.map' && !/sigmoid/.test(String(n.attrs.expr?.value))),
  );
  const g = twoBranches();
  const x = W.tensor([64, 64], 1);
  const want = interpret(twoBranches(), [x])[0]!;
  const s = await Session.create(g, opts([{ id: 'gpu', dev: gpu }]));
  const out = await s.run({ x });
  close(out.y!, want);
  const plan = s.hetero!.plan;
  const devs = new Set(plan.assignments.map((a) => a.device));
  assert.ok(devs.has('gpu') && devs.has('cpu'), `plan uses ${[...devs]}`);
  for (const a of plan.assignments) {
    const unit = s.hetero!.lastReport!.units.find((u) => u.unit === a.task);
    if (unit) assert.equal(unit.device, a.device);
  }
  assert.ok(s.hetero!.lastReport!.transfers.length > 0);
  await s.release();
});

test('independent branches on different devices overlap in time (trace intervals)', async () => {
  // branches big enough (2·128³ FLOP each) that running them side by side beats the transfers
  const d1 = new FakeDevice('dev1', () => true, 40),
    d2 = new FakeDevice('dev2', () => true, 40);
  const s = await Session.create(
    twoBranches(128, true),
    opts([
      { id: 'dev1', dev: d1 },
      { id: 'dev2', dev: d2 },
    ]),
  );
  const x = W.tensor([128, 128], 1);
  await s.run({ x });
  const r = s.hetero!.lastReport!;
  const onDev = r.units.filter((u) => u.device === 'dev1' || u.device === 'dev2');
  const byDev = new Map(onDev.map((u) => [u.device, u]));
  assert.equal(byDev.size, 2, `units ran on ${[...byDev.keys()]}`);
  const [u1, u2] = [byDev.get('dev1')!, byDev.get('dev2')!];
  assert.ok(u1.startMs < u2.endMs && u2.startMs < u1.endMs, `no overlap: ${JSON.stringify([u1, u2])}`);
  const ev = s.trace!.toJSON().traceEvents.filter((e) => e.ph === 'X' && e.cat === 'run');
  assert.ok(ev.length >= 2);
  await s.release();
});

test('a device that fails mid-run: the answer is still right, the fallback is recorded, the next run avoids it', async () => {
  const flaky = new FakeDevice('flaky');
  flaky.failAfter = 0;
  const x = W.tensor([64, 64], 1);
  const want = interpret(twoBranches(), [x])[0]!;
  const s = await Session.create(twoBranches(), opts([{ id: 'flaky', dev: flaky }]));
  assert.ok(s.hetero!.plan.assignments.some((a) => a.device === 'flaky'));
  const out = await s.run({ x });
  close(out.y!, want);
  const fb = s.hetero!.lastReport!.fallbacks;
  assert.ok(fb.length >= 1 && fb[0]!.from === 'flaky' && fb[0]!.to === 'cpu');
  assert.match(s.fallbacks.values().next().value!, /flaky failed \(flaky stopped answering\); ran on cpu/);
  assert.ok(s.trace!.toJSON().traceEvents.some((e) => e.name.startsWith('fallback:')));
  assert.equal(s.hetero!.replans, 1);
  assert.ok(s.hetero!.plan.assignments.every((a) => a.device !== 'flaky'));
  close((await s.run({ x })).y!, want);
  await s.release();
});

test('measured times far from the prediction trigger a re-plan, noted in the trace', async () => {
  const slow = new FakeDevice('slow', () => true, 30); // profile says 100 GFLOP/s; it takes 30 ms a unit
  const s = await Session.create(twoBranches(), opts([{ id: 'slow', dev: slow }]));
  await s.run({ x: W.tensor([64, 64], 1) });
  assert.equal(s.hetero!.replans, 0, 'the first run is a warm-up and teaches nothing');
  await s.run({ x: W.tensor([64, 64], 1) });
  assert.ok(s.hetero!.replans >= 1);
  assert.ok(s.hetero!.notes.some((n) => /drifted/.test(n)));
  assert.ok(s.trace!.toJSON().traceEvents.some((e) => e.name.startsWith('re-plan')));
  await s.release();
});

test('setPolicy re-plans with the same devices: a new deadline and objective, the same answer', async () => {
  const x = W.tensor([64, 64], 1);
  const want = interpret(twoBranches(), [x])[0]!;
  const fast = new FakeDevice('fast');
  const s = await Session.create(twoBranches(), opts([{ id: 'fast', dev: fast }]));
  const first = s.hetero!.plan;
  assert.equal(s.hetero!.policy, undefined);
  const next = await s.hetero!.setPolicy({ objective: 'cost', deadlineMs: 1e6 });
  assert.notEqual(next, first);
  assert.equal(s.hetero!.plan, next);
  assert.equal(next.objective, 'cost');
  assert.equal(next.deadlineMs, 1e6);
  assert.deepEqual(
    s.hetero!.placed.map((p) => p.id).sort(),
    next.assignments
      .map((a) => a.task)
      .filter((t) => !t.startsWith('@'))
      .sort(),
  );
  close((await s.run({ x })).y!, want);
  // a policy the planner refuses leaves the previous plan (and policy) in place
  const before = s.hetero!.plan;
  await assert.rejects(s.hetero!.setPolicy({ objective: 'cost' }), /needs a deadlineMs/);
  assert.equal(s.hetero!.plan, before);
  assert.equal((s.hetero!.policy as { deadlineMs?: number } | undefined)?.deadlineMs, 1e6);
  close((await s.run({ x })).y!, want);
  await s.release();
});

test('policy.allow keeps units off devices it does not name', async () => {
  const fast = new FakeDevice('fast');
  const s = await Session.create(twoBranches(), {
    ...opts([{ id: 'fast', dev: fast }]),
    policy: { objective: 'latency' as const, allow: ['cpu'] },
  });
  assert.ok(s.hetero!.plan.assignments.every((a) => a.device === 'cpu'));
  await s.release();
  const s2 = await Session.create(twoBranches(), opts([{ id: 'fast', dev: fast }]));
  assert.ok(s2.hetero!.plan.assignments.some((a) => a.device === 'fast'));
  await s2.release();
});

test('policy.allow takes device kinds as well as ids (the demo passes kinds)', async () => {
  const fast = new FakeDevice('fast'); // a 'reference'-kind device, as the host is
  const s = await Session.create(twoBranches(), {
    ...opts([{ id: 'fast', dev: fast }]),
    policy: { objective: 'latency' as const, allow: ['reference'] },
  });
  assert.ok(s.hetero!.plan.assignments.some((a) => a.device === 'fast'));
  await s.release();
});
