// Backend 'auto' with the real WASM and WebGPU devices, and the contention rule at run time:
//   - devices that compute on the same cores are planned on one lane and run one unit at a time
//     (measured intervals never overlap); the two-tower graph stays on one device
//   - planned as separate devices (contention ignored, equal profiles) the same graph is split
//     across wasm and webgpu; a few multi-node conformance models, their chains split between
//     the two devices (each declines what the other runs), still equal the reference
// No timing assertions: only placement, ordering and results.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../../src/backends/device.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { WasmDevice } from '../../src/backends/wasm/device.js';
import { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { compareTensors } from '../../src/conformance/compare.js';
import { runSuite } from '../../src/conformance/runner.js';
import { WASM } from '../../src/cost/catalog/local.js';
import { fig } from '../../src/cost/figure.js';
import { MemoryStore } from '../../src/cost/history.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Node } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { ProfileSource } from '../../src/runtime/devices.js';
import type { RunReport } from '../../src/runtime/executor.js';
import { Session } from '../../src/runtime/session.js';
import { FakeDevice, fastProfile } from '../helpers/fake-devices.js';
import { requireConformance } from '../helpers/paths.js';
import { adapterOrSkip } from '../helpers/webgpu.js';
import { seeded } from '../helpers/weights.js';

/** Two towers of matmul + tanh over one input, joined: independent branches. */
function towers(n = 64, depth = 2) {
  const W = seeded(21);
  const g = new GraphBuilder('towers');
  const x = g.input('x', 'float32', [n, n]);
  const tower = () => {
    let h = x;
    for (let i = 0; i < depth; i++) h = g.op('Tanh', [g.matmul(h, g.constant(W.tensor([n, n], 0.2)))]);
    return h;
  };
  g.output(g.concat([tower(), tower()], 1), 'y');
  return g.build();
}

/** The same profile for every device, no computesOn: the planner sees separate, equal devices. */
function equalProfiles(): ProfileSource {
  const p = (id: string): DeviceProfile => ({
    ...structuredClone(WASM),
    id,
    name: id,
    origin: 'calibrated',
    peakFlops: { f32: fig(10e9, 'test') },
    launchOverhead: fig(1e-6, 'test'),
    link: { bandwidth: fig(10e9, 'test'), latency: fig(1e-6, 'test') },
  });
  return { get: (id) => (id === 'cpu' ? undefined : p(id)), put: () => {} };
}

const usedDevices = (r: RunReport) => new Set(r.units.map((u) => u.device));

function noOverlap(r: RunReport, devs: string[]): void {
  const us = r.units.filter((u) => devs.includes(u.device)).sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < us.length; i++)
    assert.ok(
      us[i]!.startMs >= us[i - 1]!.endMs - 1e-6,
      `units overlap on a shared lane: ${JSON.stringify([us[i - 1], us[i]])}`,
    );
}

test('devices on one lane run one unit at a time (hetero.test shows separate ones overlapping)', async () => {
  // two fake devices that each take 30 ms a unit (a sleep: they would overlap if let)
  const mk = (computesOn?: string) =>
    ['d1', 'd2'].map((id) => ({
      kind: 'wasm' as const,
      id,
      instance: new FakeDevice(id, () => true, 30),
      profile: { ...fastProfile(id), ...(computesOn ? { computesOn } : {}) },
    }));
  const g = () => towers(64, 1);
  const x = seeded(5).tensor([64, 64]);
  const shared = await Session.create(g(), {
    backend: 'auto',
    calibration: 'never',
    history: new MemoryStore(),
    devices: mk('same-cores'),
  });
  await shared.run({ x });
  const plan = shared.hetero!.plan;
  assert.match(plan.passes.find((p) => p.name === 'contention')!.notes.join('\n'), /one lane: d1, d2/);
  noOverlap(shared.hetero!.lastReport!, ['d1', 'd2']);
  await shared.release();
});

test('wasm + webgpu of equal speed that both compute on host-cpu: one lane, the towers stay on one device', async (t) => {
  if (!(await adapterOrSkip(t, 'default'))) return;
  // equal profiles: only the contention rule separates this plan from the split one below
  const s = await Session.create(towers(), {
    backend: 'auto',
    calibration: 'never',
    profiles: equalProfiles(),
    history: new MemoryStore(),
    devices: [{ kind: 'wasm' }, { kind: 'webgpu' }],
  });
  const prof = s.hetero!.devices.find((d) => d.device.kind === 'webgpu')!.profile;
  if (prof.computesOn !== 'host-cpu') {
    t.skip('the WebGPU adapter here is a real GPU');
    await s.release();
    return;
  }
  const notes = s.hetero!.plan.passes.find((p) => p.name === 'contention')!.notes.join('\n');
  assert.match(notes, /wasm \+ webgpu: both compute on host-cpu \(assumed shared: not measured\)/);
  const placed = new Set(s.hetero!.plan.assignments.filter((a) => !a.task.startsWith('@')).map((a) => a.device));
  assert.equal(placed.size, 1, `one device for both towers, got ${[...placed]}`);
  const x = seeded(6).tensor([64, 64]);
  const out = await s.run({ x });
  assert.equal(compareTensors(out.y!, interpret(towers(), [x])[0]!, { rtol: 1e-4, atol: 1e-5 }, 'y'), undefined);
  noOverlap(s.hetero!.lastReport!, ['cpu', 'wasm', 'webgpu']);
  await s.release();
});

