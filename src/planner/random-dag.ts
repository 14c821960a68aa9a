// Random placement problems for tests and the benchmark: layered-free DAGs (each edge goes from
// a lower to a higher index), heterogeneous devices with prices, links with latency and bandwidth.

import { mulberry32, randInt } from '../util/rng.js';
import type { Problem } from './problem.js';

export interface RandomDagOptions {
  tasks: number;
  devices: number;
  seed: number;
  /** Probability of an edge between i < j. */
  density?: number;
  /** Probability a task cannot run on a given device (at least one device always can). */
  restrict?: number;
  /** Scale of transfer times relative to compute (communication-to-computation ratio). */
  ccr?: number;
  objective?: 'latency' | 'cost';
}

export function randomProblem(o: RandomDagOptions): Problem {
  const r = mulberry32(o.seed);
  const devs = Array.from({ length: o.devices }, (_, i) => ({
    id: `d${i}`,
    pricePerHour: i === 0 ? 0 : Math.round(r() * 800) / 100,
    speed: 0.5 + r() * 1.5,
  }));
  const density = o.density ?? 0.3;
  const ccr = o.ccr ?? 0.5;
  const tasks = Array.from({ length: o.tasks }, (_, t) => {
    const work = randInt(r, 5, 30);
    const costMs: Record<string, number> = {};
    devs.forEach((d) => {
      if (o.restrict && r() < o.restrict) return;
      costMs[d.id] = Math.round((work / d.speed) * (0.7 + 0.6 * r()));
    });
    if (!Object.keys(costMs).length) costMs[devs[randInt(r, 0, devs.length - 1)]!.id] = work;
    return { id: `t${t}`, costMs };
  });
  const edges: NonNullable<Problem['edges']> = [];
  for (let j = 1; j < o.tasks; j++) {
    let hasPred = false;
    for (let i = 0; i < j; i++)
      if (r() < density) {
        edges.push({ from: `t${i}`, to: `t${j}`, bytes: randInt(r, 1, 20) * 100 });
        hasPred = true;
      }
    if (!hasPred && r() < 0.5)
      edges.push({ from: `t${randInt(r, 0, j - 1)}`, to: `t${j}`, bytes: randInt(r, 1, 20) * 100 });
  }
  const links: NonNullable<Problem['links']> = [];
  for (let a = 0; a < o.devices; a++)
    for (let b = a + 1; b < o.devices; b++) {
      // mean edge carries ~1000 bytes; bandwidth set so a mean transfer is ~ccr x a mean task (~17 ms)
      links.push({
        between: [devs[a]!.id, devs[b]!.id],
        latencyMs: randInt(r, 0, 5),
        bytesPerMs: Math.round(1000 / (17 * ccr * (0.5 + r()))),
      });
    }
  const problem: Problem = {
    devices: devs.map(({ id, pricePerHour }) => ({ id, pricePerHour })),
    links,
    tasks,
    edges,
    policy: { objective: o.objective ?? 'latency' },
  };
  return problem;
}
