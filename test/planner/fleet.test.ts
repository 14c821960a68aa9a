// Fleet ILP: optimal against brute force over integer counts on small random fleets; the issue's
// example; infeasible mixes name the class; the derived form sizes prefill and decode
// separately; the roofline ratios reproduce Splitwise's 0.63x and 1.32x.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { bruteForceFleet } from '../../src/planner/fleet/brute.js';
import { rooflineRatios } from '../../src/planner/fleet/compare.js';
import { deriveFleet } from '../../src/planner/fleet/derive.js';
import { solveFleet } from '../../src/planner/fleet/ilp.js';
import type { FleetProblem } from '../../src/planner/fleet/types.js';
import { mulberry32, randInt } from '../../src/util/rng.js';
import { CLI, REPO } from '../helpers/paths.js';

function randomFleet(seed: number): FleetProblem {
  const r = mulberry32(seed);
  const gpuTypes = Array.from({ length: 2 + (seed % 2) }, (_, j) => ({
    id: `g${j}`,
    pricePerHour: Math.round((0.5 + r() * 4) * 100) / 100,
    ...(r() < 0.4 ? { available: randInt(r, 1, 4) } : {}),
  }));
  const classes = Array.from({ length: 1 + (seed % 3) }, (_, i) => {
    const per: Record<string, number> = {};
    for (const g of gpuTypes) if (r() < 0.8) per[g.id] = randInt(r, 2, 30);
    if (!Object.keys(per).length) per.g0 = 5;
    return { id: `c${i}`, ratePerS: randInt(r, 1, 40), perGpuRatePerS: per };
  });
  return { gpuTypes, classes };
}

function checkPlan(p: FleetProblem, plan: Awaited<ReturnType<typeof solveFleet>>) {
  for (const c of p.classes) {
    const served = plan.split.filter((s) => s.class === c.id).reduce((a, s) => a + s.ratePerS, 0);
    assert.ok(Math.abs(served - c.ratePerS) < 1e-4, `class ${c.id} served ${served} of ${c.ratePerS}`);
  }
  for (const g of p.gpuTypes) {
    const load = plan.split
      .filter((s) => s.gpu === g.id)
      .reduce((a, s) => a + s.ratePerS / p.classes.find((c) => c.id === s.class)!.perGpuRatePerS[g.id]!, 0);
    assert.ok(load <= (plan.counts[g.id] ?? 0) + 1e-6, `${g.id} loaded ${load} > ${plan.counts[g.id] ?? 0}`);
    if (g.available !== undefined) assert.ok((plan.counts[g.id] ?? 0) <= g.available);
  }
}

test('the issue example: 4 A10G', async () => {
  const p: FleetProblem = {
    gpuTypes: [
      { id: 'A10G', pricePerHour: 1.01, available: 8 },
      { id: 'A100', pricePerHour: 3.67 },
    ],
    classes: [{ id: 'short', ratePerS: 40, perGpuRatePerS: { A10G: 12.5, A100: 30 } }],
  };
  const plan = await solveFleet(p);
  assert.deepEqual(
    { feasible: plan.feasible, costPerHour: plan.costPerHour, counts: plan.counts },
    { feasible: true, costPerHour: 4.04, counts: { A10G: 4 } },
  );
  assert.deepEqual(plan.split, [{ class: 'short', gpu: 'A10G', ratePerS: 40 }]);
});

test('ILP is optimal against brute force over counts on 40 small random fleets', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const p = randomFleet(seed);
    const [ilp, brute] = [await solveFleet(p), await bruteForceFleet(p)];
    assert.equal(ilp.feasible, brute.feasible, `seed ${seed}: ${ilp.reason}`);
    if (!ilp.feasible) continue;
    assert.ok(
      Math.abs(ilp.costPerHour - brute.costPerHour) < 1e-6,
      `seed ${seed}: ilp ${ilp.costPerHour} vs brute ${brute.costPerHour}`,
    );
    checkPlan(p, ilp);
  }
});

