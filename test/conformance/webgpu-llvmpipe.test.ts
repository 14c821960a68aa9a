// The WebGPU backend on the shared conformance set on Mesa llvmpipe (Dawn's OpenGL ES backend,
// compatibility feature level, 128 MiB bindings): the same kernels on a second, stricter adapter.
import { test } from 'node:test';
import '../../src/index.js';
import { adapterOrSkip } from '../helpers/webgpu.js';
import { conformanceGate } from './gate.js';

test('webgpu backend passes the shared conformance set on llvmpipe (expectations: webgpu.expect.json)', async (t) => {
  if (!(await adapterOrSkip(t, 'llvmpipe'))) return;
  await conformanceGate('webgpu', { adapter: 'llvmpipe' }, 'webgpu');
});
