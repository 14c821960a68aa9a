// The hardware catalog: look profiles up by id (case-insensitive, a few aliases).

import type { DeviceProfile } from '../profile.js';
import { CPUS } from './cpus.js';
import { GPUS } from './gpus.js';
import { LOCAL } from './local.js';

export { SRC } from './sources.js';
export { CPUS, GPUS, LOCAL };

const ALIASES: Record<string, string> = {
  a100: 'A100-80GB',
  'a100-80': 'A100-80GB',
  'a100-40': 'A100-40GB',
  'h100-sxm': 'H100',
  gaudi: 'Gaudi3',
  'gaudi-3': 'Gaudi3',
};

export function catalog(): DeviceProfile[] {
  return [...GPUS, ...CPUS, ...LOCAL];
}

export function findProfile(id: string): DeviceProfile | undefined {
  const key = (ALIASES[id.toLowerCase()] ?? id).toLowerCase();
  return catalog().find((p) => p.id.toLowerCase() === key);
}

export function getProfile(id: string): DeviceProfile {
  const p = findProfile(id);
  if (!p)
    throw new Error(
      `unknown device '${id}'; known: ${catalog()
        .map((q) => q.id)
        .join(', ')}`,
    );
  return p;
}
