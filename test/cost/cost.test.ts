// Cost model: every catalog figure has a source; roofline arithmetic; measured times correct
// estimates; transfers; calibration through the pluggable interface; the profile cache.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProfileCache } from '../../src/cost/calibrate/cache.js';
import { type Calibrator, calibrate } from '../../src/cost/calibrate/calibrator.js';
import { JsCpuCalibrator } from '../../src/cost/calibrate/js-cpu.js';
import { catalog, getProfile } from '../../src/cost/catalog/index.js';
import { Estimator } from '../../src/cost/estimator.js';
import type { Figure } from '../../src/cost/figure.js';
import { KernelHistory, MemoryStore } from '../../src/cost/history.js';
import { JsonFileStore } from '../../src/cost/history-file.js';
import { roofline } from '../../src/cost/roofline.js';
import { linkMs, viaHost } from '../../src/cost/transfer.js';
import { CLI } from '../helpers/paths.js';

test('the catalog covers the issue list and every figure names its source', () => {
  const ids = catalog().map((p) => p.id);
  for (const id of [
    'A10G',
    'L4',
    'A100-40GB',
    'A100-80GB',
    'H100',
    'H200',
    'B200',
    'MI300X',
    'Gaudi3',
    'EPYC-9654',
    'Xeon-8480',
    'Graviton4',
  ])
    assert.ok(ids.includes(id), id);
  for (const p of catalog()) {
    const figs: Figure[] = [
      ...Object.values(p.peakFlops),
      p.memBandwidth,
      p.launchOverhead,
      p.memCapacity,
      p.link.bandwidth,
      p.link.latency,
      p.pricePerHour,
    ];
    for (const f of figs) {
      assert.ok(f.source && f.source.length > 5, `${p.id}: figure without a source`);
      assert.ok(f.value >= 0, `${p.id}: ${f.value}`);
    }
  }
  assert.equal(getProfile('h100').memBandwidth.value, 3.35e12);
  assert.equal(getProfile('A100').id, 'A100-80GB');
  assert.throws(() => getProfile('TPU9'), /unknown device 'TPU9'/);
});

test('roofline: compute-bound, memory-bound and overhead-bound kernels', () => {
  const h = getProfile('H100');
  const mm = roofline({ flops: 2 * 4096 ** 3, bytes: 3 * 4096 * 4096 * 2, dtype: 'float16', launches: 1 }, h);
  assert.equal(mm.bound, 'compute');
  assert.ok(Math.abs(mm.computeMs - ((2 * 4096 ** 3) / 989.4e12) * 1e3) < 1e-9);
  const copy = roofline({ flops: 1e6, bytes: 1e9, dtype: 'float32', launches: 1 }, h);
  assert.equal(copy.bound, 'memory');
  assert.ok(Math.abs(copy.memoryMs - (1e9 / 3.35e12) * 1e3) < 1e-12);
  assert.equal(roofline({ flops: 10, bytes: 10, dtype: 'float32', launches: 1 }, h).bound, 'overhead');
});

test('kernel history: a measured signature replaces the estimate, others scale by the device ratio', () => {
  const h = new KernelHistory(new MemoryStore());
  const est = new Estimator(h);
  const p = getProfile('L4');
  const w = { flops: 1e9, bytes: 1e6, dtype: 'float32' as const, launches: 1 };
  const before = est.estimate(w, p, ['sigA']);
  assert.equal(before.source, 'roofline');
  h.record('sigA', 'L4', before.ms * 2, before.ms);
  const after = est.estimate(w, p, ['sigA']);
  assert.equal(after.source, 'measured');
  assert.ok(Math.abs(after.ms - before.ms * 2) < 1e-12);
  const other = est.estimate(w, p, ['sigB']);
  assert.equal(other.source, 'scaled');
  assert.ok(Math.abs(other.ms - before.ms * 2) < 1e-9);
  h.record('sigA', 'L4', before.ms * 4, before.ms); // EWMA moves toward the new sample
  assert.ok(h.lookup('sigA', 'L4')!.ms > before.ms * 2 && h.lookup('sigA', 'L4')!.ms < before.ms * 4);
  assert.throws(() => h.record('sigA', 'L4', -1, 1), /finite number >= 0/);
});

test('kernel history persists through the JSON file store', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sy-hist-')), 'h.json');
  const a = new KernelHistory(new JsonFileStore(path));
  a.record('k', 'cpu', 3, 1);
  a.flush();
  assert.equal(new KernelHistory(new JsonFileStore(path)).lookup('k', 'cpu')!.ms, 3);
});

test('transfers: latency plus bytes over bandwidth; two links in series through the host', () => {
  assert.equal(linkMs(12500, { latencyMs: 20, bytesPerMs: 12500 }), 21);
  const l = viaHost({ latencyMs: 1, bytesPerMs: 100 }, { latencyMs: 2, bytesPerMs: 100 });
  assert.equal(l.latencyMs, 3);
  assert.equal(l.bytesPerMs, 50);
});

test('calibration through the interface: steps run in order, progress reported, best figures kept', async () => {
  const seen: string[] = [];
  const c: Calibrator = {
    device: 'fake',
    description: 'test',
    base: () => getProfile('cpu'),
    steps: () => [
      { name: 'mm small', run: () => ({ matmulGflops: { float32: 3 } }) },
      { name: 'mm big', run: () => ({ matmulGflops: { float32: 5 }, dispatchUs: 7 }) },
      { name: 'copy', run: async () => ({ copyGBs: 12, dispatchUs: 4 }) },
    ],
  };
  const { profile } = await calibrate(c, (done, total, step) => seen.push(`${done}/${total} ${step}`));
  assert.deepEqual(seen, ['0/3 mm small', '1/3 mm big', '2/3 copy', '3/3 done']);
  assert.equal(profile.peakFlops.f32!.value, 5e9);
  assert.equal(profile.memBandwidth.value, 12e9);
  assert.equal(profile.launchOverhead.value, 4e-6);
  assert.equal(profile.origin, 'calibrated');
  assert.match(profile.memBandwidth.source, /^calibrated /);
});

test('the JS CPU calibrator measures positive figures and the cache returns them', async () => {
  const { profile, measurements } = await calibrate(new JsCpuCalibrator({ quick: true }));
  assert.ok(measurements.matmulGflops!.float32! > 0 && measurements.copyGBs! > 0 && measurements.dispatchUs! >= 0);
  const cache = new ProfileCache(join(mkdtempSync(join(tmpdir(), 'sy-prof-')), 'p.json'));
  cache.put('cpu', profile);
  const back = cache.get('cpu')!;
  assert.equal(back.peakFlops.f32!.value, profile.peakFlops.f32!.value);
  assert.equal(back.link.bandwidth.value, Infinity);
});

test('CLI: switchyard calibrate --quick --json --no-cache', () => {
  const r = spawnSync(process.execPath, [CLI, 'calibrate', '--quick', '--json', '--no-cache'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.profile.origin, 'calibrated');
  const bad = spawnSync(process.execPath, [CLI, 'calibrate', 'tpu'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^switchyard: error: no calibrator for device 'tpu'/);
});
