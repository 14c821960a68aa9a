// Calibrated profiles cached per device and machine (Node: a JSON file beside the kernel history),
// and the measured concurrency of device pairs (how much two devices slow each other down).

import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { cacheDir, readJson, writeJson } from '../history-file.js';
import type { DeviceProfile } from '../profile.js';

interface ProfileEntry {
  machine: string;
  at: string;
  profile: DeviceProfile;
  config?: string;
}
interface CacheFile {
  version: 1;
  profiles: Record<string, ProfileEntry>;
  pairs?: Record<string, { machine: string; at: string; value: PairMeasurement }>;
}

import type { PairMeasurement } from './calibrator.js';

export type { PairMeasurement };

/** What must match for a cached profile to apply: same host, CPU model and Node version. */
export function machineKey(): string {
  return `${hostname()}|${cpus()[0]?.model ?? '?'}|node ${process.versions.node}`;
}

/** Cache key of a device with its configuration ('wasm' + 'threads=2'). */
export const configuredKey = (device: string, config?: string) => (config ? `${device} [${config}]` : device);

export class ProfileCache {
  constructor(readonly path = join(cacheDir(), 'profiles.json')) {}

  private read(): CacheFile {
    const f = readJson<CacheFile>(this.path);
    return f && f.version === 1 ? f : { version: 1, profiles: {} };
  }

  private write(f: CacheFile): void {
    writeJson(this.path, JSON.parse(JSON.stringify(f, (_k, v) => (v === Infinity ? 'Infinity' : v))));
  }

  /** config: when given, a profile cached for another configuration (thread count, adapter) does not apply. */
  get(device: string, config?: string): DeviceProfile | undefined {
    const e = this.read().profiles[device];
    if (!e || e.machine !== machineKey()) return undefined;
    if (config !== undefined && e.config !== config) return undefined;
    return restoreInfinity(e.profile);
  }

  put(device: string, profile: DeviceProfile, config?: string): void {
    const f = this.read();
    f.profiles[device] = {
      machine: machineKey(),
      at: new Date().toISOString(),
      profile,
      ...(config !== undefined ? { config } : {}),
    };
    this.write(f);
  }

  /** Keys: configuredKey of each device; the order does not matter. */
  getPair(a: string, b: string): PairMeasurement | undefined {
    const e = this.read().pairs?.[pairKey(a, b)];
    if (!e || e.machine !== machineKey()) return undefined;
    return a <= b ? e.value : { ...e.value, aloneMs: [e.value.aloneMs[1], e.value.aloneMs[0]] };
  }

  putPair(a: string, b: string, m: PairMeasurement): void {
    const f = this.read();
    const value = a <= b ? m : { ...m, aloneMs: [m.aloneMs[1], m.aloneMs[0]] as [number, number] };
    (f.pairs ??= {})[pairKey(a, b)] = { machine: machineKey(), at: new Date().toISOString(), value };
    this.write(f);
  }
}

const pairKey = (a: string, b: string) => (a <= b ? `${a} + ${b}` : `${b} + ${a}`);

/** JSON has no Infinity; the cache writes it as a string. */
function restoreInfinity<T>(x: T): T {
  return JSON.parse(JSON.stringify(x), (_k, v) => (v === 'Infinity' ? Infinity : v));
}
