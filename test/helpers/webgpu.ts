// WebGPU in tests: Dawn on SwiftShader (Vulkan on the CPU) and Mesa llvmpipe (OpenGL ES), both
// present on a GPU-less Debian machine after `npm run setup`. A missing adapter fails the test
// with the reason (CI must have them); SWITCHYARD_SKIP_WEBGPU=1 skips instead.

import { findAdapter } from '../../src/backends/webgpu/gpu.js';

export async function adapterOrSkip(t: { skip(msg: string): void }, adapter: string): Promise<boolean> {
  try {
    await findAdapter({ adapter });
    return true;
  } catch (e) {
    if (process.env.SWITCHYARD_SKIP_WEBGPU) { t.skip(`no ${adapter} adapter: ${(e as Error).message}`); return false; }
    throw e;
  }
}
