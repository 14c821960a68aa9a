// Calibrated profiles cached per device and machine (Node: a JSON file beside the kernel history).

import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { cacheDir, readJson, writeJson } from '../history-file.js';
import type { DeviceProfile } from '../profile.js';

interface CacheFile { version: 1; profiles: Record<string, { machine: string; at: string; profile: DeviceProfile }> }

/** What must match for a cached profile to apply: same host, CPU model and Node version. */
export function machineKey(): string {
  return `${hostname()}|${cpus()[0]?.model ?? '?'}|node ${process.versions.node}`;
}

export class ProfileCache {
  constructor(readonly path = join(cacheDir(), 'profiles.json')) {}

  private read(): CacheFile {
    const f = readJson<CacheFile>(this.path);
    return f && f.version === 1 ? f : { version: 1, profiles: {} };
  }

  get(device: string): DeviceProfile | undefined {
    const e = this.read().profiles[device];
    return e && e.machine === machineKey() ? restoreInfinity(e.profile) : undefined;
  }

  put(device: string, profile: DeviceProfile): void {
    const f = this.read();
    f.profiles[device] = { machine: machineKey(), at: new Date().toISOString(), profile };
    writeJson(this.path, JSON.parse(JSON.stringify(f, (_k, v) => (v === Infinity ? 'Infinity' : v))));
  }
}

/** JSON has no Infinity; the cache writes it as a string. */
function restoreInfinity<T>(x: T): T {
  return JSON.parse(JSON.stringify(x), (_k, v) => (v === 'Infinity' ? Infinity : v));
}
