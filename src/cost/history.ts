// Measured kernel times per (op signature, device). They correct roofline estimates two ways:
// a signature seen on a device uses its own measured time; an unseen one is scaled by the
// device's typical measured/estimated ratio, so the model learns the machine it runs on.
// Storage is pluggable: in memory (browser) or a JSON file (Node, history-file.ts).
// Besides kernels it keeps, per device, whole units ('@unit:' keys: measured against their
// roofline, the points the device's curve is re-fit from, device-fit.ts) and how far first runs
// were from their prediction ('@first-run'). Keys starting with '@' are not kernel signatures.

import { type DeviceFit, fitDevice } from './device-fit.js';
import { fitFirstRunScales } from './first-run.js';

export interface HistoryEntry {
  /** Number of samples folded in. */
  n: number;
  /** Exponentially weighted mean of the measured time, ms. */
  ms: number;
  /** The roofline estimate for this kernel when last measured, ms. */
  estimateMs: number;
  /** Whole units and run overheads ('@' keys): the last samples; `ms` is their median. */
  recent?: number[];
  /** Whole units: the roofline bound of the unit ('compute', 'memory', 'overhead'). */
  bound?: string;
  /** First runs ('@first-run-parts'): the last samples [fixed predicted, weights' part predicted, measured] ms. */
  parts?: number[][];
}

/** Samples a '@' entry keeps: its median shrugs off a stalled run, and follows a lasting change in 3. */
const RECENT = 5;
const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface HistoryData {
  version: 1;
  devices: Record<string, Record<string, HistoryEntry>>;
}

export interface HistoryStore {
  load(): HistoryData | undefined;
  save(data: HistoryData): void;
}

export class MemoryStore implements HistoryStore {
  private data?: HistoryData;
  load() {
    return this.data && structuredClone(this.data);
  }
  save(d: HistoryData) {
    this.data = structuredClone(d);
  }
}

/** Short stable key of a unit's signatures (FNV-1a, hex), so long units make short keys. */
export function unitKey(signatures: string[]): string {
  let h = 0x811c9dc5;
  const s = signatures.join('|');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `@unit:${signatures.length}:${h.toString(16)}`;
}

const FIRST_RUN = '@first-run';
const FIRST_RUN_PARTS = '@first-run-parts';
const PROCESS_WARMUP = '@process-warmup';

export class KernelHistory {
  private data: HistoryData;
  private fits = new Map<string, DeviceFit | undefined>();

  /**
   * alpha: weight of a new sample in the running mean (recent runs matter more).
   * untried: how a device with no measurements is scaled. 'neutral' (default): by 1, its
   * calibrated figures as they are. 'pessimistic': by the other devices' measured ratio when
   * that is above 1 (calibration that proved optimistic for the devices that ran is assumed
   * optimistic for the one that did not; never the other way). The runtime's re-plans use it, so
   * a device's untried guess does not lure a plan away from one that was measured.
   */
  constructor(
    private readonly store: HistoryStore = new MemoryStore(),
    private readonly alpha = 0.3,
    private readonly untried: 'neutral' | 'pessimistic' = 'neutral',
  ) {
    const d = store.load();
    this.data = d && d.version === 1 ? d : { version: 1, devices: {} };
  }

  record(signature: string, device: string, measuredMs: number, estimateMs: number): void {
    if (!(measuredMs >= 0) || !Number.isFinite(measuredMs))
      throw new Error(`measured time for ${signature} on ${device} must be a finite number >= 0, got ${measuredMs}`);
    const dev = (this.data.devices[device] ??= {});
    if (signature.startsWith('@unit:'))
      for (const k of [...this.fits.keys()]) if (k.startsWith(`${device}\u0000`)) this.fits.delete(k);
    const e = dev[signature];
    if (signature.startsWith('@')) {
      // units and run overheads on a machine shared with other work: the median of the last runs
      const recent = [...(e?.recent ?? (e ? [e.ms] : [])), measuredMs].slice(-RECENT);
      dev[signature] = {
        n: (e?.n ?? 0) + 1,
        ms: medianOf(recent),
        estimateMs,
        recent,
        ...(e?.bound ? { bound: e.bound } : {}),
      };
      return;
    }
    // one sample moves the mean by at most alpha x 2 of itself: a stall (a GC pause, a GPU queue
    // shared with another process) is a blip, while a lasting change still gets there in a few runs
    const sample = e && e.ms > 0 ? Math.min(measuredMs, 3 * e.ms) : measuredMs;
    dev[signature] = e
      ? { n: e.n + 1, ms: e.ms + this.alpha * (sample - e.ms), estimateMs }
      : { n: 1, ms: measuredMs, estimateMs };
  }

  lookup(signature: string, device: string): HistoryEntry | undefined {
    return this.data.devices[device]?.[signature];
  }

  /** Geometric mean of measured/estimate over the device's signatures; for a device never measured, see `untried`. */
  deviceRatio(device: string): number {
    const own = this.measuredRatio(device);
    if (own !== undefined || this.untried === 'neutral') return own ?? 1;
    const others = Object.keys(this.data.devices)
      .filter((d) => d !== device)
      .map((d) => this.measuredRatio(d))
      .filter((r): r is number => r !== undefined);
    if (!others.length) return 1;
    return Math.max(1, Math.exp(others.reduce((a, r) => a + Math.log(r), 0) / others.length));
  }

  /** A whole unit's measured time (its fixed cost included) against its kernels' roofline estimate. */
  recordUnit(device: string, signatures: string[], measuredMs: number, rooflineMs: number, bound?: string): void {
    this.record(unitKey(signatures), device, measuredMs, rooflineMs);
    // the unit's roofline bound picks which of the device's curves it is a point of
    if (bound) {
      const e = this.data.devices[device]![unitKey(signatures)]!;
      e.bound = bound;
    }
  }

