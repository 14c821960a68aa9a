// Node-only: calibrated profiles and kernel history persisted under ~/.cache/switchyard
// (or $SWITCHYARD_CACHE), so each run plans with what earlier runs measured.

import { ProfileCache } from '../cost/calibrate/cache.js';
import type { HistoryStore } from '../cost/history.js';
import { JsonFileStore } from '../cost/history-file.js';
import type { ProfileSource } from './devices.js';

export function stores(): { profiles: ProfileSource; history: HistoryStore } {
  const cache = new ProfileCache();
  return {
    profiles: {
      get: (id, config) => cache.get(id, config),
      put: (id, p, config) => cache.put(id, p, config),
      getPair: (a, b) => cache.getPair(a, b),
      putPair: (a, b, m) => cache.putPair(a, b, m),
    },
    history: new JsonFileStore(),
  };
}
