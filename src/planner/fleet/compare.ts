// The comparison the seed paper and Splitwise make: the best mixed fleet (older and newer parts,
// prefill and decode free to land on different types) against the best homogeneous fleet of the
// newest generation; and the roofline cost ratios of H100 vs A100 per prompt and per generated token.

import { getProfile } from '../../cost/catalog/index.js';
import { SRC } from '../../cost/catalog/sources.js';
import { DEFAULT_FLEET_GPUS, type DerivedFleetInput, deriveFleet } from './derive.js';
import { solveFleet } from './ilp.js';
import type { FleetPlan } from './types.js';

export interface FleetScenario {
  name: string;
  gpus: string[];
  split: boolean;
  plan: FleetPlan;
}

export async function compareFleets(
  input: DerivedFleetInput,
  newest = ['H100', 'H200', 'B200'],
): Promise<FleetScenario[]> {
  const all = input.gpus ?? DEFAULT_FLEET_GPUS;
  const run = async (name: string, gpus: string[], split: boolean): Promise<FleetScenario> => {
    try {
      return { name, gpus, split, plan: await solveFleet(deriveFleet({ ...input, gpus, split }).problem) };
    } catch (e) {
      return {
        name,
        gpus,
        split,
        plan: { feasible: false, costPerHour: 0, counts: {}, split: [], reason: (e as Error).message },
      };
    }
  };
  const out = [await run('mixed, prefill/decode split', all, true), await run('mixed, no split', all, false)];
  for (const g of newest) out.push(await run(`homogeneous ${g}`, [g], true));
  const homos = await Promise.all(
    all.filter((g) => !newest.includes(g)).map((g) => run(`homogeneous ${g}`, [g], true)),
  );
  const cheapest = homos.filter((s) => s.plan.feasible).sort((a, b) => a.plan.costPerHour - b.plan.costPerHour)[0];
  if (cheapest) out.push({ ...cheapest, name: `${cheapest.name} (cheapest older homogeneous)` });
  return out;
}

export interface RatioRow {
  what: string;
  prompt: number;
  token: number;
  source: string;
}

/**
 * H100 vs A100 cost ratios from the roofline: prefill is compute-bound, so cost per prompt token
 * scales with price / FLOP/s; decode is bandwidth-bound, so cost per generated token with price / bandwidth.
 * prompt: H100 cost per prompt token relative to A100; token: how many times cheaper A100 is per generated token.
 */
export function rooflineRatios(newer = 'H100', older = 'A100-80GB'): RatioRow[] {
  const h = getProfile(newer),
    a = getProfile(older);
  const price = h.pricePerHour.value / a.pricePerHour.value;
  const flops = h.peakFlops.f16!.value / a.peakFlops.f16!.value;
  const flops32 = h.peakFlops.f32!.value / a.peakFlops.f32!.value;
  const bw = h.memBandwidth.value / a.memBandwidth.value;
  return [
    {
      what: `Splitwise table (3.43x compute, 1.64x bandwidth, 2.16x cost)`,
      prompt: 2.16 / 3.43,
      token: 2.16 / 1.64,
      source: SRC.splitwise,
    },
    {
      what:
        `catalog, dense FP16 tensor (${flops.toFixed(2)}x compute, ${bw.toFixed(2)}x bw, ` +
        `${price.toFixed(2)}x price)`,
      prompt: price / flops,
      token: price / bw,
      source: `${h.peakFlops.f16!.source}; ${a.peakFlops.f16!.source}; prices: ${h.pricePerHour.source}`,
    },
    {
      what: `catalog, FP32 non-tensor (${flops32.toFixed(2)}x compute, as Splitwise's 3.43x)`,
      prompt: price / flops32,
      token: price / bw,
      source: `${h.peakFlops.f32!.source}`,
    },
  ];
}
