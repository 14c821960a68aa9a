// Checks on a fleet problem, with errors that name the class or GPU type at fault.

import type { FleetProblem } from './types.js';

export class FleetInputError extends Error {
  override name = 'FleetInputError';
}

const fail = (m: string): never => {
  throw new FleetInputError(m);
};
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function validateFleet(p: FleetProblem): void {
  if (!p || typeof p !== 'object') fail('fleet problem must be a JSON object');
  if (!Array.isArray(p.gpuTypes) || !p.gpuTypes.length) fail('gpuTypes is missing or empty');
  if (!Array.isArray(p.classes)) fail('classes is missing');
  const ids = new Set<string>();
  for (const g of p.gpuTypes) {
    if (!g || typeof g.id !== 'string' || !g.id) fail('every GPU type needs a string id');
    if (ids.has(g.id)) fail(`GPU type '${g.id}' is listed twice`);
    ids.add(g.id);
    if (!finite(g.pricePerHour) || g.pricePerHour < 0)
      fail(`GPU type '${g.id}': pricePerHour must be a number >= 0, got ${JSON.stringify(g.pricePerHour)}`);
    if (g.available !== undefined && (!Number.isInteger(g.available) || g.available < 0))
      fail(`GPU type '${g.id}': available must be an integer >= 0, got ${JSON.stringify(g.available)}`);
  }
  const cids = new Set<string>();
  for (const c of p.classes) {
    if (!c || typeof c.id !== 'string' || !c.id) fail('every class needs a string id');
    if (cids.has(c.id)) fail(`class '${c.id}' is listed twice`);
    cids.add(c.id);
    if (!finite(c.ratePerS) || c.ratePerS < 0)
      fail(`class '${c.id}': ratePerS must be a number >= 0, got ${JSON.stringify(c.ratePerS)}`);
    if (!c.perGpuRatePerS || typeof c.perGpuRatePerS !== 'object') fail(`class '${c.id}': perGpuRatePerS is missing`);
    for (const [g, r] of Object.entries(c.perGpuRatePerS)) {
      if (!ids.has(g)) fail(`class '${c.id}': unknown GPU type '${g}' in perGpuRatePerS`);
      if (!finite(r) || r < 0)
        fail(`class '${c.id}': perGpuRatePerS.${g} must be a number >= 0, got ${JSON.stringify(r)}`);
    }
  }
}

/** GPU types that can serve a class (a positive per-GPU rate). */
export const servers = (p: FleetProblem, c: FleetProblem['classes'][number]) =>
  p.gpuTypes.filter((g) => (c.perGpuRatePerS[g.id] ?? 0) > 0 && g.available !== 0);
