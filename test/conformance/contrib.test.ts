// The com.microsoft contrib-op suite (test/data/contrib, written by scripts/gen-contrib-suite.mjs
// with expected outputs from onnxruntime-node) on the reference, WASM and WebGPU backends, through
// the conformance gate (expectations: contrib-<backend>.expect.json). Every backend must pass at
// least every case onnxruntime-node passes (ort-results.json).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { sharedDevice } from '../../src/backends/webgpu/shared-device.js';
import { checkExpectations, parseExpectations } from '../../src/conformance/expectations.js';
import { runSuite } from '../../src/conformance/runner.js';
import type { SessionOptions } from '../../src/runtime/session.js';
import { REPO } from '../helpers/paths.js';
import { adapterOrSkip, assertProgramsCompile } from '../helpers/webgpu.js';

const SUITE = join(REPO, 'test/data/contrib');
const ORT = JSON.parse(readFileSync(join(SUITE, 'ort-results.json'), 'utf8')) as Record<string, string>;

async function gate(backend: string, options: SessionOptions = {}): Promise<void> {
  const file = join(REPO, 'test/conformance', `contrib-${backend}.expect.json`);
  const exp = parseExpectations(readFileSync(file, 'utf8'), file);
  const suite = await runSuite(SUITE, { ...options, backend });
  const ortPassed = Object.values(ORT).filter((v) => v === 'pass').length;
  console.log(
    `# contrib suite on ${backend}: ${suite.passed} of ${suite.results.length} passed (onnxruntime-node: ${ortPassed})`,
  );
  assert.equal(
    suite.results.length,
    Object.keys(ORT).length,
    'the suite folder and ort-results.json list different cases',
  );
  const report = checkExpectations(suite, exp);
  assert.ok(
    report.ok,
    [
      ...report.unexpected.map((u) => `unexpected failure ${u.name}: ${u.message}`),
      ...report.stale.map((s) => `stale expectation ${s}: it passes now; remove it from ${file}`),
    ].join('\n'),
  );
  const behindOrt = Object.keys(exp.failures).filter((n) => ORT[n.replace(/^test_/, '')] === 'pass');
  assert.deepEqual(behindOrt, [], 'cases onnxruntime-node passes must pass here too');
}

test('the suite has at least 150 cases, most run by onnxruntime-node itself', () => {
  const n = Object.keys(ORT).length;
  assert.ok(n >= 150, `only ${n} cases`);
  assert.ok(Object.values(ORT).filter((v) => v === 'pass').length >= 150);
});

test('contrib suite on the reference backend', async () => {
  await gate('reference');
});

test('contrib suite on the WASM backend, 2 threads', async () => {
  await gate('wasm', { threads: 2 });
});

test('contrib suite on WebGPU (SwiftShader); every WGSL variant it built compiles cleanly', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const held = await sharedDevice({ adapter: 'swiftshader' });
  try {
    await gate('webgpu', { adapter: 'swiftshader' });
    await assertProgramsCompile(held.device, 20);
  } finally {
    await held.done();
  }
});