test('wasm + webgpu planned as separate equal devices: the towers split across them, results equal the reference', async (t) => {
  if (!(await adapterOrSkip(t, 'default'))) return;
  const s = await Session.create(towers(), {
    backend: 'auto',
    calibration: 'never',
    contention: 'ignore',
    profiles: equalProfiles(),
    history: new MemoryStore(),
    trace: true,
    devices: [{ kind: 'wasm' }, { kind: 'webgpu' }],
  });
  const x = seeded(7).tensor([64, 64]);
  const want = interpret(towers(), [x])[0]!;
  for (let i = 0; i < 2; i++) {
    const out = await s.run({ x });
    assert.equal(compareTensors(out.y!, want, { rtol: 1e-4, atol: 1e-5 }, 'y'), undefined);
  }
  const used = usedDevices(s.hetero!.lastReport!);
  assert.ok(used.has('wasm') && used.has('webgpu'), `ran on ${[...used]}`);
  assert.ok(s.hetero!.lastReport!.transfers.length > 0);
  await s.release();
});

/**
 * A real device that declines some ops (so the planner must split a chain across devices) and
 * survives session.release() (runSuite opens a session per model; the test disposes it at the end).
 */
class Picky implements Device {
  runs = 0;
  constructor(
    readonly inner: Device,
    private readonly declines: (n: Node) => boolean,
  ) {}
  get id() {
    return this.inner.id;
  }
  get kind() {
    return this.inner.kind;
  }
  supports(n: Node): true | string {
    return this.declines(n) ? `${this.id} declines ${n.op} (test)` : this.inner.supports(n);
  }
  compile(u: Unit) {
    return this.inner.compile(u);
  }
  run(c: CompiledUnit, ins: DeviceTensor[]) {
    this.runs++;
    return this.inner.run(c, ins);
  }
  upload(t: Tensor) {
    return this.inner.upload(t);
  }
  download(t: DeviceTensor) {
    return this.inner.download(t);
  }
  release(t: DeviceTensor) {
    this.inner.release(t);
  }
  finish() {
    return this.inner.finish?.() ?? Promise.resolve();
  }
  async dispose() {}
}

test('multi-node conformance models under auto, split across wasm and webgpu, equal the reference', async (t) => {
  if (!(await adapterOrSkip(t, 'default'))) return;
  // webgpu declines elementwise kernels, wasm everything else: chains alternate between them
  const wasm = new Picky(await WasmDevice.create({ onWarning: () => {} }), (n) => n.op !== 'k.map');
  const gpu = new Picky(await WebGpuDevice.create({ id: 'webgpu' }), (n) => n.op === 'k.map');
  const src = equalProfiles();
  // the host interpreter made slow on paper, so units go to the two devices where they can
  const slowHost: ProfileSource = {
    get: (id) =>
      id === 'cpu'
        ? {
            ...src.get('x')!,
            id: 'cpu',
            kind: 'cpu',
            peakFlops: { f32: fig(1e6, 'test') },
            launchOverhead: fig(0.01, 'test'),
            link: { bandwidth: fig(Infinity, 'host'), latency: fig(0, 'host') },
          }
        : undefined,
    put: () => {},
  };
  try {
    const suite = await runSuite(requireConformance(), {
      backend: 'auto',
      calibration: 'never',
      contention: 'ignore',
      profiles: slowHost,
      history: new MemoryStore(),
      devices: [
        { kind: 'wasm', instance: wasm, profile: src.get('wasm') },
        { kind: 'webgpu', instance: gpu, profile: src.get('webgpu') },
      ],
      filter:
        /^test_(rotary_embedding_expanded|rotary_embedding_with_interleaved_rotary_dim_expanded|softmax_axis_1_expanded|logsoftmax_axis_1_expanded|mish_expanded|clip_splitbounds_expanded)$/,
    } as Parameters<typeof runSuite>[1]);
    assert.equal(suite.results.length, 6, suite.results.map((r) => r.name).join(', '));
    assert.deepEqual(
      suite.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message}`),
      [],
    );
    assert.ok(wasm.runs > 0 && gpu.runs > 0, `units ran on wasm ${wasm.runs} times, on webgpu ${gpu.runs} times`);
  } finally {
    await wasm.inner.dispose();
    await gpu.inner.dispose();
  }
});
