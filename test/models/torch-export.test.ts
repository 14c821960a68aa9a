// Models exported by PyTorch itself (Debian's python3-torch 1.13 / python3-torchvision 0.14) at a
// seeded init, with expected outputs computed by torch: nn.LSTM (2 layers, bidirectional), nn.GRU,
// grid_sample behind an affine grid (both align_corners), and a detection head's post-processing
// (box decoding, score threshold -> NonZero, torchvision batched_nms -> NonMaxSuppression inside an
// If). test/oracle/export_torch_models.py writes them in the ONNX backend-test layout; every
// backend must pass every one under the conformance comparison rule.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { DEFAULT_TOLERANCE } from '../../src/conformance/compare.js';
import { discoverTests, readDataSets, runTest, type TestResult } from '../../src/conformance/runner.js';
import { getter, type Tensor } from '../../src/ir/tensor.js';
import type { SessionOptions } from '../../src/runtime/session.js';
import { Session } from '../../src/runtime/session.js';
import { REPO } from '../helpers/paths.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

// the first python that has torch (a pyenv python3 on PATH may lack Debian's python3-torch)
const PYTHON = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' }).status === 0,
);
const SKIP = PYTHON
  ? false
  : 'python3 with torch, torchvision and onnx is not installed ' +
    '(apt-get install -y python3-torch python3-torchvision python3-onnx)';

const MODELS = [
  'detection_postprocess_nms',
  'grid_sample_bilinear',
  'grid_sample_bilinear_align_corners',
  'gru_bidirectional_2layer',
  'lstm_bidirectional_2layer',
].map((m) => `test_torch_${m}`);

let root = '';
function exported(): string[] {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'sy-torch-'));
    const r = spawnSync(PYTHON!, [join(REPO, 'test/oracle/export_torch_models.py'), root], { encoding: 'utf8' });
    assert.equal(r.status, 0, `export_torch_models.py failed:\n${r.stderr}`);
    console.log(r.stdout.trim());
  }
  return discoverTests(root);
}

/** The largest |actual - expected| over every output, and the ops that ran on a fallback path. */
async function measure(dir: string, options: SessionOptions): Promise<{ maxAbsErr: number; fallbacks: string[] }> {
  const session = await Session.create(join(dir, 'model.onnx'), options);
  try {
    const [set] = readDataSets(dir);
    const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, set!.inputs[i]!.value]));
    const outs = await session.runValues(feeds);
    let maxAbsErr = 0;
    session.outputNames.forEach((n, i) => {
      const got = outs[n] as Tensor,
        want = set!.outputs[i]!.value as Tensor;
      const a = getter(got),
        b = getter(want);
      for (let k = 0; k < want.size; k++) maxAbsErr = Math.max(maxAbsErr, Math.abs(Number(a(k)) - Number(b(k))));
    });
    return { maxAbsErr, fallbacks: [...session.fallbacks].map(([op, why]) => `${op} (${why})`) };
  } finally {
    await session.release();
  }
}

/** Runs every exported model under the runner's rule; asserts each passes and prints its largest error. */
async function allPass(backend: string, options: SessionOptions = {}): Promise<void> {
  const tests = exported();
  assert.deepEqual(
    tests.map((t) => t.split(/[\\/]/).pop()),
    MODELS,
  );
  const results: TestResult[] = [];
  for (const dir of tests) {
    const r = await runTest(dir, { ...options, backend, tolerance: DEFAULT_TOLERANCE });
    const m = r.status === 'pass' ? await measure(dir, { ...options, backend }) : undefined;
    const fb = m?.fallbacks.length ? `; fallbacks: ${m.fallbacks.join(', ')}` : '';
    const detail = m ? `, max abs error ${m.maxAbsErr.toExponential(2)}${fb}` : ` (${r.message})`;
    console.log(`${backend} ${r.name}: ${r.status}${detail}`);
    results.push(r);
  }
  assert.deepEqual(
    results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.status} ${r.message}`),
    [],
  );
}

test('torch exports pass on the reference backend', { skip: SKIP }, async () => {
  await allPass('reference');
});

test('torch exports pass on the WASM backend, 2 threads', { skip: SKIP }, async () => {
  await allPass('wasm', { threads: 2 });
});

test('torch exports pass on WebGPU (SwiftShader)', { skip: SKIP }, async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  await allPass('webgpu', { adapter: 'swiftshader' });
});

test.after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});