  lookupUnit(device: string, signatures: string[]): HistoryEntry | undefined {
    return this.lookup(unitKey(signatures), device);
  }

  /**
   * The device's curve re-fit from the units measured on it (least squares); per roofline bound
   * (compute- and memory-bound units reach different shares of their peaks) where that bound has
   * points enough, else over all its units; undefined below two sizes.
   */
  deviceFit(device: string, bound?: string): DeviceFit | undefined {
    const key = `${device}\u0000${bound ?? ''}`;
    if (!this.fits.has(key)) {
      const es = Object.entries(this.data.devices[device] ?? {})
        .filter(([k]) => k.startsWith('@unit:'))
        .map(([, e]) => e);
      const pts = (b?: string) =>
        es.filter((e) => !b || e.bound === b).map((e) => ({ rooflineMs: e.estimateMs, measuredMs: e.ms }));
      this.fits.set(key, (bound ? fitDevice(pts(bound)) : undefined) ?? fitDevice(pts()));
    }
    return this.fits.get(key);
  }

  /**
   * Time a run of the plan took beyond its units' schedule (inputs in, outputs out, the executor's
   * turns), per unit.
   */
  recordRunOverhead(host: string, perUnitMs: number): void {
    if (perUnitMs >= 0 && Number.isFinite(perUnitMs)) this.record('@run-overhead', host, perUnitMs, 0);
  }

  runOverheadPerUnit(host: string): number {
    return this.lookup('@run-overhead', host)?.ms ?? 0;
  }

  /**
   * A device's warm-up on its first run in a process, beyond the plan's own first-run extra (the
   * JIT compiling that backend's code, workers starting, a driver's first pipelines), ms.
   */
  recordProcessWarmup(device: string, ms: number): void {
    if (ms >= 0 && Number.isFinite(ms)) this.record(PROCESS_WARMUP, device, ms, 0);
  }

  /** The learned process warm-up of a device (median of the recent ones); undefined until one is measured. */
  processWarmupMs(device: string): number | undefined {
    return this.lookup(PROCESS_WARMUP, device)?.ms;
  }

  /** How a first run's extra time (compile, upload, first use) compared with its prediction. */
  recordFirstRun(device: string, measuredExtraMs: number, predictedExtraMs: number): void {
    if (!(measuredExtraMs > 0 && predictedExtraMs > 0)) return;
    // kept as the ratio, so workloads of any size weigh alike; the median of the last ones, so
    // one first run that met a burst of load elsewhere does not set it
    this.record(FIRST_RUN, device, measuredExtraMs / predictedExtraMs, 0);
  }

  /**
   * A first run's extra against the two parts of its prediction before scaling (fixed: compiles and
   * first uses; bytes: upload and packing), for the fit of firstRunScales.
   */
  recordFirstRunParts(device: string, fixedMs: number, bytesMs: number, measuredExtraMs: number): void {
    if (!(measuredExtraMs > 0 && fixedMs + bytesMs > 0)) return;
    const dev = (this.data.devices[device] ??= {});
    const e = (dev[FIRST_RUN_PARTS] ??= { n: 0, ms: 0, estimateMs: 0, parts: [] });
    e.parts = [...(e.parts ?? []), [fixedMs, bytesMs, measuredExtraMs]].slice(-8);
    e.n++;
  }

  /** Scales on the two parts of a first-run prediction: fit to the device's first runs, else firstRunRatio. */
  firstRunScales(device: string): { fixed: number; bytes: number } {
    const prior = this.firstRunRatio(device);
    const parts = this.data.devices[device]?.[FIRST_RUN_PARTS]?.parts;
    return parts?.length ? fitFirstRunScales(parts, prior) : { fixed: prior, bytes: prior };
  }

  /** Factor on predicted first-run extras: learned on the device; else as `untried` says for ratios. */
  firstRunRatio(device: string): number {
    const own = this.data.devices[device]?.[FIRST_RUN];
    // the profile's figures count as one sample (ratio 1): one first run does not set the ratio alone
    if (own && own.recent) return medianOf([1, ...own.recent]);
    if (this.untried === 'neutral') return 1;
    const others = Object.values(this.data.devices)
      .map((d) => d[FIRST_RUN])
      .filter((e): e is HistoryEntry => !!e?.recent);
    return others.length ? Math.max(1, Math.exp(others.reduce((a, e) => a + Math.log(e.ms), 0) / others.length)) : 1;
  }

  private measuredRatio(device: string): number | undefined {
    const es = Object.entries(this.data.devices[device] ?? {})
      .filter(([k]) => !k.startsWith('@'))
      .map(([, e]) => e)
      .filter((e) => e.estimateMs > 0 && e.ms > 0);
    if (!es.length) return undefined;
    return Math.exp(es.reduce((a, e) => a + Math.log(e.ms / e.estimateMs), 0) / es.length);
  }

  /** Corrected time: measured if seen, else the estimate scaled by the device ratio. */
  correct(
    signature: string,
    device: string,
    estimateMs: number,
  ): { ms: number; source: 'measured' | 'scaled' | 'roofline' } {
    const e = this.lookup(signature, device);
    if (e) return { ms: e.ms, source: 'measured' };
    const r = this.deviceRatio(device);
    return r === 1 ? { ms: estimateMs, source: 'roofline' } : { ms: estimateMs * r, source: 'scaled' };
  }

  flush(): void {
    this.store.save(this.data);
  }
  snapshot(): HistoryData {
    return structuredClone(this.data);
  }
}
