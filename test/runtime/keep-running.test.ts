// Re-plan hysteresis: the running placement, re-predicted from what the runs taught, is kept
// unless a fresh plan beats it by the margin; and one stalled run moves the history's mean only so far.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelHistory } from '../../src/cost/history.js';
import { buildInstance, planInstance } from '../../src/planner/index.js';
import { keepRunning } from '../../src/runtime/keep-running.js';

const problem = (onGpu: number, onCpu: number) => ({
  devices: [{ id: 'gpu' }, { id: 'cpu' }],
  links: [{ between: ['gpu', 'cpu'] as [string, string], latencyMs: 0.1, bytesPerMs: 1e6 }],
  tasks: [
    { id: 'a', costMs: { gpu: onGpu, cpu: onCpu } },
    { id: 'b', costMs: { gpu: onGpu, cpu: onCpu } },
  ],
  edges: [{ from: 'a', to: 'b', bytes: 1000 }],
});

test('a re-plan keeps the running placement unless the new one is clearly better', () => {
  // the run planned everything on the gpu (calibration said 1 ms a task) ...
  const running = planInstance(buildInstance(problem(1, 4)));
  assert.deepEqual(
    running.assignments.map((a) => a.device),
    ['gpu', 'gpu'],
  );
  // ... measured 4.2 ms a task there, while the cpu's guess (never measured) is 4: 5% better on paper
  const learned = buildInstance(problem(4.2, 4));
  const fresh = planInstance(learned);
  assert.deepEqual(
    fresh.assignments.map((a) => a.device),
    ['cpu', 'cpu'],
  );
  const kept = keepRunning(learned, running, fresh, [], 0.1);
  assert.ok(kept, 'kept');
  assert.deepEqual(
    kept.plan.assignments.map((a) => a.device),
    ['gpu', 'gpu'],
  );
  assert.equal(kept.plan.makespanMs, 8.4, 'the kept plan is re-predicted from the learned costs');
  assert.match(kept.note, /kept the running placement: 8\.40 ms .* 8\.00 ms is not 10% better/);
  // measured 6 ms a task: the cpu's 4 is 33% better, so the plan moves
  const worse = buildInstance(problem(6, 4));
  assert.equal(keepRunning(worse, running, planInstance(worse), [], 0.1), undefined);
  // the same placement needs no keeping
  assert.equal(
    keepRunning(buildInstance(problem(1.1, 4)), running, planInstance(buildInstance(problem(1.1, 4))), [], 0.1),
    undefined,
  );
});

test('one stalled run moves the history mean by at most alpha x 2, a lasting change gets through', () => {
  const h = new KernelHistory(undefined, 0.3);
  h.record('k', 'gpu', 5, 1);
  h.record('k', 'gpu', 500, 1); // a stall: counted as 15 (3x the mean)
  assert.equal(h.lookup('k', 'gpu')!.ms, 5 + 0.3 * (15 - 5));
  for (let i = 0; i < 12; i++) h.record('k', 'gpu', 40, 1);
  assert.ok(Math.abs(h.lookup('k', 'gpu')!.ms - 40) < 2, `a real change is learned: ${h.lookup('k', 'gpu')!.ms}`);
});

test('a device never measured is not trusted to beat measured ones: it takes their ratio when above 1', () => {
  const h = new KernelHistory(undefined, 0.3, 'pessimistic');
  assert.equal(h.deviceRatio('wasm'), 1, 'nothing measured anywhere: calibration as it is');
  h.record('mm', 'webgpu', 5, 1); // the GPU ran 5x slower than its calibrated roofline
  assert.equal(h.deviceRatio('webgpu'), 5);
  assert.equal(h.deviceRatio('wasm'), 5, 'the untried device is assumed as optimistic as the measured one');
  assert.equal(new KernelHistory(undefined, 0.3).deviceRatio('wasm'), 1, 'neutral by default');
  const fast = new KernelHistory(undefined, 0.3, 'pessimistic');
  fast.record('mm', 'webgpu', 0.5, 1);
  assert.equal(fast.deviceRatio('wasm'), 1, 'never made to look faster than calibrated');
});

test('a re-plan never moves a measured unit onto a device where it was never measured', () => {
  const running = planInstance(buildInstance(problem(1, 4)));
  // measured 6 ms a task on the gpu; the cpu's 4 ms is a guess (never measured): 33% better on paper
  const learned = buildInstance(problem(6, 4));
  const fresh = planInstance(learned);
  assert.deepEqual(
    fresh.assignments.map((a) => a.device),
    ['cpu', 'cpu'],
  );
  const onGpu = (_task: string, device: string) => device === 'gpu';
  const kept = keepRunning(learned, running, fresh, [], 0.1, onGpu);
  assert.ok(kept, 'kept: a guess does not replace a measurement');
  assert.deepEqual(
    kept.plan.assignments.map((a) => a.device),
    ['gpu', 'gpu'],
  );
  assert.match(kept.note, /would move a to cpu, b to cpu, measured where they run and never measured there/);
  // measured on both: the better one wins
  assert.equal(
    keepRunning(learned, running, fresh, [], 0.1, () => true),
    undefined,
  );
});
