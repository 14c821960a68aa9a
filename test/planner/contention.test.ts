// Devices that share a resource (a CPU-emulated GPU beside the WASM workers on the same cores)
// take turns on one lane: the planner never overlaps their work, does not split where splitting
// only adds transfers, still splits across devices that are genuinely separate, and stays
// optimal (exact search against brute force) with lanes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { JS_CPU, WASM, WEBGPU } from '../../src/cost/catalog/local.js';
import { fig } from '../../src/cost/figure.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { KERNEL_PIPELINE, runPipeline } from '../../src/passes/index.js';
import {
  bruteForce,
  buildInstance,
  exactSearch,
  graphProblem,
  type Instance,
  makespan,
  type Problem,
  planInstance,
  planProblem,
  randomProblem,
  replay,
  type Schedule,
  sharedGroups,
  solve,
} from '../../src/planner/index.js';
import { seeded } from '../helpers/weights.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** No two tasks on one lane overlap in time. */
function lanesRespected(inst: Instance, s: Schedule): void {
  const n = inst.tasks.length;
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      if (inst.lane[s.device[a]!] !== inst.lane[s.device[b]!]) continue;
      const overlap = Math.min(s.end[a]!, s.end[b]!) - Math.max(s.start[a]!, s.start[b]!);
      assert.ok(
        overlap <= 1e-9 || s.end[a] === s.start[a] || s.end[b] === s.start[b],
        `'${inst.tasks[a]}' and '${inst.tasks[b]}' overlap on one lane`,
      );
    }
}

/** Two independent 10 ms branches, each a little slower on the second device. */
const branches = (shared?: Problem['shared']): Problem => ({
  devices: [{ id: 'wasm' }, { id: 'gpu' }],
  links: [{ between: ['wasm', 'gpu'], latencyMs: 0.1, bytesPerMs: 1e6 }],
  ...(shared ? { shared } : {}),
  tasks: [
    { id: 'a', costMs: { wasm: 10, gpu: 12 } },
    { id: 'b', costMs: { wasm: 10, gpu: 12 } },
  ],
});

test('separate devices: independent branches are split and overlap', () => {
  const plan = planProblem(branches());
  assert.equal(new Set(plan.assignments.map((a) => a.device)).size, 2);
  assert.ok(close(plan.makespanMs, 12));
});

test('devices sharing a resource take turns: no split when splitting only adds transfers', () => {
  const plan = planProblem(branches([{ devices: ['wasm', 'gpu'], reason: 'test' }]));
  assert.deepEqual(
    plan.assignments.map((a) => a.device),
    ['wasm', 'wasm'],
  );
  assert.ok(close(plan.makespanMs, 20), `makespan ${plan.makespanMs}`);
});

test('a shared lane still lets each unit go where it is fastest, one after the other', () => {
  const p = branches([{ devices: ['wasm', 'gpu'] }]);
  p.tasks[1]!.costMs = { wasm: 10, gpu: 4 };
  const inst = buildInstance(p);
  const s = solve(inst).schedule!;
  assert.equal(inst.devices[s.device[1]!], 'gpu');
  lanesRespected(inst, s);
  assert.ok(close(makespan(s), 14));
});

test('exact search matches brute force with shared lanes, and lanes never overlap (40 random DAGs)', () => {
  for (let seed = 300; seed < 340; seed++) {
    const p = randomProblem({ tasks: 5 + (seed % 2), devices: 3, seed, restrict: 0.15, density: 0.3 });
    p.shared = [{ devices: [p.devices[0]!.id, p.devices[seed % 2 ? 1 : 2]!.id] }];
    const inst = buildInstance(p);
    const b = bruteForce(inst);
    const e = exactSearch(inst);
    assert.ok(e.optimal && e.schedule, `seed ${seed}`);
    assert.ok(
      close(makespan(e.schedule), b.makespan),
      `seed ${seed}: exact ${makespan(e.schedule)} vs brute ${b.makespan}`,
    );
    lanesRespected(inst, e.schedule);
    const s = solve(inst).schedule!;
    lanesRespected(inst, s);
    assert.ok(close(makespan(s), b.makespan), `seed ${seed}: auto ${makespan(s)} vs ${b.makespan}`);
    // a replay of the plan on the instance reproduces it
    assert.ok(close(makespan(replay(inst, s)), makespan(s)), `seed ${seed}: replay`);
  }
});

