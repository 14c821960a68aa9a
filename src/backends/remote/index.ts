// The 'remote' backend: the whole graph on an offload server (what `--backend remote` and
// `devices: [{kind: 'remote', url, token}]` select), with a local device taking over any unit the
// server fails, times out on or refuses. Until the heterogeneous runtime places units across
// devices by cost, this is how a session uses a remote device.

import type { Graph } from '../../ir/graph.js';
import { registerBackend, type BackendOptions } from '../backend.js';
import { prepareOnDevice, type DeviceFallback, type DevicePreparedModel } from '../device-backend.js';
import type { Device } from '../device.js';
import { ReferenceDevice } from '../reference/device.js';
import { RemoteDevice, type RemoteDeviceOptions } from './device.js';

export { RemoteDevice, type RemoteDeviceOptions } from './device.js';
export { RemoteClient, RemoteError, type TransferStats } from './client.js';

/** An entry of `devices` in Session.create. */
export interface RemoteDeviceSpec extends RemoteDeviceOptions { kind: 'remote' }

export interface RemoteBackendOptions extends BackendOptions {
  devices?: ({ kind: string } & Partial<RemoteDeviceSpec>)[];
  /** Shorthand for one remote device. */
  remote?: RemoteDeviceOptions;
  /** Local device for units the server fails; false: fail instead. Default: the reference device. */
  fallback?: Device | false;
  /** Run deadline sent to the server, ms. */
  deadlineMs?: number;
  onFallback?: (e: DeviceFallback) => void;
}

export function remoteSpec(o: RemoteBackendOptions): RemoteDeviceOptions {
  const spec = o.devices?.find((d) => d.kind === 'remote') ?? o.remote;
  if (!spec?.url) throw new Error(`backend 'remote' needs a server: devices: [{ kind: 'remote', url, token }] (CLI: --remote URL --token T)`);
  return { ...spec, url: spec.url, deadlineMs: spec.deadlineMs ?? o.deadlineMs };
}

export async function prepareRemote(graph: Graph, o: RemoteBackendOptions): Promise<DevicePreparedModel & { device?: RemoteDevice }> {
  const spec = remoteSpec(o);
  const fallback = o.fallback === false ? undefined : o.fallback ?? new ReferenceDevice();
  let device: RemoteDevice;
  try {
    device = await RemoteDevice.connect(spec);
  } catch (e) {
    if (!fallback) throw e;
    // the server cannot be reached at all: everything runs locally, and that is recorded
    const ev: DeviceFallback = {
      time: Date.now(), from: `remote:${spec.url}`, to: fallback.id, phase: 'compile', step: -1,
      nodes: graph.nodes.map((n) => n.name || n.op), reason: (e as Error).message,
      ...(typeof (e as { code?: unknown }).code === 'string' ? { code: (e as { code: string }).code } : {}),
    };
    o.onFallback?.(ev);
    const local = await prepareOnDevice(graph, fallback, {});
    local.deviceFallbacks.push(ev);
    return local;
  }
  const prepared = await prepareOnDevice(graph, device, { fallback, onFallback: o.onFallback, retryAfterMs: o.retryAfterMs as number | undefined });
  return Object.assign(prepared, { device });
}

registerBackend('remote', async () => ({
  name: 'remote',
  prepare: (graph, options) => prepareRemote(graph, options as RemoteBackendOptions),
}));
