// Improvement on top of list scheduling: move one task at a time to another device, re-time the
// whole assignment, keep the move if the objective gets better; repeat until no move helps.
// Also the cost objective's greedy: from a schedule that meets the deadline, take the move that
// saves the most money while still meeting it.

import { allowed, type Instance, taskCost } from './instance.js';
import { upwardRank } from './ranks.js';
import { listSchedule, makespan, type Schedule, scheduleCost, violations } from './schedule.js';

/** Re-time a fixed assignment with HEFT's priorities and gap insertion. */
export function retime(inst: Instance, assign: number[], rank = upwardRank(inst)): Schedule | undefined {
  const r = listSchedule(inst, { priority: rank, assign, insertion: true });
  return r.ok ? r.schedule : undefined;
}

const hardOk = (inst: Instance, s: Schedule, withDeadline: boolean) =>
  violations(inst, s).every((v) => !withDeadline && v.startsWith('makespan'));

export function improveLatency(inst: Instance, s0: Schedule, maxRounds = 50): Schedule {
  const rank = upwardRank(inst);
  let best = s0;
  let bestMs = makespan(s0);
  for (let round = 0; round < maxRounds; round++) {
    let moved = false;
    for (let t = 0; t < inst.tasks.length; t++) {
      for (const d of allowed(inst, t)) {
        if (d === best.device[t]) continue;
        const a = best.device.slice();
        a[t] = d;
        const s = retime(inst, a, rank);
        if (s && makespan(s) < bestMs - 1e-9 && hardOk(inst, s, false)) {
          best = s;
          bestMs = makespan(s);
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return best;
}

/** Cheapest schedule found that meets the deadline, starting from one that does. */
export function reduceCost(inst: Instance, s0: Schedule): Schedule {
  const rank = upwardRank(inst);
  let cur = s0;
  for (;;) {
    let bestMove: { s: Schedule; saving: number } | undefined;
    for (let t = 0; t < inst.tasks.length; t++) {
      const here = taskCost(inst, t, cur.device[t]!);
      for (const d of allowed(inst, t)) {
        const saving = here - taskCost(inst, t, d);
        if (saving <= 1e-15) continue;
        const a = cur.device.slice();
        a[t] = d;
        const s = retime(inst, a, rank);
        if (!s || !hardOk(inst, s, true)) continue;
        const gain = scheduleCost(inst, cur) - scheduleCost(inst, s);
        if (gain > 1e-15 && (!bestMove || gain > bestMove.saving)) bestMove = { s, saving: gain };
      }
    }
    if (!bestMove) return cur;
    cur = bestMove.s;
  }
}

/** Every task on its cheapest device (ties: the faster one), re-timed. */
export function cheapestAssignment(inst: Instance): Schedule | undefined {
  const a = inst.tasks.map((_, t) =>
    allowed(inst, t).reduce((b, d) => {
      const cd = taskCost(inst, t, d),
        cb = taskCost(inst, t, b);
      return cd < cb - 1e-15 || (Math.abs(cd - cb) <= 1e-15 && inst.cost[t]![d]! < inst.cost[t]![b]!) ? d : b;
    }),
  );
  return retime(inst, a);
}

/**
 * From a schedule that misses the deadline (e.g. everything on the cheapest devices), take the
 * move that buys the most makespan per extra dollar until the deadline holds; undefined if stuck.
 */
export function repairToDeadline(
  inst: Instance,
  s0: Schedule,
  maxSteps = 4 * inst.tasks.length * inst.devices.length,
): Schedule | undefined {
  const rank = upwardRank(inst);
  const deadline = inst.deadlineMs ?? Infinity;
  let cur = s0;
  for (let step = 0; step < maxSteps; step++) {
    if (hardOk(inst, cur, true)) return cur;
    const ms0 = makespan(cur),
      c0 = scheduleCost(inst, cur);
    let best: { s: Schedule; score: number } | undefined;
    for (let t = 0; t < inst.tasks.length; t++) {
      for (const d of allowed(inst, t)) {
        if (d === cur.device[t]) continue;
        const a = cur.device.slice();
        a[t] = d;
        const s = retime(inst, a, rank);
        if (!s || !hardOk(inst, s, false)) continue;
        const gain = ms0 - Math.max(makespan(s), deadline);
        if (gain <= 1e-9) continue;
        const score = gain / Math.max(scheduleCost(inst, s) - c0, 1e-12);
        if (!best || score > best.score) best = { s, score };
      }
    }
    if (!best) return undefined;
    cur = best.s;
  }
  return hardOk(inst, cur, true) ? cur : undefined;
}
