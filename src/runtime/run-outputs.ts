// How a run hands its outputs back: to the host (one batched read per device where it can), or
// left on a device and owned by the caller.

import type { Device, DeviceTensor } from '../backends/device.js';
import type { Graph, Value } from '../ir/graph.js';
import type { RunValue } from '../ir/values.js';

export interface GatherContext {
  graph: Graph;
  devices: Map<string, Device>;
  hostDevice?: string;
  /** Whether a failed read is recovered by recomputing each output (the executor's fail-over). */
  recovers: (e: unknown) => boolean;
}

/** Outputs on the host: the ones still on a device come back in one batched read per device where it can. */
export async function gatherOutputs(
  ctx: GatherContext,
  copies: Map<Value, Map<string, Promise<DeviceTensor>>>,
  origin: Map<Value, string>,
  toHost: (v: Value) => Promise<RunValue>,
): Promise<RunValue[]> {
  const outs = ctx.graph.outputs;
  const byDevice = new Map<string, Value[]>();
  for (const v of new Set(outs)) {
    if (v.const || ctx.graph.inputs.includes(v)) continue;
    const dev = origin.get(v);
    const d = dev && ctx.devices.get(dev);
    if (d && d.downloadMany && dev !== ctx.hostDevice) (byDevice.get(dev) ?? byDevice.set(dev, []).get(dev)!).push(v);
  }
  const got = new Map<Value, RunValue>();
  for (const [dev, vs] of byDevice) {
    if (vs.length < 1) continue;
    try {
      const d = ctx.devices.get(dev)!;
      const ts = await d.downloadMany!(await Promise.all(vs.map((v) => copies.get(v)!.get(dev)!)));
      vs.forEach((v, i) => got.set(v, ts[i]!));
    } catch (e) {
      if (!ctx.recovers(e)) throw e; // else each output is recomputed below
    }
  }
  return Promise.all(outs.map((v) => got.get(v) ?? toHost(v)));
}

/** Outputs left on `d`, owned by the caller: a borrowed feed or a weight is copied so the caller may free it. */
export async function keepOutputs(
  graph: Graph,
  d: Device,
  on: (v: Value) => Promise<DeviceTensor>,
  borrowed: Set<DeviceTensor>,
  returned: Set<Promise<DeviceTensor>>,
): Promise<DeviceTensor[]> {
  const out: DeviceTensor[] = [];
  for (const v of graph.outputs) {
    const p = on(v);
    let t = await p;
    if (borrowed.has(t) || v.const || out.includes(t)) t = await d.upload(await d.download(t));
    else returned.add(p);
    out.push(t);
  }
  return out;
}
