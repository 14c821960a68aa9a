// The WebGPU backend on the whole shared ONNX conformance set, in Node through Dawn on
// SwiftShader; then every WGSL kernel variant that the set produced is compiled again and must
// come back without a compiler error or warning (so no shader goes untested).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { sharedDevice } from '../../src/backends/webgpu/shared-device.js';
import { conformanceGate } from './gate.js';
import { adapterOrSkip } from '../helpers/webgpu.js';

test('webgpu backend passes the shared conformance set on SwiftShader (expectations: webgpu.expect.json)', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  // hold the shared device across the suite so its pipeline cache sees every variant
  const held = await sharedDevice({ adapter: 'swiftshader' });
  try {
    await t.test('conformance gate', async () => { await conformanceGate('webgpu', { adapter: 'swiftshader' }); });
    await t.test('every WGSL variant it built compiles cleanly through Dawn', async () => {
    const programs = held.device.programs();
    assert.ok(programs.length > 50, `only ${programs.length} WGSL programs were built`);
    const dev = held.device.gpuDevice;
    const bad: string[] = [];
    for (const p of programs) {
      const m = dev.createShaderModule({ code: p.code, label: p.label });
      const info = await m.getCompilationInfo();
      for (const msg of info.messages) if (msg.type !== 'info') bad.push(`${p.label}: ${msg.type} line ${msg.lineNum}: ${msg.message}`);
    }
    console.log(`# ${programs.length} WGSL kernel variants compiled through Dawn`);
    assert.deepEqual(bad, []);
    });
  } finally {
    await held.done();
  }
});
