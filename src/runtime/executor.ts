// The one interpreter of a placed plan. Each unit runs on its device as soon as its inputs exist,
// units on different devices run at the same time, values cross devices through the host
// (download, then upload: the plan's xfer.* boundaries), and a device failure moves the unit (and
// that device's later work) to the next device that can run it, reusing every result already
// computed and recomputing a value that was lost with the device. A single-device backend is a
// plan over that device and the host; what differs per device (weights kept resident and shared,
// outputs left on the device, feeds already on it, batched readback) is an option here, not a
// second loop.

import type { CompiledUnit, Device, DeviceTensor } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import { dtypeBytes, isDType } from '../ir/dtype.js';
import type { Graph, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import type { RunValue } from '../ir/values.js';
import type { PlacedUnit } from '../planner/units.js';
import type { ExecutorOptions, RunOptions } from './executor-options.js';
import { FailOver } from './fail-over.js';
import { type GatherContext, gatherOutputs, keepOutputs } from './run-outputs.js';
import { type Fallback, type Feed, isResident, ResidentWeights, type RunReport } from './run-report.js';

export type { PlacedUnit } from '../planner/units.js';
export type { Fallback, Feed, ResidentFeed, RunReport, TransferTiming, UnitTiming } from './run-report.js';
export { ResidentWeights } from './run-report.js';

const HOST = 'host';
const SPREAD_YIELD_MS = 1;

function bytesOf(t: { dims: readonly number[]; type: string }): number {
  return t.dims.reduce((a, b) => a * b, 1) * (isDType(t.type) ? dtypeBytes(t.type) : 4);
}

export class Executor {
  private compiled = new Map<string, Promise<CompiledUnit>>();
  private queues = new Map<string, Promise<unknown>>();
  private readonly resident: Map<string, ResidentWeights>;
  private readonly failOver: FailOver;
  /** Fallback switches so far (the last 100). */
  readonly fallbackLog: Fallback[];
  /** The last run's report (unit and transfer times, fallbacks). */
  lastReport?: RunReport;

  constructor(
    private readonly graph: Graph,
    readonly placed: PlacedUnit[],
    private readonly devices: Map<string, Device>,
    private readonly options: ExecutorOptions = {},
  ) {
    this.resident = options.resident ?? new Map();
    this.failOver = new FailOver(devices, options);
    this.fallbackLog = this.failOver.log;
  }

  private device(id: string): Device {
    const d = this.devices.get(id);
    if (!d) throw new Error(`device '${id}' is not available`);
    return d;
  }

  private weights(dev: string): ResidentWeights {
    let w = this.resident.get(dev);
    if (!w) this.resident.set(dev, (w = new ResidentWeights(this.device(dev))));
    return w;
  }

  /**
   * Compile every unit on its planned device, in parallel (pipelines compile concurrently).
   * 'throw' (default): a failure rejects; 'fallback': the unit is moved as a run failure would.
   */
  async compileAll(onError: 'throw' | 'fallback' = 'throw'): Promise<void> {
    if (onError === 'throw') {
      await Promise.all(this.placed.map((p) => this.compiledOn(p, p.device)));
      return;
    }
    // one at a time: after a failure the device is down for its retry window, and later units wait for the run
    for (const [i, p] of this.placed.entries()) {
      if (!this.failOver.usable(p.device, new Set())) continue;
      try {
        await this.compiledOn(p, p.device);
      } catch (e) {
        if (!this.recovers(e)) throw e;
        this.failOver.fail(p, i, p.device, 'compile', e, new Set());
      }
    }
  }

  private compiledOn(p: PlacedUnit, dev: string): Promise<CompiledUnit> {
    const key = `${p.id}@${dev}`;
    let c = this.compiled.get(key);
    if (!c) {
      c = this.device(dev).compile(p.unit);
      c.catch(() => this.compiled.delete(key));
      this.compiled.set(key, c);
    }
    return c;
  }

  /** Run fn when the device (and every device sharing its lane) has finished what was queued before. */
  private exclusive<T>(dev: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.options.lanes?.get(dev) ?? dev;
    const prev = this.queues.get(lane) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    this.queues.set(
      lane,
      p.catch(() => undefined),
    );
    return p;
  }

  async run(
    feeds: Feed[],
    opts?: RunOptions & { keepOn?: undefined },
  ): Promise<{ outputs: RunValue[]; report: RunReport }>;
  async run(
    feeds: Feed[],
    opts: RunOptions & { keepOn: string },
  ): Promise<{ outputs: DeviceTensor[]; report: RunReport }>;
  async run(
    feeds: Feed[],
    opts: RunOptions = {},
  ): Promise<{ outputs: (RunValue | DeviceTensor)[]; report: RunReport }> {
    const { trace, keepOn } = opts;
    const host = this.options.hostDevice;
    const clock = () => (trace ? trace.now() : performance.now());
    const t0 = clock();
    const report: RunReport = { totalMs: 0, units: [], transfers: [], fallbacks: [] };
    const yieldMs = this.options.yieldEveryMs ?? 'spread';
    const spread = new Set(this.placed.map((p) => p.device)).size > 1;
    const every =
      yieldMs === 'spread' ? (spread ? SPREAD_YIELD_MS : undefined) : yieldMs === 'never' ? undefined : yieldMs;
    for (const d of this.devices.values()) if ('yieldEveryMs' in d) d.yieldEveryMs = every;
    // host values: tensors, and sequences and optionals (which only the host's reference device holds)
    const onHost = new Map<Value, Promise<RunValue>>();
    const copies = new Map<Value, Map<string, Promise<DeviceTensor>>>();
    const done = new Map<Value, Promise<void>>();
    const producer = new Map<Value, PlacedUnit>();
    /** Where each value was computed (or fed): the copy a download reads, never a transfer still in flight. */
    const origin = new Map<Value, string>();
    const temps: [string, Promise<DeviceTensor>][] = [];
    const failed = new Set<string>();
    const moved = new Map<string, string>(); // failed device -> its replacement for this run
    const copiesOf = (v: Value) => {
      let m = copies.get(v);
      if (!m) copies.set(v, (m = new Map()));
      return m;
    };
    this.graph.inputs.forEach((v, i) => {
      const f = feeds[i];
      if (f === undefined) throw new Error(`${this.graph.name}: input '${v.name}' is missing`);
      if (!isResident(f)) onHost.set(v, Promise.resolve(f));
      else {
        copiesOf(v).set(f.device, Promise.resolve(f.tensor));
        origin.set(v, f.device);
      }
    });
    const borrowed = new Set(feeds.filter(isResident).map((f) => f.tensor));

    const transfer = (
      name: string,
      from: string,
      to: string,
      t: { dims: readonly number[]; type: string },
      start: number,
    ) => {
      if (from === host || to === host) return;
      const end = clock();
      const x = { value: name, from, to, bytes: bytesOf(t), startMs: start - t0, endMs: end - t0 };
      report.transfers.push(x);
      trace?.span('transfers', `${name}: ${from} → ${to}`, start, end, { bytes: x.bytes }, 'transfer');
    };

    const toHost = (v: Value): Promise<RunValue> => {
      if (v.const) return Promise.resolve(v.const);
      let p = onHost.get(v);
      if (!p) {
        p = (async () => {
          await done.get(v);
          const dev = origin.get(v);
          const copy = dev && copiesOf(v).get(dev);
          if (!dev || !copy) throw new Error(`value '${v.name}' was never computed`);
          const start = clock();
          try {
            const d = this.device(dev);
            const t = d instanceof ReferenceDevice ? await d.downloadValue(await copy) : await d.download(await copy);
            if (t instanceof Tensor) transfer(v.name, dev, HOST, t, start);
            return t;
          } catch (e) {
            // lost with its device: compute it again elsewhere
            const u = producer.get(v);
            if (!u || !this.recovers(e)) throw e;
            const next = this.failOver.fail(u, this.placed.indexOf(u), dev, 'download', e, failed, report, trace);
            moved.set(dev, next);
            for (const o of u.unit.outputs) {
              copiesOf(o).delete(dev);
              onHost.delete(o);
              origin.delete(o);
            }
            const again = runOn(u, next);
            for (const o of u.unit.outputs) done.set(o, again);
            await again;
            onHost.delete(v);
            return toHost(v);
          }
        })();
        onHost.set(v, p);
      }
      return p;
    };

    const on = (v: Value, dev: string): Promise<DeviceTensor> => {
      if (v.const) return this.weights(dev).get(v.const);
      const m = copiesOf(v);
      let p = m.get(dev);
      if (!p) {
        p = (async () => {
          const t = await toHost(v);
          const start = clock();
          const target = this.device(dev);
          if (!(t instanceof Tensor)) {
            if (!(target instanceof ReferenceDevice)) {
              throw new Error(
                `'${v.name}' is not a tensor and cannot go to ${dev}: sequences and optionals stay on the host`,
              );
            }
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

    const runOn = async (p: PlacedUnit, first: string): Promise<void> => {
      const step = this.placed.indexOf(p);
      let dev = first;
      for (;;) {
        let phase: Fallback['phase'] = 'compile';
        try {
          const compiled = await this.compiledOn(p, dev);
          phase = 'run';
          const ins = await Promise.all(p.unit.inputs.map((v) => on(v, dev)));
          const [start, outs, end] = await this.exclusive(dev, async () => {
            const s = clock();
            const d = this.device(dev);
            const o = await d.run(compiled, ins);
            // a GPU returns once the work is queued: the unit ends when the queue is done
            if (this.options.timeUnits !== false) await d.finish?.();
            return [s, o, clock()] as const;
          });
          p.unit.outputs.forEach((v, i) => {
            const d = Promise.resolve(outs[i]!);
            copiesOf(v).set(dev, d);
            origin.set(v, dev);
            temps.push([dev, d]);
          });
          const predictedMs = p.predictedBusyMs ?? p.predictedEndMs - p.predictedStartMs;
          report.units.push({
            unit: p.id,
            device: dev,
            startMs: start - t0,
            endMs: end - t0,
            predictedMs,
            ...(p.tasks ? { tasks: p.tasks } : {}),
          });
          trace?.span(dev, p.id, start, end, { nodes: p.unit.nodes.length, predictedMs, plannedOn: p.device });
          return;
        } catch (e) {
          if (!this.recovers(e)) throw e;
          const next = this.failOver.fail(p, step, dev, phase, e, failed, report, trace);
          moved.set(dev, next);
          dev = next;
        }
      }
    };

    /** The planned device, or while it is down (this run, or its retry window) the first one that can take the unit. */
    const pick = (p: PlacedUnit): string => {
      const dev = moved.get(p.device) ?? p.device;
      if (this.failOver.usable(dev, failed)) return dev;
      return (
        this.options.fallbackOrder?.find(
          (d) => d !== dev && this.failOver.usable(d, failed) && this.failOver.canRun(d, p.unit.nodes) === true,
        ) ?? dev
      );
    };

    // every unit starts at once and waits for its inputs: independent units overlap
    const finished: Promise<void>[] = [];
    for (const p of this.placed) {
      for (const v of p.unit.outputs) producer.set(v, p);
      const f = (async () => {
        await Promise.all(p.unit.inputs.map((v) => done.get(v)));
        await runOn(p, pick(p));
      })();
      finished.push(f);
      for (const v of p.unit.outputs) done.set(v, f);
    }
    const returned = new Set<Promise<DeviceTensor>>();
    try {
      await Promise.all(finished);
      const outputs = keepOn
        ? await keepOutputs(this.graph, this.device(keepOn), (v) => on(v, keepOn), borrowed, returned)
        : await gatherOutputs(this.gatherContext(), copies, origin, toHost);
      report.totalMs = clock() - t0;
      this.lastReport = report;
      if (trace) {
        // `run` (the run's start) ties the plan's intervals to the run they predicted
        for (const p of this.placed)
          trace.predicted(p.device, p.id, t0 + p.predictedStartMs, t0 + p.predictedEndMs, { run: t0 });
        const predictedMs = Math.max(0, ...this.placed.map((p) => p.predictedEndMs));
        trace.span(
          'runs',
          'run',
          t0,
          t0 + report.totalMs,
          { run: t0, predictedMs, measuredMs: report.totalMs },
          'session',
        );
      }
      return { outputs, report };
    } finally {
      // wait for stragglers before freeing what they may still read
      await Promise.allSettled(finished);
      for (const [dev, p] of temps) {
        if (returned.has(p)) continue;
        p.then(
          (t) => {
            if (!borrowed.has(t))
              try {
                this.devices.get(dev)?.release(t);
              } catch {
                /* device gone */
              }
          },
          () => undefined,
        );
      }
    }
  }

  /** A failure fail-over can recover from: it moves work, and there is somewhere to move it. */
  private recovers(e: unknown): boolean {
    return this.failOver.failsOver(e) && !!this.options.fallbackOrder?.length;
  }

  private gatherContext(): GatherContext {
    const { graph, devices } = this;
    return { graph, devices, hostDevice: this.options.hostDevice, recovers: (e) => this.recovers(e) };
  }

  /** Free what this executor keeps resident (weight stores it was not given). */
  async release(): Promise<void> {
    if (this.options.resident) return;
    for (const w of this.resident.values()) w.release();
    this.resident.clear();
  }
}
