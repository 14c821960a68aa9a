// The WebGPU backend on the whole shared ONNX conformance set, in Node through Dawn on
// SwiftShader; then every WGSL kernel variant that the set produced is compiled again and must
// come back without a compiler error or warning (so no shader goes untested).
import { test } from 'node:test';
import '../../src/index.js';
import { sharedDevice } from '../../src/backends/webgpu/shared-device.js';
import { adapterOrSkip, assertProgramsCompile } from '../helpers/webgpu.js';
import { conformanceGate } from './gate.js';

test('webgpu backend passes the shared conformance set on SwiftShader (expectations: webgpu.expect.json)', async (t) => {
  if (!(await adapterOrSkip(t, 'swiftshader'))) return;
  // hold the shared device across the suite so its pipeline cache sees every variant
  const held = await sharedDevice({ adapter: 'swiftshader' });
  try {
    await t.test('conformance gate', async () => {
      await conformanceGate('webgpu', { adapter: 'swiftshader' });
    });
    await t.test('every WGSL variant it built compiles cleanly through Dawn', () => assertProgramsCompile(held.device));
  } finally {
    await held.done();
  }
});
