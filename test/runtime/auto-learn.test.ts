// What `auto` learns from a run, as rules on the history (no timings): the steady prediction's
// per-run cost is what the caller waited beyond the schedule, the first-run ratio is split over
// devices by their predicted share, and the placement helpers keep compiled work and fall back
// fastest-first with the host last.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { WASM } from '../../src/cost/catalog/local.js';
import { KernelHistory, MemoryStore } from '../../src/cost/history.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { unitOf } from '../../src/ir/unit.js';
import type { Plan } from '../../src/planner/index.js';
import type { PlacedUnit } from '../../src/planner/units.js';
import { predictFirstRunByDevice } from '../../src/runtime/auto-first-run.js';
import { learnFirstRun, learnRunOverhead } from '../../src/runtime/auto-learn.js';
import { emptyPlan, fallbackOrder, samePlacement } from '../../src/runtime/auto-placement.js';
import type { DeviceEntry } from '../../src/runtime/devices.js';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} is not ${b}`);
const plan = (makespanMs: number): Plan => ({ ...emptyPlan('latency'), makespanMs });

test('the per-run cost is what the caller waited beyond the schedule (learning and re-predicting included)', () => {
  const h = new KernelHistory(new MemoryStore());
  // a run the caller waited 5 ms for, whose 4 units' schedule re-predicted from it is 1 ms
  learnRunOverhead(h, 'cpu', plan(1), 4, 5);
  assert.equal(h.runOverheadPerUnit('cpu'), 1);
  // the median of the recent runs: one run that met load elsewhere does not set it
  learnRunOverhead(h, 'cpu', plan(1), 4, 41);
  learnRunOverhead(h, 'cpu', plan(1), 4, 5);
  assert.equal(h.runOverheadPerUnit('cpu'), 1);
  // a run faster than its schedule teaches no negative cost
  const g = new KernelHistory(new MemoryStore());
  learnRunOverhead(g, 'cpu', plan(3), 2, 1);
  assert.equal(g.runOverheadPerUnit('cpu'), 0);
  // a plan with no units teaches nothing
  learnRunOverhead(g, 'host2', plan(0), 0, 9);
  assert.equal(g.runOverheadPerUnit('host2'), 0);
});

test('a first run measured against its prediction: the ratio goes to each device by its predicted share', () => {
  const h = new KernelHistory(new MemoryStore());
  const est = (ms: number) => ({ compileMs: ms, uploadMs: 0, packMs: 0, firstUseMs: 0, ms });
  // predicted 10 ms extra on gpu and 30 on wasm; measured 120 ms extra in all: 3x each
  learnFirstRun(
    h,
    new Map([
      ['gpu', est(10)],
      ['wasm', est(30)],
    ]),
    120,
  );
  // the profile's figures count as one sample at ratio 1: median of [1, 3]
  assert.equal(h.firstRunRatio('gpu'), 2);
  assert.equal(h.firstRunRatio('wasm'), 2);
  // nothing measured beyond the steady run: nothing learned
  const g = new KernelHistory(new MemoryStore());
  learnFirstRun(g, new Map([['gpu', est(10)]]), 0);
  assert.equal(g.firstRunRatio('gpu'), 1);
});

test('the same units on the same devices keep the compiled executor; fallback is fastest first, the host last', () => {
  const b = new GraphBuilder('two');
  const x = b.input('x', 'float32', [4]);
  b.output(b.op('Relu', [b.op('Tanh', [x])]), 'y');
  const g = b.build();
  const unit = (id: string, device: string, nodes = g.nodes): PlacedUnit => ({
    id,
    unit: unitOf(g, nodes),
    device,
    predictedStartMs: 0,
    predictedEndMs: 1,
  });
  const running = [unit('u0', 'wasm', [g.nodes[0]!]), unit('u1', 'gpu', [g.nodes[1]!])];
  assert.equal(samePlacement(running, [unit('u0', 'wasm', [g.nodes[0]!]), unit('u1', 'gpu', [g.nodes[1]!])]), true);
  assert.equal(samePlacement(running, [unit('u0', 'wasm', [g.nodes[0]!]), unit('u1', 'wasm', [g.nodes[1]!])]), false);
  assert.equal(samePlacement(running, [unit('u0', 'wasm')]), false);
  const entry = (id: string, flops: number) =>
    ({ device: { id }, profile: { peakFlops: { f32: { value: flops } } } }) as unknown as DeviceEntry;
  assert.deepEqual(fallbackOrder([entry('cpu', 5e11), entry('wasm', 1e10), entry('gpu', 1e12)], 'cpu'), [
    'gpu',
    'wasm',
    'cpu',
  ]);
});

test("a device's first run in a process pays its warm-up once; it is learned apart from the per-plan ratio", () => {
  const b = new GraphBuilder('one');
  const x = b.input('x', 'float32', [4]);
  b.output(b.op('Relu', [b.op('Tanh', [x])]), 'y');
  const g = b.build();
  const units: PlacedUnit[] = g.nodes.map((n, i) => ({
    id: `u${i}`,
    unit: unitOf(g, [n]),
    device: 'wasm',
    predictedStartMs: 0,
    predictedEndMs: 1,
  }));
  const live = [{ device: { id: 'wasm' }, profile: WASM }] as unknown as DeviceEntry[];
  const h = new KernelHistory(new MemoryStore());
  const cold = predictFirstRunByDevice(units, live, new Map(), h, 'cpu', new Set());
  const plain = cold.byDevice.get('wasm')!.ms;
  assert.ok(plain > 0);
  assert.deepEqual([...cold.warmup], [['wasm', 3]], "cold, nothing learned yet: the profile's warm-up (3 ms)");
  // the first run took 50 ms beyond the steady run and the predicted warm-up: the rest beyond the
  // plan's own extra is the device's warm-up (53 ms), and the per-plan ratio stays as it was
  learnFirstRun(h, cold.byDevice, 50 + plain, cold.warmup);
  near(h.processWarmupMs('wasm')!, 53);
  assert.equal(h.firstRunRatio('wasm'), 1);
  // the next process's first session on the device predicts it, on its first unit only
  const again = predictFirstRunByDevice(units, live, new Map(), h, 'cpu', new Set());
  near(again.byDevice.get('wasm')!.ms, plain + 50);
  near(again.byUnit.get('u0')! - cold.byUnit.get('u0')!, 50);
  assert.equal(again.byUnit.get('u1'), cold.byUnit.get('u1'));
  // once warm in this process, a new session pays none of it, and its first run teaches the ratio
  const warm = predictFirstRunByDevice(units, live, new Map(), h, 'cpu', new Set(['wasm']));
  near(warm.byDevice.get('wasm')!.ms, plain - 3);
  assert.equal(warm.warmup.size, 0);
  learnFirstRun(h, warm.byDevice, 3 * (plain - 3), warm.warmup);
  near(h.firstRunRatio('wasm'), 2);
  near(h.processWarmupMs('wasm')!, 53);
});
