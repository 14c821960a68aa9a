// The WebGPU device provider of the heterogeneous runtime: `discoverDevices` asks it for the
// adapter (default, or --devices webgpu:<adapter>); no adapter is a note, not an error.

import { WebGpuDevice } from '../backends/webgpu/device.js';
import { registerDeviceProvider } from './devices.js';

registerDeviceProvider('webgpu', async (spec) => {
  try {
    const adapter = spec.adapter ?? (spec.id?.startsWith('webgpu:') ? spec.id.slice(7) : undefined);
    return { device: await WebGpuDevice.create({ id: spec.id ?? 'webgpu', adapter }) };
  } catch (e) {
    return (e as Error).message;
  }
});
