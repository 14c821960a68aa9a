// Planning an IR graph: grouping into units with reasons, hard constraints (binding limits,
// memory, unsupported ops), costs from the roofline; and `switchyard plan model.onnx`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { getProfile } from '../../src/cost/catalog/index.js';
import { fig } from '../../src/cost/figure.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { DEFAULT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { graphProblem, planProblem } from '../../src/planner/index.js';
import { CLI } from '../helpers/paths.js';

function model(n = 1 << 16) {
  const g = new GraphBuilder('m', 17);
  const x = g.input('x', 'float32', [1, n]);
  const w = g.constant(Tensor.from('float32', new Array<number>(n).fill(0.5), [1, n]), 'w');
  const a = g.op('Mul', [x, w], {}, 'scale');
  const b = g.op('Tanh', [a], {}, 'act'); // fuses into 'scale'
  const c = g.op('Exp', [x], {}, 'side');
  const d = g.op('Add', [b, c], {}, 'join');
  g.output(g.op('Sigmoid', [d], {}, 'out'), 'y');
  return g.build();
}

test('graph -> problem: units, fused elementwise, edges to the host, reasons recorded', () => {
  const g = model();
  runPipeline(g, DEFAULT_PIPELINE);
  const { problem, passes } = graphProblem(g, [getProfile('cpu'), getProfile('webgpu')], { host: 'cpu' });
  const ids = problem.tasks.map((t) => t.id);
  assert.ok(ids.includes('@input') && ids.includes('@output'));
  assert.ok(!ids.includes('act'), 'Tanh joined its producer');
  assert.match(passes.find((p) => p.name === 'units')!.notes.join(' '), /fused \d+ elementwise/);
  for (const t of problem.tasks.filter((t) => !t.id.startsWith('@'))) {
    assert.ok(t.costMs!.cpu! > 0 && t.costMs!.webgpu! > 0, t.id);
    assert.ok(t.costMs!.webgpu! < t.costMs!.cpu!, 'the GPU profile is faster on large elementwise work');
  }
  const plan = planProblem(problem);
  assert.ok(plan.feasible);
  assert.equal(plan.assignments.find((a) => a.task === '@input')!.device, 'cpu');
});

test('binding limit and unsupported ops rule devices out, with the reason', () => {
  const g = model();
  runPipeline(g, DEFAULT_PIPELINE);
  const gpu = structuredClone(getProfile('webgpu'));
  gpu.maxBindingBytes = fig(1024, 'test');
  gpu.unsupportedOps = ['nn.Exp'];
  const { problem, passes } = graphProblem(g, [getProfile('cpu'), gpu], { host: 'cpu' });
  const notes = passes.find((p) => p.name === 'constraints')!.notes.join('\n');
  assert.match(notes, /not webgpu: a 256\.0 KiB tensor|not webgpu: a .* tensor exceeds webgpu's binding limit/);
  for (const t of problem.tasks) assert.equal(t.costMs!.webgpu, undefined);
});

test('memory capacity: weights that do not fit rule the device out', () => {
  const g = model(1 << 20);
  runPipeline(g, DEFAULT_PIPELINE);
  const small = structuredClone(getProfile('webgpu'));
  small.memCapacity = fig(1 << 20, 'test');
  const { passes } = graphProblem(g, [getProfile('cpu'), small], { host: 'cpu' });
  assert.match(
    passes.find((p) => p.name === 'constraints')!.notes.join('\n'),
    /scale: not webgpu: needs .* MiB, webgpu has 1\.0 MiB/,
  );
});

test('CLI: switchyard plan model.onnx --devices ... --json, --svg and text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-plan-'));
  const f = join(dir, 'm.onnx');
  writeFileSync(f, exportOnnx(model()));
  const env = { ...process.env, SWITCHYARD_CACHE: join(dir, 'cache') };
  const r = spawnSync(
    process.execPath,
    [CLI, 'plan', f, '--devices', 'cpu,webgpu,H100', '--json', '--svg', join(dir, 'p.svg'), '--simulate', '50'],
    { encoding: 'utf8', env },
  );
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  for (const k of ['feasible', 'makespanMs', 'cost', 'assignments']) assert.ok(k in plan, k);
  for (const a of plan.assignments)
    for (const k of ['task', 'device', 'startMs', 'endMs', 'reason']) assert.ok(k in a, k);
  assert.equal(plan.simulation.runs, 50);
  assert.match(readFileSync(join(dir, 'p.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
  const t = spawnSync(process.execPath, [CLI, 'plan', f, '--devices', 'webgpu'], { encoding: 'utf8', env });
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /^feasible: makespan/);
  assert.match(t.stdout, /why:/);
  assert.match(t.stdout, /webgpu\s+\|/);
  const bad = spawnSync(process.execPath, [CLI, 'plan', f, '--devices', 'tpu9'], { encoding: 'utf8', env });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^switchyard: error: unknown device 'tpu9'/);
});
