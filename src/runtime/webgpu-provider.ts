// The WebGPU device provider of the heterogeneous runtime: `discoverDevices` asks it for the
// adapter (default, or --devices webgpu:<adapter>); no adapter is a note, not an error. A software
// adapter (SwiftShader, llvmpipe: the "GPU" is emulated on the CPU, which is what a machine without
// a GPU gets) gets a guess to match, so the planner does not take it for a real GPU where it has not
// measured it (calibration: 'never'; the default WebGPU profile assumes an integrated GPU). The
// WebGPU calibrator replaces the guess with measurements (src/backends/webgpu/calibrate.ts).

import { WebGpuDevice } from '../backends/webgpu/device.js';
import { WEBGPU } from '../cost/catalog/local.js';
import { est } from '../cost/figure.js';
import type { DeviceProfile } from '../cost/profile.js';
import { registerDeviceProvider } from './devices.js';

const SOFT = 'software adapter: GPU emulated on the CPU (a guess until runs are measured)';

export function softwareAdapterProfile(id: string, name: string): DeviceProfile {
  return {
    ...structuredClone(WEBGPU),
    id,
    name: `${name} (software)`,
    computesOn: 'host-cpu',
    peakFlops: { f32: est(2e9, SOFT) },
    memBandwidth: est(2e9, SOFT),
    // the example model's decode on SwiftShader here: ~1.5 ms per dispatch (pipelines compile on first use besides)
    launchOverhead: est(1.5e-3, SOFT, 'a dispatch through Dawn and the emulated queue'),
    link: { bandwidth: est(2e9, SOFT), latency: est(100e-6, SOFT) },
  };
}

/** Whether a device is WebGPU on a software adapter (the CPU emulating a GPU). */
export function isSoftwareAdapter(d: { kind: string }): boolean {
  if (d.kind !== 'webgpu') return false;
  const info = (d as Partial<WebGpuDevice>).adapter?.info;
  return (
    !!info &&
    (info.isFallbackAdapter ||
      /swiftshader|llvmpipe|lavapipe|softpipe/i.test(`${info.architecture} ${info.description} ${info.device}`))
  );
}

registerDeviceProvider('webgpu', async (spec) => {
  try {
    const adapter = spec.adapter ?? (spec.id?.startsWith('webgpu:') ? spec.id.slice(7) : undefined);
    const device = await WebGpuDevice.create({ id: spec.id ?? 'webgpu', adapter });
    return { device, ...(isSoftwareAdapter(device) ? { guess: softwareAdapterProfile(device.id, device.name) } : {}) };
  } catch (e) {
    return (e as Error).message;
  }
});
