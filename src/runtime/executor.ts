// Executes a placed plan: each unit runs on its device as soon as its inputs exist, units on
// different devices run at the same time, values cross devices through the host (download, then
// upload), and a device failure moves the unit (and the rest of that device's work for this run)
// to the next device that can run it, reusing every result already computed.

import { DeviceError, type CompiledUnit, type Device, type DeviceTensor, type Unit } from '../backends/device.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import type { RunValue } from '../ir/values.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import type { TraceRecorder } from './trace.js';

export interface PlacedUnit {
  id: string;
  unit: Unit;
  /** Planned device id. */
  device: string;
  predictedStartMs: number;
  predictedEndMs: number;
  /** The plan's tasks this unit runs (several when a chain on one device was merged). */
  tasks?: string[];
  /** Predicted time at work, without waits (default: end - start). */
  predictedBusyMs?: number;
}

export interface UnitTiming { unit: string; device: string; startMs: number; endMs: number; predictedMs: number; tasks?: string[] }
export interface TransferTiming { value: string; from: string; to: string; bytes: number; startMs: number; endMs: number }
export interface Fallback { unit: string; from: string; to: string; reason: string }

export interface RunReport {
  totalMs: number;
  units: UnitTiming[];
  transfers: TransferTiming[];
  fallbacks: Fallback[];
}

const HOST = 'host';
/** How long main-thread devices compute before giving the event loop a turn, when others are in flight. */
const YIELD_EVERY_MS = 1;

function bytesOf(t: { dims: readonly number[]; type: string }): number {
  const per = t.type === 'float64' || t.type === 'int64' || t.type === 'uint64' ? 8 : t.type === 'float16' || t.type === 'int16' || t.type === 'uint16' ? 2 : t.type.endsWith('8') || t.type === 'bool' ? 1 : 4;
  return t.dims.reduce((a, b) => a * b, 1) * per;
}

