// Remote devices for the heterogeneous runtime: `devices: [{ kind: 'remote', url, token }]` connects
// to an offload server (health, protocol version, info, link probes) and hands the planner the
// server's own profile with the measured link and its price.

import { RemoteDevice } from '../backends/remote/device.js';
import type { DeviceProfile } from '../cost/profile.js';
import { toDeviceProfile } from '../protocol/profile.js';
import { registerDeviceProvider } from './devices.js';

registerDeviceProvider('remote', async (spec) => {
  if (typeof spec.url !== 'string' || !spec.url)
    return "a remote device needs a url: devices: [{ kind: 'remote', url, token }]";
  let host = spec.url;
  try {
    host = new URL(spec.url).host;
  } catch {
    return `'${spec.url}' is not a URL`;
  }
  const device = await RemoteDevice.connect({
    url: spec.url,
    token: spec.token,
    id: spec.id ?? `remote:${host}`,
    ...(typeof spec.deadlineMs === 'number' ? { deadlineMs: spec.deadlineMs } : {}),
    ...(Array.isArray(spec.unsupportedOps) ? { unsupportedOps: spec.unsupportedOps as string[] } : {}),
  });
  const profile: DeviceProfile = { ...toDeviceProfile(device.profile()), id: device.id };
  return { device, profile };
});
