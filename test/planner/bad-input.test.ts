// Bad problems give one clear error naming the task or device, or feasible:false with a reason;
// the CLI exits non-zero with one line and no stack trace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildInstance, type Problem, planProblem } from '../../src/planner/index.js';
import { CLI } from '../helpers/paths.js';

const base = (): Problem => ({
  devices: [
    { id: 'gpu', pricePerHour: 0 },
    { id: 'cloud', pricePerHour: 3.9 },
  ],
  links: [{ between: ['gpu', 'cloud'], latencyMs: 20, bytesPerMs: 12500 }],
  tasks: [
    { id: 'a', costMs: { gpu: 14, cloud: 9 } },
    { id: 'b', costMs: { gpu: 10, cloud: 4 } },
  ],
  edges: [{ from: 'a', to: 'b', bytes: 18 }],
  policy: { objective: 'latency' },
});

const cases: [string, (p: Problem) => void, RegExp][] = [
  [
    'cycle',
    (p) => {
      p.edges!.push({ from: 'b', to: 'a' });
    },
    /cycle: 'a' -> 'b' -> 'a'|cycle: 'b' -> 'a' -> 'b'/,
  ],
  [
    'self loop',
    (p) => {
      p.edges!.push({ from: 'a', to: 'a' });
    },
    /cycle: task 'a' depends on itself/,
  ],
  [
    'unknown device in costMs',
    (p) => {
      p.tasks[0]!.costMs!.tpu = 3;
    },
    /task 'a': unknown device 'tpu'/,
  ],
  [
    'unknown device in a link',
    (p) => {
      p.links![0]!.between = ['gpu', 'npu'];
    },
    /unknown device 'npu'/,
  ],
  [
    'negative cost',
    (p) => {
      p.tasks[1]!.costMs!.gpu = -1;
    },
    /task 'b': costMs.gpu is negative/,
  ],
  [
    'missing cost',
    (p) => {
      delete p.tasks[1]!.costMs;
    },
    /task 'b': costMs is missing/,
  ],
  [
    'non-numeric cost',
    (p) => {
      (p.tasks[1]!.costMs as Record<string, unknown>).gpu = 'fast';
    },
    /task 'b': costMs.gpu must be a finite number/,
  ],
  [
    'task no device can run',
    (p) => {
      p.tasks[1]!.costMs = {};
    },
    /task 'b': no device can run it/,
  ],
  [
    'unknown edge endpoint',
    (p) => {
      p.edges!.push({ from: 'a', to: 'z' });
    },
    /unknown task 'z'/,
  ],
  [
    'cost objective without deadline',
    (p) => {
      p.policy = { objective: 'cost' };
    },
    /needs a deadlineMs/,
  ],
  [
    'duplicate task',
    (p) => {
      p.tasks.push({ id: 'a', costMs: { gpu: 1 } });
    },
    /task 'a' is listed twice/,
  ],
  [
    'no link between the only devices',
    (p) => {
      p.links = [];
      p.tasks[0]!.costMs = { gpu: 1 };
      p.tasks[1]!.costMs = { cloud: 1 };
    },
    /no link joins/,
  ],
];

for (const [name, mutate, re] of cases) {
  test(`bad input: ${name}`, () => {
    const p = base();
    mutate(p);
    assert.throws(() => buildInstance(p), re);
  });
}

test('a task excluded from every device by memory names the task and the reason', () => {
  const p = base();
  p.devices.forEach((d) => {
    d.memoryBytes = 1000;
  });
  p.tasks[1]!.memBytes = 5000;
  assert.throws(
    () => buildInstance(p),
    /task 'b': no device can run it \(gpu: needs 5000 bytes, device memory is 1000; cloud: needs 5000 bytes/,
  );
});

test('an infeasible deadline gives feasible:false naming the critical path', () => {
  const p = base();
  p.policy = { objective: 'latency', deadlineMs: 10 };
  const plan = planProblem(p);
  assert.equal(plan.feasible, false);
  assert.match(
    plan.reason!,
    /no plan meets deadline 10 ms \(no plan can: min-cut is optimal for a chain\): the best found takes 13\.0 ms \(critical path 'a' -> 'b'\)/,
  );
  assert.equal(plan.assignments.length, 2);
});

test('cost objective with an impossible deadline is infeasible too', () => {
  const p = base();
  p.policy = { objective: 'cost', deadlineMs: 5 };
  const plan = planProblem(p);
  assert.equal(plan.feasible, false);
  assert.match(plan.reason!, /deadline 5 ms/);
});

const tmp = mkdtempSync(join(tmpdir(), 'sy-plan-bad-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: bad problems exit non-zero with one line and no stack trace', () => {
  const p = base();
  p.edges!.push({ from: 'b', to: 'a' });
  const f = join(tmp, 'cycle.json');
  writeFileSync(f, JSON.stringify(p));
  for (const args of [
    [f],
    [f, '--json'],
    [join(tmp, 'missing.json')],
    [f, '--deadline', 'soon'],
    [f, '--devices', 'gpu,tpu'],
  ]) {
    const r = cli('plan', ...args);
    assert.notEqual(r.code, 0, args.join(' '));
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, /^switchyard: error: /);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  writeFileSync(join(tmp, 'broken.json'), '{ "devices": [');
  assert.match(cli('plan', join(tmp, 'broken.json')).err, /broken\.json: not valid JSON/);
});

test('CLI: an infeasible deadline prints feasible:false as JSON and exits 2', () => {
  const f = join(tmp, 'ok.json');
  writeFileSync(f, JSON.stringify(base()));
  const r = cli('plan', f, '--json', '--deadline', '10');
  assert.equal(r.code, 2);
  const plan = JSON.parse(r.out);
  assert.equal(plan.feasible, false);
  assert.match(plan.reason, /deadline 10 ms/);
});