test('infeasible fleets say which class and why', async () => {
  const none = await solveFleet({
    gpuTypes: [{ id: 'L4', pricePerHour: 0.8 }],
    classes: [{ id: 'huge', ratePerS: 3, perGpuRatePerS: {} }],
  });
  assert.equal(none.feasible, false);
  assert.match(none.reason!, /class 'huge': no GPU type can serve it/);
  const short = await solveFleet({
    gpuTypes: [{ id: 'L4', pricePerHour: 0.8, available: 2 }],
    classes: [{ id: 'chat', ratePerS: 30, perGpuRatePerS: { L4: 10 } }],
  });
  assert.equal(short.feasible, false);
  assert.match(short.reason!, /class 'chat': needs 30 req\/s, all available GPUs together serve at most 20 req\/s/);
  await assert.rejects(
    solveFleet({ gpuTypes: [{ id: 'L4', pricePerHour: -1 }], classes: [] }),
    /GPU type 'L4': pricePerHour must be a number >= 0/,
  );
  await assert.rejects(
    solveFleet({
      gpuTypes: [{ id: 'L4', pricePerHour: 1 }],
      classes: [{ id: 'x', ratePerS: 1, perGpuRatePerS: { H9: 1 } }],
    }),
    /class 'x': unknown GPU type 'H9'/,
  );
});

test('derived input: prefill and decode classes with per-type rates; decode favours bandwidth per dollar', () => {
  const { problem, rates } = deriveFleet({
    model: { params: 8e9, layers: 32, hiddenSize: 4096, kvBytesPerToken: 131072 },
    mix: [{ id: 'chat', ratePerS: 10, promptTokens: 512, outputTokens: 256 }],
    slo: { ttftMs: 1000, tpotMs: 50 },
    gpus: ['A100-80GB', 'H100'],
  });
  assert.deepEqual(
    problem.classes.map((c) => c.id),
    ['chat/prefill', 'chat/decode'],
  );
  const h = rates.find((r) => r.gpu === 'H100')!,
    a = rates.find((r) => r.gpu === 'A100-80GB')!;
  // prefill is compute-bound: the H100's rate advantage is about its FLOP/s ratio (989/312)
  const pr = h.prefillPerS.chat! / a.prefillPerS.chat!;
  assert.ok(pr > 2.5 && pr < 3.3, `prefill ratio ${pr}`);
  // decode is bandwidth-bound: closer to the bandwidth ratio (3.35/2.04)
  const dr = h.decodePerS.chat! / a.decodePerS.chat!;
  assert.ok(dr > 1.3 && dr < 2.2, `decode ratio ${dr}`);
});

test('roofline ratios: Splitwise figures give 0.63x per prompt token and 1.32x per generated token', () => {
  const [sw, cat] = rooflineRatios();
  assert.equal(sw!.prompt.toFixed(2), '0.63');
  assert.equal(sw!.token.toFixed(2), '1.32');
  assert.ok(
    cat!.prompt < 1 && cat!.token > 1,
    'H100 is cheaper per prompt token and A100 per generated token with catalog prices too',
  );
  assert.match(cat!.source, /datasheet/);
});

test('CLI: switchyard fleet --json on the abstract and derived forms', () => {
  const r = spawnSync(process.execPath, [CLI, 'fleet', join(REPO, 'examples/planner/fleet-abstract.json'), '--json'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(plan).slice(0, 4), ['feasible', 'costPerHour', 'counts', 'split']);
  const d = spawnSync(process.execPath, [CLI, 'fleet', join(REPO, 'examples/planner/fleet-llama3-8b.json'), '--json'], {
    encoding: 'utf8',
  });
  assert.equal(d.status, 0, d.stderr);
  assert.ok(JSON.parse(d.stdout).feasible);
  const bad = spawnSync(process.execPath, [CLI, 'fleet', join(REPO, 'examples/planner/missing.json')], {
    encoding: 'utf8',
  });
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
