// Topcuoglu, Hariri and Wu's 10-task, 3-processor example (IEEE TPDS 2002, Fig. 2): HEFT's
// published ranks and makespan 80; Switchyard's default must do at least as well.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildInstance, heft, makespan, type Problem, peft, planProblem, solve } from '../../src/planner/index.js';
import { upwardRank } from '../../src/planner/ranks.js';
import { REPO } from '../helpers/paths.js';

const problem = JSON.parse(readFileSync(join(REPO, 'test/planner/fixtures/topcuoglu.json'), 'utf8')) as Problem;

test('HEFT upward ranks match the paper', () => {
  const r = upwardRank(buildInstance(problem)).map((x) => Math.round(x * 100) / 100);
  assert.deepEqual(r, [108, 77, 80, 80, 69, 63.33, 42.67, 35.67, 44.33, 14.67]);
});

test('HEFT reaches the published makespan 80 in the published order', () => {
  const inst = buildInstance(problem);
  const r = heft(inst);
  assert.ok(r.ok);
  assert.equal(makespan(r.schedule), 80);
  assert.deepEqual(
    r.order.map((t) => inst.tasks[t]),
    ['n1', 'n3', 'n4', 'n2', 'n5', 'n6', 'n9', 'n7', 'n8', 'n10'],
  );
});

test('PEFT produces a valid schedule on the same instance', () => {
  const r = peft(buildInstance(problem));
  assert.ok(r.ok);
  assert.ok(makespan(r.schedule) > 0);
});

test('the default planner reaches <= 80 and proves its optimum', () => {
  const plan = planProblem(problem);
  assert.ok(plan.feasible);
  assert.ok(plan.makespanMs <= 80, `makespan ${plan.makespanMs}`);
  assert.equal(plan.makespanMs, 73);
  assert.equal(plan.optimal, true);
  assert.equal(plan.assignments.length, 10);
  for (const a of plan.assignments) assert.ok(a.reason.length > 20, a.task);
});

test('list scheduling with improvement alone also reaches <= 80', () => {
  const s = solve(buildInstance(problem), { algorithm: 'list' });
  assert.ok(makespan(s.schedule!) <= 80);
});
