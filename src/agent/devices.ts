// The devices an agent run can place nodes on. Today: the reference interpreter as a Device; the
// WASM and WebGPU devices and remote offload devices join as their backends land.

import type { Device } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import type { DeviceSet } from './types.js';

export async function localDevices(): Promise<DeviceSet> {
  const devices = new Map<string, Device>();
  devices.set('cpu', new ReferenceDevice({ id: 'cpu' }));
  return { devices, defaultDevice: 'cpu' };
}

export async function disposeDevices(set: DeviceSet): Promise<void> {
  for (const d of set.devices.values()) await d.dispose().catch(() => {});
}
