// Brute force over integer GPU counts (each up to what could serve every class it can serve on
// its own), checking each count vector with a feasibility LP; returns the cheapest. Small fleets only.

import { countsFeasible } from './ilp.js';
import type { FleetProblem } from './types.js';

export async function bruteForceFleet(
  p: FleetProblem,
): Promise<{ feasible: boolean; costPerHour: number; counts: number[] }> {
  const upper = p.gpuTypes.map((g) => {
    const need = p.classes.reduce(
      (a, c) => a + ((c.perGpuRatePerS[g.id] ?? 0) > 0 ? Math.ceil(c.ratePerS / c.perGpuRatePerS[g.id]!) : 0),
      0,
    );
    return Math.min(g.available ?? Infinity, need);
  });
  let best = { feasible: false, costPerHour: Infinity, counts: [] as number[] };
  const n = new Array<number>(p.gpuTypes.length).fill(0);
  const rec = async (j: number, cost: number): Promise<void> => {
    if (cost >= best.costPerHour - 1e-9) return;
    if (j === n.length) {
      if (await countsFeasible(p, n)) best = { feasible: true, costPerHour: cost, counts: n.slice() };
      return;
    }
    for (let k = 0; k <= upper[j]!; k++) {
      n[j] = k;
      await rec(j + 1, cost + k * p.gpuTypes[j]!.pricePerHour);
    }
    n[j] = 0;
  };
  await rec(0, 0);
  return best;
}
