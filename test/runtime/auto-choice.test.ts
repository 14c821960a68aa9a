// `auto` against the single devices and its per-run cost: a split predicted within noise of one
// device alone gives way to that device; a placement measured faster earlier wins over the running
// one; once the plan is stable, runs are learned from on a schedule (not every run), and a lasting
// change in run time is learned from at once.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../src/index.js';
import { randomFeeds } from '../../src/cli/random-inputs.js';
import { type HistoryData, MemoryStore } from '../../src/cost/history.js';
import { buildInstance, planInstance } from '../../src/planner/index.js';
import { MeasuredPlacements, placementKey, preferSingle } from '../../src/runtime/auto-choice.js';
import { LearnSchedule } from '../../src/runtime/learn-schedule.js';
import { Session } from '../../src/runtime/session.js';

const root = join(fileURLToPath(import.meta.url), '../../../..');

// two independent branches: a split runs them side by side, one device in turn
const problem = (branchOnGpu: number, branchOnCpu: number) => ({
  devices: [{ id: 'gpu' }, { id: 'cpu' }],
  links: [{ between: ['gpu', 'cpu'] as [string, string], latencyMs: 0.05, bytesPerMs: 1e6 }],
  tasks: [
    { id: 'src', costMs: { gpu: 0.1, cpu: 0.1 } },
    { id: 'a', costMs: { gpu: branchOnGpu, cpu: branchOnCpu } },
    { id: 'b', costMs: { gpu: branchOnGpu, cpu: branchOnCpu } },
    { id: 'sink', costMs: { gpu: 0.1, cpu: 0.1 } },
  ],
  edges: [
    { from: 'src', to: 'a', bytes: 1000 },
    { from: 'src', to: 'b', bytes: 1000 },
    { from: 'a', to: 'sink', bytes: 1000 },
    { from: 'b', to: 'sink', bytes: 1000 },
  ],
});
const devicesOf = (p: { assignments: { task: string; device: string }[] }) =>
  new Set(p.assignments.filter((a) => !a.task.startsWith('@')).map((a) => a.device));

// a chain whose first half is a little faster on the gpu and second half a little faster on the cpu
const chain = (edge: number) => ({
  devices: [{ id: 'gpu' }, { id: 'cpu' }],
  links: [{ between: ['gpu', 'cpu'] as [string, string], latencyMs: 0.01, bytesPerMs: 1e6 }],
  tasks: [
    { id: 'a', costMs: { gpu: 1, cpu: 1 + edge } },
    { id: 'b', costMs: { gpu: 1 + edge, cpu: 1 } },
  ],
  edges: [{ from: 'a', to: 'b', bytes: 1000 }],
});

test('a split predicted within noise of one device takes the device; a clear win stays split', () => {
  // the split saves 0.09 of 2.1 ms on paper (and pays a transfer and two devices' turns)
  const close = buildInstance(chain(0.1));
  const split = planInstance(close);
  assert.equal(devicesOf(split).size, 2, 'the planner splits the chain');
  const one = preferSingle(close, split, [], 0.1, () => true);
  assert.ok(one, 'one device is within the margin');
  assert.equal(devicesOf(one.plan).size, 1);
  assert.ok(one.plan.makespanMs <= split.makespanMs * 1.1);
  assert.match(one.note, /one device: (gpu|cpu) alone is predicted 2\.10 ms/);
  // a device the policy does not allow is not taken
  assert.equal(
    preferSingle(close, split, [], 0.1, () => false),
    undefined,
  );
  // two branches side by side: the split (1.4 ms) clearly beats one device (2.2 ms)
  const wide = buildInstance(problem(1, 1.2));
  const apart = planInstance(wide);
  assert.equal(devicesOf(apart).size, 2);
  assert.equal(
    preferSingle(wide, apart, [], 0.1, () => true),
    undefined,
  );
});

test('a placement measured faster wins; one measured slower is not gone back to', () => {
  const inst = buildInstance(chain(0.1));
  const split = planInstance(inst);
  const one = preferSingle(inst, split, [], 0.1, () => true)!.plan;
  assert.notEqual(placementKey(split), placementKey(one));
  const m = new MeasuredPlacements();
  for (let i = 0; i < 4; i++) m.record(one, 2);
  // the split is unmeasured: nothing to compare, nothing to go back to
  assert.equal(m.faster(split, 0.1), undefined);
  for (let i = 0; i < 4; i++) m.record(split, 3);
  const back = m.faster(split, 0.1);
  assert.ok(back, 'the one-device placement measured faster');
  assert.equal(placementKey(back.plan), placementKey(one));
  assert.equal(m.faster(one, 0.1), undefined, 'the faster one stays');
  assert.match(m.slower(split, one)!, /3\.00 ms against 2\.00/);
  assert.equal(m.slower(one, split), undefined);
});

test('learning runs on a schedule once stable, and at once on a lasting change', () => {
  const s = new LearnSchedule(0.3, 3, 32);
  const learnedAt: number[] = [];
  for (let run = 1; run <= 100; run++) {
    const ms = run > 80 ? 2 : 1; // the machine gets twice as slow at run 81
    if (s.due(run, ms)) {
      learnedAt.push(run);
      s.learned(true);
    }
  }
  // runs 1-4 settle; then gaps of 1, 2, 4, 8, 16, 32; after run 80 the slow-down is caught in a few runs
  assert.deepEqual(learnedAt.slice(0, 9), [1, 2, 3, 4, 5, 7, 11, 19, 35]);
  const caught = learnedAt.find((r) => r > 80);
  assert.ok(caught !== undefined && caught <= 86, `the slow-down is learned from at run ${caught}`);
  assert.ok(learnedAt.length < 20, `${learnedAt.length} of 100 runs learned from`);
  // a learned run that moved the plan starts the schedule over
  s.learned(false);
  assert.equal(s.settled, false);
  assert.equal(s.due(101, 2), true);
});

test('auto learns from a stable plan on a schedule, not after every run', async () => {
  let saves = 0;
  class Counting extends MemoryStore {
    override save(d: HistoryData) {
      saves++;
      super.save(d);
    }
  }
  const s = await Session.create(join(root, 'examples/models/two-tower.onnx'), {
    backend: 'auto',
    devices: [],
    history: new Counting(),
  });
  try {
    const feeds = randomFeeds(s.graph, 1, {});
    for (let i = 0; i < 10; i++) await s.run(feeds);
    const before = saves;
    const runs = 60;
    for (let i = 0; i < runs; i++) await s.run(feeds);
    // the old runtime learned from (and saved after) every run
    assert.ok(saves - before < runs / 2, `${saves - before} saves in ${runs} runs`);
    assert.ok(s.hetero!.plan.steadyMs! > 0);
  } finally {
    await s.release();
  }
});
