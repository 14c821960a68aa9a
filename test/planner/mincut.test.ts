// Min-cut split of a chain between two devices (Neurosurgeon-style): optimal latency, checked
// against brute force; on a chain 'auto' uses it and reports it as optimal.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleCost, solve } from '../../src/planner/index.js';
import { bruteForce, buildInstance, isTwoDeviceChain, makespan, mulberryProblem } from './chain-helpers.js';

test('min-cut equals the brute-force optimum on random two-device chains', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const inst = buildInstance(mulberryProblem(seed, 4 + (seed % 5)));
    assert.ok(isTwoDeviceChain(inst));
    const s = solve(inst, { algorithm: 'mincut' });
    const b = bruteForce(inst);
    assert.ok(
      Math.abs(makespan(s.schedule!) - b.makespan) < 1e-9,
      `seed ${seed}: ${makespan(s.schedule!)} vs ${b.makespan}`,
    );
  }
});

test('auto picks min-cut on a chain and marks it optimal', () => {
  const s = solve(buildInstance(mulberryProblem(7, 30)));
  assert.match(s.algorithm, /^mincut/);
  assert.equal(s.optimal, true);
});

test('min-cut with the cost objective meets the deadline', () => {
  const p = mulberryProblem(3, 8);
  const fast = makespan(solve(buildInstance(p)).schedule!);
  const inst = buildInstance(p, { objective: 'cost', deadlineMs: fast * 1.3 });
  const s = solve(inst, { algorithm: 'mincut' });
  assert.ok(s.feasible, s.reason);
  assert.ok(s.schedule && makespan(s.schedule) <= fast * 1.3 + 1e-9);
  // the lambda sweep is a heuristic for cost: never below the true optimum
  assert.ok(scheduleCost(inst, s.schedule) >= bruteForce(inst).cost - 1e-12);
});