test('shared groups: unknown devices are an error naming the group', () => {
  assert.throws(
    () => buildInstance({ ...branches(), shared: [{ devices: ['wasm', 'npu'] }] }),
    /shared #1: unknown device 'npu'/,
  );
});

const prof = (base: DeviceProfile, id: string, extra: Partial<DeviceProfile> = {}): DeviceProfile => ({
  ...structuredClone(base),
  id,
  ...extra,
});
const together = (x: number) => fig(x, 'measured (test)', { note: 'test' });

test('sharedGroups: measured concurrency decides; computesOn is the assumption when nothing was measured', () => {
  const measuredShared = sharedGroups([
    prof(WASM, 'wasm', { concurrency: { webgpu: together(1.05) } }),
    prof(WEBGPU, 'webgpu', { concurrency: { wasm: together(1.05) } }),
  ]);
  assert.deepEqual(
    measuredShared.shared.map((g) => g.devices),
    [['wasm', 'webgpu']],
  );
  assert.match(measuredShared.notes.join('\n'), /measured 1\.05x/);

  // measured independent wins over a shared computesOn
  const measuredApart = sharedGroups([
    prof(WASM, 'wasm', { computesOn: 'host-cpu', concurrency: { webgpu: together(1.9) } }),
    prof(WEBGPU, 'webgpu', { computesOn: 'host-cpu' }),
  ]);
  assert.deepEqual(measuredApart.shared, []);

  const assumed = sharedGroups([
    prof(JS_CPU, 'cpu', { computesOn: 'host-cpu' }),
    prof(WASM, 'wasm', { computesOn: 'host-cpu' }),
    prof(WEBGPU, 'gpu'),
  ]);
  assert.deepEqual(
    assumed.shared.map((g) => g.devices),
    [['cpu', 'wasm']],
  );
  assert.match(assumed.notes.join('\n'), /assumed shared: not measured/);
});

/** Two matmul towers joined at the end: the shape of the hetero benchmark. */
function towers(n = 256) {
  const W = seeded(11);
  const g = new GraphBuilder('towers');
  const x = g.input('x', 'float32', [n, n]);
  const tower = (k: number) => {
    let h = x;
    for (let i = 0; i < k; i++) h = g.op('Tanh', [g.matmul(h, g.constant(W.tensor([n, n])))]);
    return h;
  };
  g.output(g.add(tower(3), tower(3)), 'y');
  const graph = g.build();
  runPipeline(graph, KERNEL_PIPELINE);
  return graph;
}

test('a lowered graph with two towers: split across separate devices, kept on one when they share the cores', () => {
  const g = towers();
  // two devices of equal speed, a fast link: splitting halves the time when they are separate
  const host = prof(JS_CPU, 'cpu');
  host.peakFlops = { f32: fig(1e8, 'test') }; // far too slow to matter
  const a = prof(WASM, 'wasm', {
    peakFlops: { f32: fig(20e9, 'test') },
    link: { bandwidth: fig(100e9, 'test'), latency: fig(1e-6, 'test') },
  });
  const b = prof(WASM, 'gpu', {
    peakFlops: { f32: fig(20e9, 'test') },
    link: { bandwidth: fig(100e9, 'test'), latency: fig(1e-6, 'test') },
  });
  const plan = (concurrency: number) => {
    const pa = { ...a, concurrency: { gpu: together(concurrency) } };
    const { problem, passes } = graphProblem(g, [host, pa, b], { host: 'cpu' });
    return planInstance(buildInstance(problem), {}, passes);
  };
  const apart = plan(1.95);
  const used = (p: ReturnType<typeof plan>) =>
    new Set(p.assignments.filter((x) => !x.task.startsWith('@')).map((x) => x.device));
  assert.deepEqual([...used(apart)].sort(), ['gpu', 'wasm'], 'separate devices: the towers are split');
  const shared = plan(1.05);
  assert.equal(used(shared).size, 1, `sharing devices: one device, got ${[...used(shared)]}`);
  assert.ok(shared.makespanMs > apart.makespanMs, 'the shared plan predicts the serial time');
  assert.match(shared.passes.find((p) => p.name === 'contention')!.notes.join('\n'), /one lane: wasm, gpu/);
  // and 'ignore' plans as if they were separate (what the benchmark compares against)
  const { problem } = graphProblem(g, [host, { ...a, concurrency: { gpu: together(1.05) } }, b], {
    host: 'cpu',
    contention: 'ignore',
  });
  assert.equal(problem.shared, undefined);
});