export class Executor {
  private compiled = new Map<string, Promise<CompiledUnit>>();
  /** Constants stay resident on each device between runs. */
  private resident = new Map<string, Map<Value, Promise<DeviceTensor>>>();
  private queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly graph: Graph,
    readonly placed: PlacedUnit[],
    private readonly devices: Map<string, Device>,
    /** Devices to try, in order, when a unit's device fails. */
    private readonly fallbackOrder: string[],
    /** The device whose memory is the host's (the reference interpreter): moving data there is free. */
    private readonly hostDevice?: string,
    /**
     * Device id -> lane: devices on one lane share a resource (the same CPU cores) and run one
     * unit at a time between them, as the plan assumed; by default each device is its own lane.
     */
    private readonly lanes: ReadonlyMap<string, string> = new Map(),
  ) {}

  private device(id: string): Device {
    const d = this.devices.get(id);
    if (!d) throw new Error(`device '${id}' is not available`);
    return d;
  }

  /** Compile every unit on its planned device, in parallel (pipelines compile concurrently). */
  async compileAll(): Promise<void> {
    await Promise.all(this.placed.map((p) => this.compiledOn(p, p.device)));
  }

  private compiledOn(p: PlacedUnit, dev: string): Promise<CompiledUnit> {
    const key = `${p.id}@${dev}`;
    let c = this.compiled.get(key);
    if (!c) { c = this.device(dev).compile(p.unit); this.compiled.set(key, c); }
    return c;
  }

  private canRun(dev: string, nodes: Node[]): true | string {
    const d = this.devices.get(dev);
    if (!d) return `${dev} is not available`;
    for (const n of nodes) { const ok = d.supports(n); if (ok !== true) return ok; }
    return true;
  }

  /** Run fn when the device (and every device sharing its lane) has finished what was queued before. */
  private exclusive<T>(dev: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(dev) ?? dev;
    const prev = this.queues.get(lane) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    this.queues.set(lane, p.catch(() => undefined));
    return p;
  }

  async run(feeds: RunValue[], trace?: TraceRecorder): Promise<{ outputs: RunValue[]; report: RunReport }> {
    const clock = () => (trace ? trace.now() : performance.now());
    const t0 = clock();
    const report: RunReport = { totalMs: 0, units: [], transfers: [], fallbacks: [] };
    // with units on several devices, devices that compute on the main thread give the event
    // loop a turn between kernels, so the others' completions and transfers are not held up
    const spread = new Set(this.placed.map((p) => p.device)).size > 1;
    for (const d of this.devices.values()) if ('yieldEveryMs' in d) d.yieldEveryMs = spread ? YIELD_EVERY_MS : undefined;
    // host values: tensors, and sequences and optionals (which only the host device holds)
    const onHost = new Map<Value, Promise<RunValue>>();
    const copies = new Map<Value, Map<string, Promise<DeviceTensor>>>();
    const done = new Map<Value, Promise<void>>();
    const temps: [string, Promise<DeviceTensor>][] = [];
    const failed = new Set<string>();
    const moved = new Map<string, string>(); // failed device -> replacement for this run
    this.graph.inputs.forEach((v, i) => onHost.set(v, Promise.resolve(feeds[i]!)));

    const copiesOf = (v: Value) => { let m = copies.get(v); if (!m) copies.set(v, (m = new Map())); return m; };
    const transfer = (name: string, from: string, to: string, t: { dims: readonly number[]; type: string }, start: number) => {
      if (from === this.hostDevice || to === this.hostDevice) return;
      const end = clock();
      const x = { value: name, from, to, bytes: bytesOf(t), startMs: start - t0, endMs: end - t0 };
      report.transfers.push(x);
      trace?.span('transfers', `${name}: ${from} → ${to}`, start, end, { bytes: x.bytes }, 'transfer');
    };

    const host = (v: Value): Promise<RunValue> => {
      if (v.const) return Promise.resolve(v.const);
      let p = onHost.get(v);
      if (!p) {
        p = (async () => {
          await done.get(v);
          const [dev, copy] = [...copiesOf(v)][0] ?? [];
          if (!dev || !copy) throw new Error(`value '${v.name}' was never computed`);
          const start = clock();
          const d = this.device(dev);
          const t = d instanceof ReferenceDevice ? await d.downloadValue(await copy) : await d.download(await copy);
          if (t instanceof Tensor) transfer(v.name, dev, HOST, t, start);
          return t;
        })();
        onHost.set(v, p);
      }
      return p;
    };

    const on = (v: Value, dev: string): Promise<DeviceTensor> => {
      if (v.const) {
        let r = this.resident.get(dev);
        if (!r) this.resident.set(dev, (r = new Map()));
        let p = r.get(v);
        if (!p) { p = this.device(dev).upload(v.const); r.set(v, p); }
        return p;
      }
      const m = copiesOf(v);
      let p = m.get(dev);
      if (!p) {
        p = (async () => {
          const t = await host(v);
          const start = clock();
          const target = this.device(dev);
          if (!(t instanceof Tensor)) {
            if (!(target instanceof ReferenceDevice)) throw new Error(`'${v.name}' is not a tensor and cannot go to ${dev}: sequences and optionals stay on the host`);
            return target.uploadValue(t);
          }
          const d = await target.upload(t);
          transfer(v.name, HOST, dev, t, start);
          return d;
        })();
        m.set(dev, p);
        temps.push([dev, p]);
      }
      return p;
    };

    const alternative = (p: PlacedUnit, from: string, reason: string): string => {
      for (const d of this.fallbackOrder) {
        if (d === from || failed.has(d)) continue;
        if (this.canRun(d, p.unit.nodes) === true) return d;
      }
      throw new DeviceError(`unit '${p.id}' failed on ${from} (${reason}) and no other device can run it`, from);
    };

    const runUnit = async (p: PlacedUnit): Promise<void> => {
      await Promise.all(p.unit.inputs.map((v) => done.get(v)));
      let dev = moved.get(p.device) ?? p.device;
      for (;;) {
        try {
          const ins = await Promise.all(p.unit.inputs.map((v) => on(v, dev)));
          const compiled = await this.compiledOn(p, dev);
          const [start, outs, end] = await this.exclusive(dev, async () => {
            const s = clock();
            const d = this.device(dev);
            const o = await d.run(compiled, ins);
            // a GPU returns once the work is queued: the unit ends when the queue is done
            await d.finish?.();
            return [s, o, clock()] as const;
          });
          p.unit.outputs.forEach((v, i) => { const d = Promise.resolve(outs[i]!); copiesOf(v).set(dev, d); temps.push([dev, d]); });
          const predictedMs = p.predictedBusyMs ?? p.predictedEndMs - p.predictedStartMs;
          report.units.push({ unit: p.id, device: dev, startMs: start - t0, endMs: end - t0, predictedMs, ...(p.tasks ? { tasks: p.tasks } : {}) });
          trace?.span(dev, p.id, start, end, { nodes: p.unit.nodes.length, predictedMs, plannedOn: p.device });
          return;
        } catch (e) {
          if (!(e instanceof DeviceError)) throw e;
          failed.add(dev);
          const next = alternative(p, dev, e.message);
          moved.set(dev, next);
          report.fallbacks.push({ unit: p.id, from: dev, to: next, reason: e.message });
          trace?.instant(dev, `fallback: ${p.id} → ${next}`, { reason: e.message });
          dev = next;
        }
      }
    };

    // every unit starts at once and waits for its inputs: independent units overlap
    const finished = new Map<PlacedUnit, Promise<void>>();
    for (const p of this.placed) {
      const f = runUnit(p);
      finished.set(p, f);
      for (const v of p.unit.outputs) done.set(v, f);
    }
    try {
      await Promise.all(finished.values());
      const outputs = await Promise.all(this.graph.outputs.map((v) => host(v)));
      report.totalMs = clock() - t0;
      if (trace) {
        // `run` (the run's start) ties the plan's intervals to the run they predicted
        for (const p of this.placed) trace.predicted(p.device, p.id, t0 + p.predictedStartMs, t0 + p.predictedEndMs, { run: t0 });
        // the whole run on a track of its own, so a viewer can pick one run out of many
        const predictedMs = Math.max(0, ...this.placed.map((p) => p.predictedEndMs));
        trace.span('runs', 'run', t0, t0 + report.totalMs, { run: t0, predictedMs, measuredMs: report.totalMs }, 'session');
      }
      return { outputs, report };
    } finally {
      // wait for stragglers before freeing what they may still read
      await Promise.allSettled(finished.values());
      for (const [dev, p] of temps) p.then((t) => this.devices.get(dev)?.release(t), () => undefined);
    }
  }

  async release(): Promise<void> {
    for (const [dev, m] of this.resident) for (const p of m.values()) p.then((t) => this.devices.get(dev)?.release(t), () => undefined);
    this.resident.clear();
  }
}
