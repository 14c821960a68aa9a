// The planner's problem of an agent graph besides its tasks: the bytes of each value between tasks
// (symbolic text lengths count as a few KiB), the links between every pair of devices (through the
// host where neither end is the host), the devices' prices and memory, and the policy.

import type { DeviceProfile } from '../cost/profile.js';
import { hostLink, type Link, viaHost } from '../cost/transfer.js';
import { typeBytes } from '../cost/work.js';
import type { Node } from '../ir/graph.js';
import type { Problem, ProblemTask } from '../planner/index.js';
import type { LoweredAgent } from './types.js';

export function problemOf(
  lowered: LoweredAgent,
  tasks: ProblemTask[],
  taskOf: Map<Node, string>,
  profiles: DeviceProfile[],
  host: string,
  policy: Problem['policy'],
): Problem {
  const edges: NonNullable<Problem['edges']> = [];
  for (const n of lowered.graph.nodes) {
    const to = taskOf.get(n)!;
    for (const v of n.inputs) {
      if (!v?.producer) continue;
      const from = taskOf.get(v.producer)!;
      if (from === to) continue;
      const sym = v.type?.shape?.some((d) => typeof d === 'string');
      edges.push({ from, to, bytes: sym ? 4096 : typeBytes(v.type) });
    }
  }
  const links: NonNullable<Problem['links']> = [];
  const toHost = new Map<string, Link>(
    profiles.map((p) => [p.id, p.id === host ? { latencyMs: 0, bytesPerMs: Infinity } : hostLink(p)]),
  );
  const ids = profiles.map((p) => p.id);
  for (let a = 0; a < ids.length; a++)
    for (let b = a + 1; b < ids.length; b++) {
      const pa = ids[a]!,
        pb = ids[b]!;
      const l =
        pa === host ? toHost.get(pb)! : pb === host ? toHost.get(pa)! : viaHost(toHost.get(pa)!, toHost.get(pb)!);
      links.push({
        between: [pa, pb],
        latencyMs: l.latencyMs,
        bytesPerMs: Number.isFinite(l.bytesPerMs) ? l.bytesPerMs : 1e15,
      });
    }
  return {
    devices: profiles.map((p) => ({ id: p.id, pricePerHour: p.pricePerHour.value, memoryBytes: p.memCapacity.value })),
    links,
    tasks,
    edges,
    policy,
  };
}
