// backend: 'remote' — the whole graph on one offload server (`--backend remote`, and the way to pin
// work remotely while the planner would place it elsewhere), with a local device taking over any
// unit the server fails, times out on or refuses (the `fallback` option of prepareOnDevice). With
// `trace: true` each remote unit is a span and each fallback an instant in session.trace.

import type { CompiledUnit, Device, DeviceTensor } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import { RemoteDevice, type RemoteDeviceOptions } from '../backends/remote/device.js';
import type { Graph } from '../ir/graph.js';
import { type BackendOptions, registerBackend } from './backend.js';
import { type DeviceFallback, type DevicePreparedModel, prepareOnDevice } from './single-device.js';
import { TraceRecorder } from './trace.js';

export interface RemoteBackendOptions extends BackendOptions {
  /** The first `kind: 'remote'` entry is the server. */
  devices?: ({ kind: string } & Partial<RemoteDeviceOptions>)[];
  /** Shorthand for one remote device. */
  remote?: RemoteDeviceOptions;
  /** Local device for units the server fails; false: fail instead. Default: the reference device. */
  fallback?: Device | false;
  /** Deadline of each remote run, ms (default 30000). */
  deadlineMs?: number;
  /** After a server failure, run locally for this long before trying the server again, ms. */
  retryAfterMs?: number;
  onFallback?: (e: DeviceFallback) => void;
  trace?: boolean;
}

export interface RemotePrepared extends Omit<DevicePreparedModel, 'device'> {
  /** The connected device (absent when the server could not be reached at all). */
  device?: RemoteDevice;
  trace?: TraceRecorder;
}

export function remoteSpec(o: RemoteBackendOptions): RemoteDeviceOptions {
  const spec = o.devices?.find((d) => d.kind === 'remote') ?? o.remote;
  if (!spec?.url)
    throw new Error(
      `backend 'remote' needs a server: devices: [{ kind: 'remote', url, token }] (CLI: --remote URL --token T)`,
    );
  return { ...spec, url: spec.url, deadlineMs: spec.deadlineMs ?? o.deadlineMs };
}

/** Spans of remote unit runs on the device's track. */
function traced(d: RemoteDevice, trace: TraceRecorder): void {
  const run = d.run.bind(d);
  d.run = async (c: CompiledUnit, ins: DeviceTensor[]) => {
    const start = trace.now();
    try {
      return await run(c, ins);
    } finally {
      const last = d.lastRuns[d.lastRuns.length - 1];
      trace.span(d.id, `unit (${c.unit.nodes.length} nodes)`, start, trace.now(), last ? { ...last.meta } : undefined);
    }
  };
}

export async function prepareRemote(graph: Graph, o: RemoteBackendOptions): Promise<RemotePrepared> {
  const spec = remoteSpec(o);
  const fallback = o.fallback === false ? undefined : (o.fallback ?? new ReferenceDevice('cpu'));
  const trace = o.trace ? new TraceRecorder() : undefined;
  const onFallback = (e: DeviceFallback) => {
    trace?.instant(e.from, `fallback: ${e.phase} of step ${e.step} → ${e.to}`, {
      reason: e.reason,
      code: e.code,
      nodes: e.nodes,
    });
    o.onFallback?.(e);
  };
  let device: RemoteDevice;
  try {
    device = await RemoteDevice.connect(spec);
  } catch (e) {
    if (!fallback) throw e;
    // the server cannot be reached at all: everything runs locally, and that is recorded
    const ev: DeviceFallback = {
      time: Date.now(),
      from: spec.id ?? `remote:${spec.url}`,
      to: fallback.id,
      phase: 'compile',
      step: -1,
      nodes: graph.nodes.map((n) => n.name || n.op),
      reason: (e as Error).message,
      ...(typeof (e as { code?: unknown }).code === 'string' ? { code: (e as { code: string }).code } : {}),
    };
    onFallback(ev);
    const local = await prepareOnDevice(graph, fallback, {});
    local.deviceFallbacks.push(ev);
    return Object.assign(local, { trace, device: undefined });
  }
  if (trace) traced(device, trace);
  const prepared = await prepareOnDevice(graph, device, { fallback, onFallback, retryAfterMs: o.retryAfterMs });
  return Object.assign(prepared, { device, trace });
}

registerBackend('remote', async () => ({
  name: 'remote',
  prepare: (graph, options) => prepareRemote(graph, options as RemoteBackendOptions),
}));
