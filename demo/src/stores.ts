// Device profiles (calibration) and kernel history kept in localStorage, so a browser calibrates
// each device once and the cost model keeps learning across visits.

import type { HistoryData, HistoryStore } from '../../src/cost/history.js';
import type { DeviceProfile } from '../../src/cost/profile.js';
import type { ProfileSource } from '../../src/runtime/devices.js';

const PROFILES = 'switchyard.profiles.v1';
const HISTORY = 'switchyard.history.v1';

function read<T>(key: string): T | undefined {
  try { const s = localStorage.getItem(key); return s ? (JSON.parse(s) as T) : undefined; } catch { return undefined; }
}
function write(key: string, v: unknown): void {
  try { localStorage.setItem(key, JSON.stringify(v)); } catch { /* storage full or disabled: keep going in memory */ }
}

export const profileStore: ProfileSource = {
  get: (id) => read<Record<string, DeviceProfile>>(PROFILES)?.[id],
  put: (id, p) => write(PROFILES, { ...read<Record<string, DeviceProfile>>(PROFILES), [id]: p }),
};

export const historyStore: HistoryStore = {
  load: () => read<HistoryData>(HISTORY),
  save: (d) => write(HISTORY, d),
};

export function forgetMachine(): void {
  localStorage.removeItem(PROFILES);
  localStorage.removeItem(HISTORY);
}
