// WebGPU in tests: Dawn on SwiftShader (Vulkan on the CPU) and Mesa llvmpipe (OpenGL ES), both
// present on a GPU-less Debian machine after `npm run setup`. A missing adapter fails the test
// with the reason (CI must have them); SWITCHYARD_SKIP_WEBGPU=1 skips instead.

import assert from 'node:assert/strict';
import type { WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { findAdapter } from '../../src/backends/webgpu/gpu.js';

export async function adapterOrSkip(t: { skip(msg: string): void }, adapter: string): Promise<boolean> {
  try {
    await findAdapter({ adapter });
    return true;
  } catch (e) {
    if (process.env.SWITCHYARD_SKIP_WEBGPU) {
      t.skip(`no ${adapter} adapter: ${(e as Error).message}`);
      return false;
    }
    throw e;
  }
}

/** Every WGSL program the device built, compiled again through Dawn: no error or warning allowed. */
export async function assertProgramsCompile(device: WebGpuDevice, atLeast = 50): Promise<void> {
  const programs = device.programs();
  assert.ok(programs.length > atLeast, `only ${programs.length} WGSL programs were built`);
  const bad: string[] = [];
  for (const p of programs) {
    const info = await device.gpuDevice.createShaderModule({ code: p.code, label: p.label }).getCompilationInfo();
    for (const msg of info.messages)
      if (msg.type !== 'info') bad.push(`${p.label}: ${msg.type} line ${msg.lineNum}: ${msg.message}`);
  }
  console.log(`# ${programs.length} WGSL kernel variants compiled through Dawn`);
  assert.deepEqual(bad, []);
}
