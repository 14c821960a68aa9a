// Device discovery for the heterogeneous runtime: backends register a provider per device kind;
// `discoverDevices` asks each one what this machine (or page) has and attaches a profile:
// calibrated (cached, or measured now), reported by the device itself, or the default guess.

import type { Device, DeviceKind } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import { WasmDevice } from '../backends/wasm/device.js';
import type { PairMeasurement } from '../cost/calibrate/calibrator.js';
import {
  type Calibrator,
  calibrate,
  calibratorFor,
  getCalibrator,
  type ProgressFn,
} from '../cost/calibrate/calibrator.js';
import { JS_CPU, WASM, WEBGPU } from '../cost/catalog/local.js';
import { fig } from '../cost/figure.js';
import type { DeviceProfile } from '../cost/profile.js';
import { measurePair, Workload } from './contention.js';

export interface DeviceSpec {
  kind: DeviceKind;
  /** Device id (defaults per kind: 'cpu', 'wasm', 'webgpu', 'remote:<host>'). */
  id?: string;
  /** Remote devices: server URL and bearer token. */
  url?: string;
  token?: string;
  /** WASM: worker threads. WebGPU: adapter choice. */
  threads?: number;
  adapter?: string;
  /** Bring your own: a Device instance to use as is (custom accelerators, tests). */
  instance?: Device;
  /** With `instance`: its profile (default: the default profile of its kind). */
  profile?: DeviceProfile;
  [key: string]: unknown;
}

export interface DeviceEntry {
  device: Device;
  profile: DeviceProfile;
  /** The calibration configuration the profile was measured for ('threads=2'), if calibrated. */
  config?: string;
}

export interface Provided {
  device: Device;
  /** A profile the device knows itself (a server describing its hardware): used as is. */
  profile?: DeviceProfile;
  /** A better guess than the kind's default, for when the device is not calibrated (a software GPU adapter). */
  guess?: DeviceProfile;
}

/** Returns the device, or a string saying why this machine has none of that kind. */
export type DeviceProvider = (spec: DeviceSpec) => Promise<Provided | string>;

const PROVIDERS = new Map<DeviceKind, DeviceProvider>();

export function registerDeviceProvider(kind: DeviceKind, provider: DeviceProvider): void {
  PROVIDERS.set(kind, provider);
}

registerDeviceProvider('reference', async (spec) => ({ device: new ReferenceDevice(spec.id ?? 'cpu') }));
registerDeviceProvider('wasm', async (spec) => ({
  device: await WasmDevice.create({ threads: spec.threads, id: spec.id }),
}));

export interface ProfileSource {
  /** config: a profile cached for another configuration (threads, adapter) does not apply. */
  get(id: string, config?: string): DeviceProfile | undefined;
  put(id: string, p: DeviceProfile, config?: string): void;
  /** Measured contention of a device pair, keyed by each device's id and configuration. */
  getPair?(a: string, b: string): PairMeasurement | undefined;
  putPair?(a: string, b: string, m: PairMeasurement): void;
}

export interface DiscoverOptions {
  /** Which devices; default: every registered local kind (remote devices need a spec with a URL). */
  devices?: DeviceSpec[];
  /**
   * 'cache' (default): use cached calibration, calibrate once when missing, and measure once how
   * much local devices slow each other down; 'never': defaults only (devices that compute on the
   * same resource are then assumed to share it).
   */
  calibration?: 'cache' | 'never';
  profiles?: ProfileSource;
  onProgress?: ProgressFn;
}

export interface Discovery {
  entries: DeviceEntry[];
  /** Why a requested or default device is not available. */
  notes: string[];
}

const DEFAULTS: Partial<Record<DeviceKind, DeviceProfile>> = { reference: JS_CPU, wasm: WASM, webgpu: WEBGPU };

/** The profile id is the device id, so plans name devices the way traces and errors do. */
function defaultProfile(d: Device): DeviceProfile {
  const base = DEFAULTS[d.kind] ?? JS_CPU;
  return { ...structuredClone(base), id: d.id, ...(d.computesOn ? { computesOn: d.computesOn } : {}) };
}

