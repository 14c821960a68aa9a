// A whole graph on one device, as a placed plan for the executor: maximal runs of nodes the device
// supports are its units, nodes it lacks run on the host's reference interpreter in between (each
// recorded with its reason). With a `fallback` device (the offload client uses a local one), a unit
// whose compile or run fails on the primary (a server that died, timed out or refused by deadline)
// runs on the fallback instead, and so do the following units until `retryAfterMs` has passed;
// values already computed are reused, a value lost with the primary is recomputed.

import type { Device } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { type RunValue, tensorsOnly } from '../ir/values.js';
import { singleDevicePlan } from '../planner/units.js';
import type { BackendOptions, PreparedModel } from './backend.js';
import { Executor, type Fallback, type ResidentWeights } from './executor.js';
import { HostControlFlow } from './host-control-flow.js';

/** One switch from the primary device to the fallback, for traces and `session.deviceFallbacks`. */
export type DeviceFallback = Omit<Fallback, 'unit'>;

export interface DeviceBackendOptions extends BackendOptions {
  /** Device that takes over units when the primary fails (every error of the primary counts). */
  fallback?: Device;
  /** After a failure, skip the primary for this long, ms (default 5000; a Retry-After wins). */
  retryAfterMs?: number;
  onFallback?: (e: DeviceFallback) => void;
  /** Weights resident per device id, shared with other programs (the LLM's prefill and decode graphs). */
  resident?: Map<string, ResidentWeights>;
  /**
   * Control flow (If, Loop, Scan) runs as one host unit that drives its body; with this, each body
   * is prepared on the device too (by the backend: its kernel passes, then this same device).
   */
  prepareBody?: (body: Graph) => Promise<PreparedModel>;
  /** Dispose the device on release (default true; a control-flow body shares its owner's device). */
  ownsDevice?: boolean;
}

export interface DevicePreparedModel extends PreparedModel {
  /** Fallback switches so far (the last 100). */
  deviceFallbacks: DeviceFallback[];
  /** The executor, for runs with resident feeds or outputs left on the device. */
  readonly executor: Executor;
  readonly device: Device;
}

const toDeviceFallback = ({ unit: _unit, ...rest }: Fallback): DeviceFallback => rest;

export async function prepareOnDevice(
  g: Graph,
  device: Device,
  options: DeviceBackendOptions = {},
): Promise<DevicePreparedModel> {
  const control =
    options.prepareBody && device.kind !== 'reference' ? new HostControlFlow(options.prepareBody) : undefined;
  const host =
    device.kind === 'reference'
      ? device
      : new ReferenceDevice({ id: device.id === 'host' ? 'host-cpu' : 'host', delegate: control });
  const fallback = options.fallback;
  const { placed, fallbacks } = singleDevicePlan(g, device.id, host.id, (n) => device.supports(n));
  for (const p of placed) {
    const n = p.unit.nodes[0]!;
    if (p.device === host.id && control?.handles(n)) {
      fallbacks.set(n.op, `${n.op.slice(3)} runs as one unit driven from the host; its body runs on ${device.kind}`);
    }
  }
  const devices = new Map<string, Device>([
    [device.id, device],
    [host.id, host],
  ]);
  if (fallback) devices.set(fallback.id, fallback);
  const deviceFallbacks: DeviceFallback[] = [];
  const executor = new Executor(g, placed, devices, {
    hostDevice: host.id,
    // the host's interpreter runs anything: it is the last resort behind the fallback
    fallbackOrder: fallback ? [fallback.id, ...(fallback.id === host.id ? [] : [host.id])] : undefined,
    failOver: fallback ? 'any' : 'device',
    retryAfterMs: fallback ? (options.retryAfterMs ?? 5000) : undefined,
    onFallback: (f) => {
      const e = toDeviceFallback(f);
      deviceFallbacks.push(e);
      if (deviceFallbacks.length > 100) deviceFallbacks.shift();
      options.onFallback?.(e);
    },
    resident: options.resident,
    yieldEveryMs: 'never',
    timeUnits: false,
  });
  await executor.compileAll(fallback ? 'fallback' : 'throw');
  let released = false;
  const prepared: DevicePreparedModel = {
    fallbacks,
    deviceFallbacks,
    executor,
    device,
    placement: { placed, host: host.id },
    async run(feeds: Tensor[]): Promise<Tensor[]> {
      return tensorsOnly(await prepared.runValues!(feeds), g.outputs);
    },
    async runValues(feeds: RunValue[]): Promise<RunValue[]> {
      if (released) throw new Error('session has been released');
      try {
        return (await executor.run(feeds)).outputs;
      } finally {
        if (control) for (const [k, v] of control.fallbacks) if (!fallbacks.has(k)) fallbacks.set(k, v);
      }
    },
    async release() {
      if (released) return;
      released = true;
      await executor.release();
      await control?.release();
      if (host !== device) await host.dispose();
      if (options.ownsDevice !== false)
        await device.dispose().catch((e) => {
          if (!fallback) throw e;
        });
      await fallback?.dispose();
    },
  };
  return prepared;
}
