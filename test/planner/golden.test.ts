// Golden plans: fixed problems whose plans (the contract fields) are checked in. Regenerate with
// UPDATE_GOLDEN=1 after an intended change, and review the diff.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Plan, type Problem, planProblem } from '../../src/planner/index.js';
import { REPO } from '../helpers/paths.js';

const dir = join(REPO, 'test/planner/fixtures');
const contract = (p: Plan) => ({
  feasible: p.feasible,
  makespanMs: p.makespanMs,
  cost: p.cost,
  assignments: p.assignments.map(({ task, device, startMs, endMs }) => ({ task, device, startMs, endMs })),
});

const cases: [string, string, Record<string, unknown>][] = [
  ['issue example, latency', 'edge-cloud.json', {}],
  ['issue example, cost under a 90 ms deadline', 'edge-cloud.json', { objective: 'cost', deadlineMs: 90 }],
  ['issue example, deadline no plan meets', 'edge-cloud.json', { deadlineMs: 50 }],
  ['issue example, cost under a 200 ms deadline', 'edge-cloud.json', { objective: 'cost', deadlineMs: 200 }],
  ['Topcuoglu, HEFT', 'topcuoglu.json', { algorithm: 'heft' }],
  ['Topcuoglu, exact', 'topcuoglu.json', {}],
  ['two-device chain, min-cut', 'chain.json', {}],
];

test('golden plans', () => {
  const file = join(dir, 'golden-plans.json');
  const got: Record<string, unknown> = {};
  for (const [name, fixture, opts] of cases) {
    const p = JSON.parse(readFileSync(join(dir, fixture), 'utf8')) as Problem;
    const plan = planProblem(p, opts);
    for (const a of plan.assignments) assert.ok(a.reason, `${name}: ${a.task} has a reason`);
    got[name] = contract(plan);
  }
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, JSON.stringify(got, null, 1) + '\n');
  assert.deepEqual(got, JSON.parse(readFileSync(file, 'utf8')));
});
