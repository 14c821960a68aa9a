// Small rules about `auto`'s placement: the plan of a graph with nothing left to run, whether a new
// placement equals the running one (so its compiled units are kept), and where a failed unit goes.

import type { Plan } from '../planner/index.js';
import type { PlacedUnit } from '../planner/units.js';
import type { DeviceEntry } from './devices.js';

/** Everything folded into constants (or outputs are inputs): nothing to place. */
export function emptyPlan(objective: Plan['objective']): Plan {
  return {
    feasible: true,
    makespanMs: 0,
    cost: 0,
    assignments: [],
    objective,
    algorithm: 'none',
    optimal: true,
    order: [],
    transfers: [],
    devices: [],
    passes: [{ name: 'units', notes: ['the graph has no nodes left to run'] }],
  };
}

/** The same units on the same devices: the running executor's compiled units and weights still fit. */
export function samePlacement(running: readonly PlacedUnit[], next: readonly PlacedUnit[]): boolean {
  return (
    running.length === next.length &&
    running.every(
      (u, i) =>
        u.id === next[i]!.id && u.device === next[i]!.device && u.unit.nodes.length === next[i]!.unit.nodes.length,
    )
  );
}

/** Fallback order: the fastest devices first, the host's reference interpreter last. */
export function fallbackOrder(live: readonly DeviceEntry[], host: string): string[] {
  const order = [...live]
    .sort((a, b) => (b.profile.peakFlops.f32?.value ?? 0) - (a.profile.peakFlops.f32?.value ?? 0))
    .map((e) => e.device.id);
  return [...order.filter((d) => d !== host), host];
}
