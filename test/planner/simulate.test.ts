// The simulator against the plan: a noiseless replay reproduces the plan's times exactly; with
// noise the distribution is ordered, seeded runs repeat, and a tight deadline gets missed sometimes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInstance, makespan, randomProblem, replay, simulate, solve } from '../../src/planner/index.js';

test('noiseless replay reproduces every plan exactly (HEFT, PEFT, exact)', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const inst = buildInstance(randomProblem({ tasks: 8, devices: 3, seed }));
    for (const algorithm of ['heft', 'peft', 'auto'] as const) {
      const s = solve(inst, { algorithm }).schedule!;
      const r = replay(inst, s);
      assert.deepEqual(
        r.start.map((x) => +x.toFixed(9)),
        s.start.map((x) => +x.toFixed(9)),
        `seed ${seed} ${algorithm}`,
      );
      const sim = simulate(inst, s, { runs: 3, noise: 0 });
      assert.equal(sim.makespanMs.max, makespan(s));
    }
  }
});

test('noisy simulation: seeded, ordered quantiles, centred near the plan', () => {
  const p = randomProblem({ tasks: 10, devices: 3, seed: 5 });
  const inst = buildInstance(p);
  const s = solve(inst).schedule!;
  const a = simulate(inst, s, { runs: 2000, noise: 0.2, seed: 42 });
  const b = simulate(inst, s, { runs: 2000, noise: 0.2, seed: 42 });
  assert.deepEqual(a.samples, b.samples);
  const m = a.makespanMs;
  assert.ok(m.min <= m.p50 && m.p50 <= m.p90 && m.p90 <= m.p99 && m.p99 <= m.max);
  assert.ok(m.min < makespan(s) && m.max > makespan(s));
  assert.ok(Math.abs(m.mean / makespan(s) - 1) < 0.25, `mean ${m.mean} vs plan ${makespan(s)}`);
});

test('deadline miss rate: zero with slack, positive when the deadline equals the plan', () => {
  const p = randomProblem({ tasks: 8, devices: 2, seed: 9 });
  const plan = solve(buildInstance(p)).schedule!;
  const ms = makespan(plan);
  const tight = simulate(buildInstance(p, { deadlineMs: ms }), plan, { runs: 500, noise: 0.1, seed: 3 });
  const loose = simulate(buildInstance(p, { deadlineMs: ms * 3 }), plan, { runs: 500, noise: 0.1, seed: 3 });
  assert.ok(tight.deadlineMissRate! > 0.1);
  assert.equal(loose.deadlineMissRate, 0);
});
