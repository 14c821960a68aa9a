// Device profiles (calibration), measured contention between device pairs and kernel history kept
// in localStorage, so a browser calibrates each device once and the cost model keeps learning
// across visits.

import type { PairMeasurement } from '../../src/cost/calibrate/calibrator.js';
import type { HistoryData, HistoryStore } from '../../src/cost/history.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import type { ProfileSource } from '../../src/runtime/devices.js';

// v2: each profile with the configuration it was measured for (threads, adapter)
const PROFILES = 'switchyard.profiles.v2';
const PAIRS = 'switchyard.pairs.v1';
const HISTORY = 'switchyard.history.v1';

type Entry = { profile: DeviceProfile; config?: string };
const pairKey = (a: string, b: string) => (a <= b ? `${a} + ${b}` : `${b} + ${a}`);

function read<T>(key: string): T | undefined {
  try {
    const s = localStorage.getItem(key);
    return s ? (JSON.parse(s) as T) : undefined;
  } catch {
    return undefined;
  }
}
function write(key: string, v: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(v));
  } catch {
    /* storage full or disabled: keep going in memory */
  }
}

export const profileStore: ProfileSource = {
  get: (id, config) => {
    const e = read<Record<string, Entry>>(PROFILES)?.[id];
    return e && (config === undefined || e.config === config) ? e.profile : undefined;
  },
  put: (id, profile, config) =>
    write(PROFILES, { ...read<Record<string, Entry>>(PROFILES), [id]: { profile, config } }),
  getPair: (a, b) => {
    const m = read<Record<string, PairMeasurement>>(PAIRS)?.[pairKey(a, b)];
    return !m || a <= b ? m : { ...m, aloneMs: [m.aloneMs[1], m.aloneMs[0]] };
  },
  putPair: (a, b, m) =>
    write(PAIRS, {
      ...read<Record<string, PairMeasurement>>(PAIRS),
      [pairKey(a, b)]: a <= b ? m : { ...m, aloneMs: [m.aloneMs[1], m.aloneMs[0]] },
    }),
};

export const historyStore: HistoryStore = {
  load: () => read<HistoryData>(HISTORY),
  save: (d) => write(HISTORY, d),
};

export function forgetMachine(): void {
  localStorage.removeItem(PROFILES);
  localStorage.removeItem(PAIRS);
  localStorage.removeItem(HISTORY);
}
