// HEFT (Topcuoglu, Hariri, Wu 2002): tasks by decreasing upward rank, each on the device where
// it finishes earliest, filling idle gaps (insertion policy).

import type { Instance } from './instance.js';
import { upwardRank } from './ranks.js';
import { type ListResult, listSchedule } from './schedule.js';

export function heft(inst: Instance): ListResult {
  return listSchedule(inst, { priority: upwardRank(inst), insertion: true });
}