async function profileFor(
  d: Device,
  own: DeviceProfile | undefined,
  o: DiscoverOptions,
  guess?: DeviceProfile,
): Promise<{ profile: DeviceProfile; config?: string }> {
  if (own) return { profile: { ...own, id: d.id } };
  const calId = calibratorFor(d.id) ?? calibratorFor(d.kind);
  // the reference interpreter is the slow last resort: its history, not a benchmark, says how slow
  const cal: Calibrator | undefined =
    calId && d.kind !== 'reference' ? getCalibrator(calId, { id: d.id, device: d }) : undefined;
  // profiles cached before first-run figures existed take the kind's defaults
  const withHost = (p: DeviceProfile) => ({
    ...p,
    id: d.id,
    ...(!p.computesOn && d.computesOn ? { computesOn: d.computesOn } : {}),
    ...(!p.firstRun && DEFAULTS[d.kind]?.firstRun ? { firstRun: structuredClone(DEFAULTS[d.kind]!.firstRun) } : {}),
  });
  const cached = o.profiles?.get(d.id, cal?.config);
  if (cached) return { profile: withHost(cached), config: cal?.config };
  if (o.calibration !== 'never' && cal) {
    const { profile } = await calibrate(cal, o.onProgress);
    const p = withHost(profile);
    o.profiles?.put(d.id, p, cal.config);
    return { profile: p, config: cal.config };
  }
  return { profile: guess ? withHost(guess) : defaultProfile(d) };
}

/**
 * Every pair of local devices the runtime opened itself, timed alone and at once (cached per
 * pair and configuration); the result goes into both profiles' `concurrency`.
 */
async function measureContention(entries: (DeviceEntry & { probe: boolean })[], o: DiscoverOptions): Promise<void> {
  const local = entries.filter((e) => e.probe && e.device.kind !== 'remote');
  const key = (e: DeviceEntry) => (e.config ? `${e.device.id} [${e.config}]` : e.device.id);
  const pairs: [DeviceEntry, DeviceEntry][] = [];
  for (let i = 0; i < local.length; i++) for (let j = i + 1; j < local.length; j++) pairs.push([local[i]!, local[j]!]);
  const todo = pairs.filter(([a, b]) => !o.profiles?.getPair?.(key(a), key(b)));
  const loads = new Map<DeviceEntry, Promise<Workload>>();
  const load = (e: DeviceEntry) => {
    let w = loads.get(e);
    if (!w) loads.set(e, (w = Workload.create(e.device, e.profile)));
    return w;
  };
  try {
    let done = 0;
    if (todo.length) o.onProgress?.(0, todo.length, 'contention between devices');
    for (const [a, b] of pairs) {
      let m = o.profiles?.getPair?.(key(a), key(b));
      if (!m) {
        m = await measurePair(await load(a), await load(b));
        o.profiles?.putPair?.(key(a), key(b), m);
        o.onProgress?.(++done, todo.length, `contention ${a.device.id} + ${b.device.id}`);
      }
      const src = 'measured: the same work on each alone and on both at once';
      const note =
        `alone ${m.aloneMs[0].toFixed(1)} ms (${a.device.id}) and ${m.aloneMs[1].toFixed(1)} ` +
        `ms (${b.device.id}); together ${m.togetherMs.toFixed(1)} ms`;
      (a.profile.concurrency ??= {})[b.device.id] = fig(m.speedup, src, { note });
      (b.profile.concurrency ??= {})[a.device.id] = fig(m.speedup, src, { note });
    }
  } finally {
    for (const w of loads.values())
      await w.then(
        (x) => x.dispose(),
        () => undefined,
      );
  }
}

export async function discoverDevices(o: DiscoverOptions = {}): Promise<Discovery> {
  const specs: DeviceSpec[] =
    o.devices ?? [...PROVIDERS.keys()].filter((k) => k !== 'remote').map((kind) => ({ kind }));
  const entries: (DeviceEntry & { probe: boolean })[] = [];
  const notes: string[] = [];
  for (const spec of specs) {
    const provider = spec.instance
      ? async () => ({ device: spec.instance!, profile: spec.profile })
      : PROVIDERS.get(spec.kind);
    if (!provider) {
      notes.push(`${spec.kind}: no backend of this kind is loaded`);
      continue;
    }
    let got: Provided | string;
    try {
      got = await provider(spec);
    } catch (e) {
      got = (e as Error).message;
    }
    if (typeof got === 'string') {
      notes.push(`${spec.id ?? spec.kind}: ${got}`);
      continue;
    }
    if (entries.some((e) => e.device.id === got.device.id))
      throw new Error(`two devices are named '${got.device.id}'; give them distinct ids`);
    const { profile, config } = await profileFor(got.device, got.profile, o, got.guess);
    // devices handed in (tests, custom accelerators) and self-described ones keep their profile as given
    entries.push({ device: got.device, profile, config, probe: !spec.instance && !got.profile });
  }
  if (!entries.length) throw new Error(`no device is available: ${notes.join('; ')}`);
  if (o.calibration !== 'never') await measureContention(entries, o);
  return { entries: entries.map(({ probe: _, ...e }) => e), notes };
}

/** A short name list of the kinds that have providers, for messages. */
export function deviceKinds(): DeviceKind[] {
  return [...PROVIDERS.keys()];
}
