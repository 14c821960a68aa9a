// Device discovery for the heterogeneous runtime: backends register a provider per device kind;
// `discoverDevices` asks each one what this machine (or page) has and attaches a profile:
// calibrated (cached, or measured now), reported by the device itself, or the default guess.

import type { Device, DeviceKind } from '../backends/device.js';
import { ReferenceDevice } from '../backends/reference/device.js';
import { WasmDevice } from '../backends/wasm/device.js';
import { calibrate, calibratorIds, getCalibrator, type ProgressFn } from '../cost/calibrate/calibrator.js';
import { JS_CPU, WASM, WEBGPU } from '../cost/catalog/local.js';
import type { DeviceProfile } from '../cost/profile.js';

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
}

export interface Provided {
  device: Device;
  /** A profile the device knows itself (a server describing its hardware). */
  profile?: DeviceProfile;
}

/** Returns the device, or a string saying why this machine has none of that kind. */
export type DeviceProvider = (spec: DeviceSpec) => Promise<Provided | string>;

const PROVIDERS = new Map<DeviceKind, DeviceProvider>();

export function registerDeviceProvider(kind: DeviceKind, provider: DeviceProvider): void {
  PROVIDERS.set(kind, provider);
}

registerDeviceProvider('reference', async (spec) => ({ device: new ReferenceDevice(spec.id ?? 'cpu') }));
registerDeviceProvider('wasm', async (spec) => ({ device: await WasmDevice.create({ threads: spec.threads, id: spec.id }) }));

export interface ProfileSource {
  get(id: string): DeviceProfile | undefined;
  put(id: string, p: DeviceProfile): void;
}

export interface DiscoverOptions {
  /** Which devices; default: every registered local kind (remote devices need a spec with a URL). */
  devices?: DeviceSpec[];
  /** 'cache' (default): use cached calibration, calibrate once when missing; 'never': defaults only. */
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
  return { ...structuredClone(base), id: d.id };
}

async function profileFor(d: Device, own: DeviceProfile | undefined, o: DiscoverOptions): Promise<DeviceProfile> {
  if (own) return { ...own, id: d.id };
  const cached = o.profiles?.get(d.id);
  if (cached) return { ...cached, id: d.id };
  const calId = calibratorIds().includes(d.id) ? d.id : calibratorIds().includes(d.kind) ? d.kind : undefined;
  // the reference interpreter is the slow last resort: its history, not a benchmark, says how slow
  if (o.calibration !== 'never' && calId && d.kind !== 'reference') {
    const { profile } = await calibrate(getCalibrator(calId), o.onProgress);
    const p = { ...profile, id: d.id };
    o.profiles?.put(d.id, p);
    return p;
  }
  return defaultProfile(d);
}

export async function discoverDevices(o: DiscoverOptions = {}): Promise<Discovery> {
  const specs: DeviceSpec[] = o.devices ?? [...PROVIDERS.keys()].filter((k) => k !== 'remote').map((kind) => ({ kind }));
  const entries: DeviceEntry[] = [];
  const notes: string[] = [];
  for (const spec of specs) {
    const provider = spec.instance ? async () => ({ device: spec.instance!, profile: spec.profile }) : PROVIDERS.get(spec.kind);
    if (!provider) { notes.push(`${spec.kind}: no backend of this kind is loaded`); continue; }
    let got: Provided | string;
    try { got = await provider(spec); } catch (e) { got = (e as Error).message; }
    if (typeof got === 'string') { notes.push(`${spec.id ?? spec.kind}: ${got}`); continue; }
    if (entries.some((e) => e.device.id === got.device.id)) throw new Error(`two devices are named '${got.device.id}'; give them distinct ids`);
    entries.push({ device: got.device, profile: await profileFor(got.device, got.profile, o) });
  }
  if (!entries.length) throw new Error(`no device is available: ${notes.join('; ')}`);
  return { entries, notes };
}

/** A short name list of the kinds that have providers, for messages. */
export function deviceKinds(): DeviceKind[] { return [...PROVIDERS.keys()]; }
