// Exact search against an independent brute force (every assignment x every per-device order)
// on small random DAGs: latency, cost under a deadline, device restrictions, memory capacity.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bruteForce,
  buildInstance,
  exactSearch,
  makespan,
  randomProblem,
  scheduleCost,
  solve,
  violations,
} from '../../src/planner/index.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

test('exact search finds the brute-force optimum makespan on 60 random DAGs', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const p = randomProblem({
      tasks: 5 + (seed % 3),
      devices: 2 + (seed % 2),
      seed,
      restrict: 0.2,
      density: 0.25 + (seed % 4) * 0.1,
    });
    const inst = buildInstance(p);
    const b = bruteForce(inst);
    const e = exactSearch(inst);
    assert.ok(e.optimal && e.schedule, `seed ${seed}`);
    assert.ok(
      close(makespan(e.schedule), b.makespan),
      `seed ${seed}: exact ${makespan(e.schedule)} vs brute ${b.makespan}`,
    );
    // and the full planner (auto) agrees
    const s = solve(inst);
    assert.ok(close(makespan(s.schedule!), b.makespan), `seed ${seed}: auto`);
  }
});

test('cost objective: the cheapest plan within the deadline matches brute force', () => {
  for (let seed = 100; seed < 140; seed++) {
    const p = randomProblem({ tasks: 6, devices: 3, seed, restrict: 0.15 });
    const best = bruteForce(buildInstance(p)).makespan;
    for (const slack of [1, 1.15, 1.5]) {
      const inst = buildInstance(p, { objective: 'cost', deadlineMs: best * slack });
      const b = bruteForce(inst);
      const s = solve(inst);
      assert.ok(s.feasible, `seed ${seed} slack ${slack}: ${s.reason}`);
      assert.ok(
        close(scheduleCost(inst, s.schedule!), b.cost),
        `seed ${seed} slack ${slack}: ${scheduleCost(inst, s.schedule!)} vs ${b.cost}`,
      );
      assert.ok(makespan(s.schedule!) <= best * slack + 1e-9);
    }
  }
});

test('memory capacity: optimum under capacity limits matches brute force and is respected', () => {
  for (let seed = 200; seed < 230; seed++) {
    const p = randomProblem({ tasks: 6, devices: 2, seed });
    p.tasks.forEach((t, i) => {
      t.memBytes = 100 + (i % 3) * 50;
    });
    p.devices[0]!.memoryBytes = 350; // the free device holds only a few tasks
    const inst = buildInstance(p);
    const b = bruteForce(inst);
    const s = solve(inst);
    assert.ok(s.schedule, `seed ${seed}`);
    assert.deepEqual(violations(inst, s.schedule), []);
    assert.ok(close(makespan(s.schedule), b.makespan), `seed ${seed}: ${makespan(s.schedule)} vs ${b.makespan}`);
  }
});

test('an LLM node obeys TTFT and TPOT: slow decoders are excluded, late first tokens rejected', () => {
  const plan = solve(
    buildInstance({
      devices: [{ id: 'laptop' }, { id: 'cloud', pricePerHour: 4 }],
      links: [{ between: ['laptop', 'cloud'], latencyMs: 30, bytesPerMs: 10000 }],
      tasks: [
        { id: 'embed', costMs: { laptop: 5, cloud: 2 } },
        {
          id: 'llm',
          llm: {
            prefillMs: { laptop: 400, cloud: 40 },
            decodeMsPerToken: { laptop: 25, cloud: 12 },
            outputTokens: 100,
            ttftMs: 200,
            tpotMs: 30,
          },
        },
      ],
      edges: [{ from: 'embed', to: 'llm', bytes: 4000 }],
      policy: { objective: 'latency' },
    }),
  );
  assert.ok(plan.feasible);
  // the laptop meets TPOT (25 <= 30) but its prefill (400 ms) misses TTFT 200 ms
  assert.equal(plan.schedule!.device[1], 1);
  const inst = buildInstance({
    devices: [{ id: 'laptop' }],
    tasks: [
      {
        id: 'llm',
        llm: { prefillMs: { laptop: 400 }, decodeMsPerToken: { laptop: 25 }, outputTokens: 10, ttftMs: 200 },
      },
    ],
  });
  const s = solve(inst);
  assert.equal(s.feasible, false);
  assert.match(s.reason!, /task 'llm': first token at 400\.0 ms misses TTFT 200 ms/);
});
