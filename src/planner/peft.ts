// PEFT (Arabnejad, Barbosa 2014): priorities and device choice from the optimistic cost table,
// so a device is picked for the finish time of the task plus what must still follow it there.

import type { Instance } from './instance.js';
import { allowed } from './instance.js';
import { optimisticCostTable } from './ranks.js';
import { type ListResult, listSchedule } from './schedule.js';

export function peft(inst: Instance): ListResult {
  const oct = optimisticCostTable(inst);
  const rank = inst.tasks.map((_, t) => {
    const ds = allowed(inst, t);
    return ds.reduce((a, d) => a + oct[t]![d]!, 0) / ds.length;
  });
  return listSchedule(inst, { priority: rank, insertion: true, score: (t, d, finish) => finish + oct[t]![d]! });
}
