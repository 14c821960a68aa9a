// A whole-graph Backend on top of one Device: the graph is cut into maximal runs of nodes the
// device supports; nodes it does not support run on the reference interpreter (CPU) in between,
// and each such fallback is recorded with its reason, never silent.
//
// With a `fallback` device (the offload client uses a local one), a unit whose compile or run fails
// on the primary device (a remote server that died, timed out or refused by deadline) runs on the
// fallback instead, and so do the following units until `retryAfterMs` has passed. Values already
// computed are kept and reused; a value lost with the primary is recomputed on the fallback. Every
// switch is recorded as a DeviceFallback event (and passed to `onFallback`) for traces.

import type { Graph, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { evalNodeValues } from '../ops/evaluate.js';
import { asTensor, tensorsOnly, type RunValue } from '../ir/values.js';
import type { BackendOptions, PreparedModel } from './backend.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from './device.js';

/** Split nodes (in order) into device units and CPU fallback nodes. */
export function partition(g: Graph, device: Device): { steps: (Unit | Node)[]; fallbacks: Map<string, string> } {
  const fallbacks = new Map<string, string>();
  const steps: (Unit | Node)[] = [];
  let run: Node[] = [];
  const flush = () => {
    if (run.length) steps.push(unitOf(g, run));
    run = [];
  };
  for (const n of g.nodes) {
    const ok = device.supports(n);
    if (ok === true) { run.push(n); continue; }
    flush();
    steps.push(n);
    if (!fallbacks.has(n.op)) fallbacks.set(n.op, ok);
  }
  flush();
  return { steps, fallbacks };
}

/** Inputs and outputs of a run of nodes, as seen from the rest of the graph. */
export function unitOf(g: Graph, nodes: Node[]): Unit {
  const inside = new Set<Value>();
  for (const n of nodes) for (const o of n.outputs) if (o) inside.add(o);
  const inputs: Value[] = [];
  for (const n of nodes) {
    // constants belong to the unit: devices keep them resident (packed, uploaded once) rather than taking them per run
    for (const v of n.inputs) if (v && !v.const && !inside.has(v) && !inputs.includes(v)) inputs.push(v);
  }
  const usedOutside = new Set<Value>(g.outputs);
  const mine = new Set(nodes);
  for (const n of g.nodes) if (!mine.has(n)) for (const v of n.inputs) if (v) usedOutside.add(v);
  const outputs = [...inside].filter((v) => usedOutside.has(v));
  return { nodes, inputs, outputs };
}

/** One switch from the primary device to the fallback, for traces and `session.deviceFallbacks`. */
export interface DeviceFallback {
  /** ms since the epoch */
  time: number;
  from: string;
  to: string;
  phase: 'compile' | 'run' | 'download';
  /** Index of the unit in the plan, and the nodes it holds (names, or op names where unnamed). */
  step: number;
  nodes: string[];
  reason: string;
  /** Error code where the device gave one (a remote server's JSON error code, 'timeout', …). */
  code?: string;
}

export interface DeviceBackendOptions extends BackendOptions {
  /** Device that takes over units when the primary fails. */
  fallback?: Device;
  /** After a failure, skip the primary for this long, ms (default 5000; a Retry-After wins). */
  retryAfterMs?: number;
  onFallback?: (e: DeviceFallback) => void;
}

export interface DevicePreparedModel extends PreparedModel {
  /** Fallback switches so far (the last 100). */
  deviceFallbacks: DeviceFallback[];
}

type Step =
  | { kind: 'device'; unit: Unit; compiled?: CompiledUnit; fb?: CompiledUnit | 'cpu' }
  | { kind: 'cpu'; node: Node };

const nodeLabel = (n: Node) => n.name || `${n.op}→${n.outputs.find((o) => o)?.name ?? '?'}`;

export async function prepareOnDevice(g: Graph, device: Device, options: DeviceBackendOptions = {}): Promise<DevicePreparedModel> {
  const { steps, fallbacks } = partition(g, device);
  const fallback = options.fallback;
  const events: DeviceFallback[] = [];
  let downUntil = 0;
  const primaryUp = () => !fallback || Date.now() >= downUntil;

  const record = (phase: DeviceFallback['phase'], step: number, unit: Unit, e: unknown) => {
    const err = e as Error & { code?: unknown; retryAfterS?: unknown };
    const retry = typeof err.retryAfterS === 'number' ? err.retryAfterS * 1000 : options.retryAfterMs ?? 5000;
    downUntil = Date.now() + retry;
    const ev: DeviceFallback = {
      time: Date.now(), from: device.id, to: fallback!.id, phase, step,
      nodes: unit.nodes.map(nodeLabel), reason: err?.message ?? String(e),
      ...(typeof err.code === 'string' ? { code: err.code } : {}),
    };
    events.push(ev);
    if (events.length > 100) events.shift();
    options.onFallback?.(ev);
  };

  const plan: Step[] = [];
  for (const [i, s] of steps.entries()) {
    if (!('nodes' in s)) { plan.push({ kind: 'cpu', node: s }); continue; }
    const step: Step = { kind: 'device', unit: s };
    if (primaryUp()) {
      try {
        step.compiled = await device.compile(s);
      } catch (e) {
        if (!fallback) throw e;
        record('compile', i, s, e);
      }
    }
    plan.push(step);
  }
  // constants are uploaded once per device and stay resident between runs
  const resident = new Map<Value, DeviceTensor>();
  const residentFb = new Map<Value, DeviceTensor>();
  const producer = new Map<Value, number>();
  plan.forEach((s, i) => {
    if (s.kind === 'device') for (const v of s.unit.outputs) producer.set(v, i);
  });

  const runValues = async (feeds: RunValue[]): Promise<RunValue[]> => {
    const onDevice = new Map<Value, DeviceTensor>();
    const onFb = new Map<Value, DeviceTensor>();
    // host values: tensors, and the sequences and optionals that only host nodes touch
    const onCpu = new Map<Value, RunValue>();
    g.inputs.forEach((v, i) => onCpu.set(v, feeds[i]!));
    const temps: DeviceTensor[] = [];
    const fbTemps: DeviceTensor[] = [];

    const cpu = async (v: Value): Promise<RunValue> => {
      if (v.const) return v.const;
      let t = onCpu.get(v);
      if (t) return t;
      const f = onFb.get(v);
      if (f) t = await fallback!.download(f);
      else {
        const d = onDevice.get(v);
        if (!d) throw new Error(`value '${v.name}' was not computed`);
        try {
          t = await device.download(d);
        } catch (e) {
          if (!fallback) throw e;
          // lost with the primary: compute it again on the fallback
          const i = producer.get(v)!;
          const s = plan[i] as Extract<Step, { kind: 'device' }>;
          record('download', i, s.unit, e);
          await onFallback(s);
          return cpu(v);
        }
      }
      onCpu.set(v, t);
      return t;
    };
    const dev = async (v: Value): Promise<DeviceTensor> => {
      let d = onDevice.get(v) ?? resident.get(v);
      if (!d) {
        d = await device.upload(asTensor(await cpu(v), v.name));
        if (v.const) resident.set(v, d); else { onDevice.set(v, d); temps.push(d); }
      }
      return d;
    };
    const fdev = async (v: Value): Promise<DeviceTensor> => {
      let d = onFb.get(v) ?? residentFb.get(v);
      if (!d) {
        d = await fallback!.upload(asTensor(await cpu(v), v.name));
        if (v.const) residentFb.set(v, d); else { onFb.set(v, d); fbTemps.push(d); }
      }
      return d;
    };
    const onFallback = async (s: Extract<Step, { kind: 'device' }>) => {
      const fb = fallback!;
      s.fb ??= s.unit.nodes.every((n) => fb.supports(n) === true) ? await fb.compile(s.unit) : 'cpu';
      if (s.fb === 'cpu') {
        const local = new Map<Value, RunValue>();
        for (const n of s.unit.nodes) {
          const ins: (RunValue | undefined)[] = [];
          for (const v of n.inputs) ins.push(v ? local.get(v) ?? await cpu(v) : undefined);
          const outs = evalNodeValues(n, ins);
          n.outputs.forEach((v, i) => { if (v) local.set(v, outs[i]!); });
        }
        for (const v of s.unit.outputs) { onCpu.set(v, local.get(v)!); onDevice.delete(v); }
        return;
      }
      const ins = [];
      for (const v of s.unit.inputs) ins.push(await fdev(v));
      const outs = await fb.run(s.fb, ins);
      s.unit.outputs.forEach((v, i) => { onFb.set(v, outs[i]!); fbTemps.push(outs[i]!); onDevice.delete(v); });
    };

    try {
      for (const [i, s] of plan.entries()) {
        if (s.kind === 'cpu') {
          const ins = [];
          for (const v of s.node.inputs) ins.push(v ? await cpu(v) : undefined);
          const outs = evalNodeValues(s.node, ins);
          s.node.outputs.forEach((v, k) => { if (v) onCpu.set(v, outs[k]!); });
          continue;
        }
        if (!primaryUp()) { await onFallback(s); continue; }
        try {
          s.compiled ??= await device.compile(s.unit);
          const ins = [];
          for (const v of s.unit.inputs) ins.push(await dev(v));
          const outs = await device.run(s.compiled, ins);
          s.unit.outputs.forEach((v, k) => { onDevice.set(v, outs[k]!); temps.push(outs[k]!); });
        } catch (e) {
          if (!fallback) throw e;
          record(s.compiled ? 'run' : 'compile', i, s.unit, e);
          await onFallback(s);
        }
      }
      const results: RunValue[] = [];
      for (const v of g.outputs) results.push(await cpu(v));
      return results;
    } finally {
      for (const t of temps) try { device.release(t); } catch { /* primary may be gone */ }
      for (const t of fbTemps) fallback!.release(t);
    }
  };

  return {
    fallbacks,
    deviceFallbacks: events,
    run: async (feeds: Tensor[]) => tensorsOnly(await runValues(feeds), g.outputs),
    runValues,
    async release() {
      for (const t of resident.values()) try { device.release(t); } catch { /* gone */ }
      for (const t of residentFb.values()) fallback!.release(t);
      resident.clear();
      residentFb.clear();
      await device.dispose().catch((e) => { if (!fallback) throw e; });
      await fallback?.dispose();
    },
  };
}
