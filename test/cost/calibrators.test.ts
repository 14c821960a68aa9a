// The WASM and WebGPU calibrators through the Calibrator interface (progress, prepare/dispose,
// the configuration a cached profile must match), `switchyard calibrate webgpu`, and discovery:
// calibrate once, measure device pairs once, then read both from the cache. No timing assertions:
// figures must be positive and finite, whatever this machine's speed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { WasmDevice } from '../../src/backends/wasm/device.js';
import { ProfileCache } from '../../src/cost/calibrate/cache.js';
import { calibrate, calibratorFor, getCalibrator, type Measurements } from '../../src/cost/calibrate/calibrator.js';
import { discoverDevices, type ProfileSource } from '../../src/runtime/devices.js';
import { CLI } from '../helpers/paths.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

const positive = (x: number | undefined, what: string) =>
  assert.ok(x !== undefined && Number.isFinite(x) && x > 0, `${what}: ${x}`);

function checkMeasurements(m: Measurements): void {
  positive(m.matmulGflops?.float32, 'matmul GFLOP/s');
  positive(m.copyGBs, 'copy GB/s');
  assert.ok(m.dispatchUs !== undefined && m.dispatchUs >= 0, 'dispatch');
  assert.ok(m.unitUs !== undefined && m.unitUs >= 0, 'unit overhead');
  positive(m.uploadGBs, 'upload GB/s');
  positive(m.readbackGBs, 'readback GB/s');
  positive(m.uploadLatencyUs, 'upload latency');
  positive(m.readbackLatencyUs, 'readback latency');
  // the compute curve: at least two kernel sizes, each with a rate
  assert.ok((m.matmulCurve?.length ?? 0) >= 2, `compute curve points: ${JSON.stringify(m.matmulCurve)}`);
  for (const pt of m.matmulCurve!) {
    positive(pt.flops, 'curve flops');
    positive(pt.gflops, 'curve GFLOP/s');
  }
}

/** Progress: starts at 0, never goes back within a phase, ends at done === total. */
function checkProgress(seen: [number, number, string][]): void {
  assert.ok(seen.length >= 3, JSON.stringify(seen));
  const steps = seen.filter(([, t]) => t > 1);
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i]![0] >= steps[i - 1]![0], JSON.stringify(seen));
  const last = seen.at(-1)!;
  assert.equal(last[0], last[1]);
  assert.equal(last[2], 'done');
}

test('calibrators are found by device id or kind', () => {
  assert.equal(calibratorFor('wasm'), 'wasm');
  assert.equal(calibratorFor('webgpu:llvmpipe'), 'webgpu');
  assert.equal(calibratorFor('npu'), undefined);
  assert.throws(() => getCalibrator('npu'), /no calibrator for device 'npu'; available: .*wasm.*webgpu/);
});

test('WASM calibrator: measures the device it is handed, its thread count in the config', async () => {
  const dev = await WasmDevice.create({ threads: 1, onWarning: () => {} });
  try {
    const c = getCalibrator('wasm', { device: dev, quick: true });
    assert.equal(c.config, 'threads=1 cal=5');
    const seen: [number, number, string][] = [];
    const { profile, measurements } = await calibrate(c, (d, t, s) => seen.push([d, t, s]));
    checkProgress(seen);
    checkMeasurements(measurements);
    assert.equal(profile.origin, 'calibrated');
    assert.equal(profile.computesOn, 'host-cpu');
    assert.ok(profile.unitOverhead, 'unit overhead in the profile');
    // the device handed in is not disposed by the calibrator
    assert.ok(await dev.upload((await import('../../src/ir/tensor.js')).Tensor.zeros('float32', [4])));
  } finally {
    await dev.dispose();
  }
});

test('WebGPU calibrator: real shaders on the adapter, a CPU adapter says it computes on host-cpu', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const c = getCalibrator('webgpu:swiftshader', { quick: true });
  assert.equal(c.config, undefined, 'the adapter is known once prepare() opened it');
  const seen: [number, number, string][] = [];
  const { profile, measurements } = await calibrate(c, (d, tot, s) => seen.push([d, tot, s]));
  assert.equal(seen[0]![2], 'opening webgpu:swiftshader');
  checkProgress(seen);
  checkMeasurements(measurements);
  assert.match(c.config!, /^adapter=.*swiftshader/);
  assert.equal(profile.id, 'webgpu:swiftshader');
  assert.equal(profile.computesOn, 'host-cpu');
  assert.ok(profile.notes?.some((n) => /CPU implementation of WebGPU/.test(n)));
  // measured figures replace the default guess (an integrated GPU at 2 TFLOP/s)
  assert.match(profile.peakFlops.f32!.source, /^calibrated /);
  assert.equal(profile.peakFlops.f32!.value, measurements.matmulGflops!.float32! * 1e9);
  assert.ok(profile.link.bandwidth.note?.includes('readback'));
});

