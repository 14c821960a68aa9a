// Fleet ILP solved with HiGHS: y[c][g] = GPUs' worth of type g serving class c (continuous),
// n[g] = GPUs of type g (integer, <= available).
//   minimise   Σ_g price_g n_g
//   subject to Σ_g rate_{c,g} y_{c,g} = rate_c   (each class fully served, split allowed)
//              Σ_c y_{c,g} <= n_g                 (no type loaded past its count)

import type { Highs } from 'highs';
import * as highsModule from 'highs';
import type { FleetPlan, FleetProblem } from './types.js';
import { servers, validateFleet } from './validate.js';

// highs ships one .d.ts for its CJS and ESM builds; under NodeNext the typed default import is
// the CJS namespace, while at run time the ESM default is the loader. Take whichever is callable.
const loadHighs = ((highsModule as unknown as { default?: unknown }).default ?? highsModule) as () => Promise<Highs>;
let highs: Promise<Highs> | undefined;
const solver = () => (highs ??= loadHighs());

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(15).replace(/\.?0+(e|$)/, '$1'));

/** The model in CPLEX LP format; fixed counts turn it into a feasibility LP (used by the brute force). */
export function fleetLp(p: FleetProblem, o: { integer?: boolean; fixedCounts?: number[] } = {}): string {
  const L: string[] = [
    'Minimize',
    ` obj: ${p.gpuTypes.map((g, j) => `${num(g.pricePerHour)} n${j}`).join(' + ') || '0 n0'}`,
    'Subject To',
  ];
  p.classes.forEach((c, i) => {
    const terms = p.gpuTypes
      .map((g, j) => ((c.perGpuRatePerS[g.id] ?? 0) > 0 ? `${num(c.perGpuRatePerS[g.id]!)} y${i}_${j}` : ''))
      .filter(Boolean);
    if (terms.length) L.push(` r${i}: ${terms.join(' + ')} = ${num(c.ratePerS)}`);
  });
  p.gpuTypes.forEach((g, j) => {
    const ys = p.classes.map((c, i) => ((c.perGpuRatePerS[g.id] ?? 0) > 0 ? `y${i}_${j}` : '')).filter(Boolean);
    if (ys.length) L.push(` cap${j}: ${ys.join(' + ')} - n${j} <= 0`);
  });
  L.push('Bounds');
  p.gpuTypes.forEach((g, j) => {
    const fixed = o.fixedCounts?.[j];
    if (fixed !== undefined) L.push(` n${j} = ${fixed}`);
    else L.push(g.available !== undefined ? ` 0 <= n${j} <= ${g.available}` : ` n${j} >= 0`);
  });
  if (o.integer !== false && !o.fixedCounts) L.push('Generals', ` ${p.gpuTypes.map((_, j) => `n${j}`).join(' ')}`);
  L.push('End');
  return L.join('\n');
}

export async function solveFleet(p: FleetProblem): Promise<FleetPlan> {
  validateFleet(p);
  const empty = { costPerHour: 0, counts: {}, split: [], solver: 'highs' };
  for (const c of p.classes) {
    if (c.ratePerS > 0 && !servers(p, c).length)
      return {
        feasible: false,
        ...empty,
        reason:
          `class '${c.id}': no GPU type can serve it` +
          (Object.keys(c.perGpuRatePerS).length
            ? ' (the types listed have none available)'
            : ' (perGpuRatePerS is empty)'),
      };
  }
  const h = await solver();
  const r = h.solve(fleetLp(p), { output_flag: false, mip_rel_gap: 0 });
  if (r.Status !== 'Optimal') {
    // name the class that cannot be served even with every available GPU to itself
    const alone = p.classes.find((c) => {
      const cap = servers(p, c).reduce((a, g) => a + (g.available ?? Infinity) * c.perGpuRatePerS[g.id]!, 0);
      return cap < c.ratePerS - 1e-9;
    });
    const reason =
      r.Status === 'Infeasible'
        ? alone
          ? `class '${alone.id}': needs ${alone.ratePerS} req/s, all available GPUs together serve at ` +
            `most ${servers(p, alone).reduce((a, g) => a + (g.available ?? 0) * alone.perGpuRatePerS[g.id]!, 0)} req/s`
          : 'the classes together need more GPUs than are available'
        : `solver ended with status ${r.Status}`;
    return { feasible: false, ...empty, reason };
  }
  const cols = r.Columns as Record<string, { Primal: number }>;
  const counts: Record<string, number> = {};
  const utilization: Record<string, number> = {};
  let cost = 0;
  p.gpuTypes.forEach((g, j) => {
    const n = Math.round(cols[`n${j}`]?.Primal ?? 0);
    if (n > 0) {
      counts[g.id] = n;
      cost += n * g.pricePerHour;
    }
  });
  const split: FleetPlan['split'] = [];
  p.classes.forEach((c, i) =>
    p.gpuTypes.forEach((g, j) => {
      const y = cols[`y${i}_${j}`]?.Primal ?? 0;
      if (y > 1e-9) {
        split.push({ class: c.id, gpu: g.id, ratePerS: Math.round(y * c.perGpuRatePerS[g.id]! * 1e6) / 1e6 });
        utilization[g.id] = (utilization[g.id] ?? 0) + y;
      }
    }),
  );
  for (const g of Object.keys(utilization))
    utilization[g] = counts[g] ? Math.round((utilization[g]! / counts[g]!) * 1e4) / 1e4 : 0;
  return { feasible: true, costPerHour: Math.round(cost * 1e6) / 1e6, counts, split, utilization, solver: 'highs' };
}

/** Is there a split for these fixed counts? (an LP; the brute force's oracle) */
export async function countsFeasible(p: FleetProblem, counts: number[]): Promise<boolean> {
  const r = (await solver()).solve(fleetLp(p, { fixedCounts: counts }), { output_flag: false });
  return r.Status === 'Optimal';
}
