// Random two-device chains (layers split between a device and a server) for the min-cut tests.

import type { Problem } from '../../src/planner/index.js';
import { mulberry32, randInt } from '../../src/util/rng.js';

export { bruteForce, buildInstance, isTwoDeviceChain, makespan } from '../../src/planner/index.js';

export function mulberryProblem(seed: number, n: number): Problem {
  const r = mulberry32(seed);
  const tasks = Array.from({ length: n }, (_, i) => ({
    id: `l${i}`,
    costMs: { dev: randInt(r, 2, 40), srv: randInt(r, 1, 12) } as Record<string, number>,
  }));
  if (r() < 0.5) tasks[0]!.costMs = { dev: tasks[0]!.costMs.dev! };
  return {
    devices: [{ id: 'dev' }, { id: 'srv', pricePerHour: 3 }],
    links: [{ between: ['dev', 'srv'], latencyMs: randInt(r, 1, 20), bytesPerMs: 1000 }],
    tasks,
    edges: tasks.slice(1).map((t, i) => ({ from: tasks[i]!.id, to: t.id, bytes: randInt(r, 0, 30) * 1000 })),
    policy: { objective: 'latency' },
  };
}