test('the profile cache: a profile applies only to the configuration it was measured for; pairs in either order', () => {
  const cache = new ProfileCache(join(mkdtempSync(join(tmpdir(), 'sy-cal-')), 'profiles.json'));
  const p = { ...structuredClone(getCalibrator('wasm').base()), origin: 'calibrated' as const };
  cache.put('wasm', p, 'threads=2');
  assert.ok(cache.get('wasm', 'threads=2'));
  assert.equal(cache.get('wasm', 'threads=4'), undefined);
  assert.ok(cache.get('wasm'), 'without a config (switchyard plan) any cached profile applies');
  cache.putPair('wasm [threads=2]', 'webgpu', { aloneMs: [10, 30], togetherMs: 38, speedup: 40 / 38 });
  assert.deepEqual(cache.getPair('webgpu', 'wasm [threads=2]')!.aloneMs, [30, 10]);
  assert.equal(cache.getPair('wasm [threads=4]', 'webgpu'), undefined);
});

test('discovery calibrates and measures device pairs once, then reads both from the cache', async () => {
  const cache = new ProfileCache(join(mkdtempSync(join(tmpdir(), 'sy-disc-')), 'profiles.json'));
  const profiles: ProfileSource = {
    get: (id, c) => cache.get(id, c),
    put: (id, p, c) => cache.put(id, p, c),
    getPair: (a, b) => cache.getPair(a, b),
    putPair: (a, b, m) => cache.putPair(a, b, m),
  };
  const devices = [{ kind: 'reference' as const }, { kind: 'wasm' as const, threads: 1 }];
  const seen: string[] = [];
  const first = await discoverDevices({ devices, profiles, onProgress: (d, t, s) => seen.push(`${d}/${t} ${s}`) });
  try {
    const wasm = first.entries.find((e) => e.device.id === 'wasm')!;
    assert.equal(wasm.profile.origin, 'calibrated');
    assert.equal(wasm.config, 'threads=1 cal=5');
    assert.ok(
      seen.some((s) => /contention cpu \+ wasm/.test(s)),
      seen.join('\n'),
    );
    const c = wasm.profile.concurrency?.cpu;
    assert.ok(c && c.value > 0 && /together/.test(c.note ?? ''), JSON.stringify(c));
    assert.equal(first.entries.find((e) => e.device.id === 'cpu')!.profile.concurrency?.wasm?.value, c.value);
  } finally {
    for (const e of first.entries) await e.device.dispose();
  }
  const again: string[] = [];
  const second = await discoverDevices({ devices, profiles, onProgress: (d, t, s) => again.push(`${d}/${t} ${s}`) });
  try {
    assert.deepEqual(again, [], 'nothing measured the second time');
    assert.ok(second.entries.find((e) => e.device.id === 'wasm')!.profile.concurrency?.cpu);
  } finally {
    for (const e of second.entries) await e.device.dispose();
  }
  // with calibration 'never': defaults, no pairs measured, computesOn still known from the devices
  const never = await discoverDevices({ devices, profiles, calibration: 'never' });
  try {
    for (const e of never.entries) {
      assert.equal(e.profile.computesOn, 'host-cpu', e.device.id);
      assert.equal(e.profile.concurrency, undefined);
    }
  } finally {
    for (const e of never.entries) await e.device.dispose();
  }
});

test('`switchyard calibrate webgpu --quick --json --no-cache` prints the measured profile', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const r = spawnSync(process.execPath, [CLI, 'calibrate', 'webgpu', '--quick', '--json', '--no-cache'], {
    encoding: 'utf8',
    env: { ...process.env, SWITCHYARD_CACHE: mkdtempSync(join(tmpdir(), 'sy-cli-')) },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    profile: { origin: string; computesOn?: string };
    measurements: Measurements;
    config: string;
  };
  assert.equal(out.profile.origin, 'calibrated');
  checkMeasurements(out.measurements);
  assert.match(out.config, /^adapter=/);
});
