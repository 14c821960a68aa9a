// The WebGPU backend on onnx-node-ext (the rest of the ONNX node suite) in Node through Dawn on
// SwiftShader; failures listed with reasons in webgpu-ext.expect.json (regenerate with
// `node scripts/update-expectations.js webgpu ext --adapter swiftshader`). Ops and types without
// WGSL kernels run on the reference path, recorded as fallbacks. Then every WGSL kernel variant
// the suite built is compiled again and must come back without a compiler error or warning.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/index.js';
import { sharedDevice } from '../../src/backends/webgpu/shared-device.js';
import { REPO } from '../helpers/paths.js';
import { adapterOrSkip, assertProgramsCompile } from '../helpers/webgpu.js';
import { conformanceGate } from './gate.js';

test('webgpu backend on onnx-node-ext on SwiftShader (expectations: webgpu-ext.expect.json)', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  const held = await sharedDevice({ adapter: 'swiftshader' });
  try {
    await t.test('conformance gate', async () => {
      const suite = await conformanceGate('webgpu', { adapter: 'swiftshader' }, 'webgpu', 'ext');
      // everything the reference interpreter passes here passes on WebGPU too
      const refFailures = JSON.parse(
        readFileSync(join(REPO, 'test/conformance/reference-ext.expect.json'), 'utf8'),
      ).failures;
      const behind = suite.results
        .filter((r) => r.status !== 'pass' && !(r.name in refFailures))
        .map((r) => `${r.name}: ${r.message}`);
      assert.deepEqual(behind, []);
    });
    await t.test('every WGSL variant it built compiles cleanly through Dawn', () => assertProgramsCompile(held.device));
  } finally {
    await held.done();
  }
});
