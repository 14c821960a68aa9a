// The plan: what `switchyard plan --json` prints. The first five fields are the contract
// ({feasible, makespanMs, cost, assignments: [{task, device, startMs, endMs, reason}]});
// the rest are additions.

import { explain } from './explain.js';
import { commMs, type Instance } from './instance.js';
import { makespan, type Schedule, scheduleCost } from './schedule.js';
import { type Solution, type SolveOptions, solve } from './solve.js';

export interface Assignment {
  task: string;
  device: string;
  startMs: number;
  endMs: number;
  reason: string;
}
export interface Transfer {
  from: string;
  to: string;
  fromDevice: string;
  toDevice: string;
  bytes: number;
  startMs: number;
  endMs: number;
}
export interface PassRecord {
  name: string;
  notes: string[];
}

export interface Plan {
  feasible: boolean;
  makespanMs: number;
  cost: number;
  assignments: Assignment[];
  reason?: string;
  objective: 'latency' | 'cost';
  deadlineMs?: number;
  algorithm: string;
  optimal: boolean;
  /** Task order (by start time). */
  order: string[];
  transfers: Transfer[];
  devices: { id: string; busyMs: number; cost: number }[];
  passes: PassRecord[];
  /**
   * The first run's prediction (set by the runtime): makespanMs is the steady state, a run like
   * every later one; the first run also compiles, uploads and packs weights and uses each unit
   * for the first time. `units`: that extra per task, ms.
   */
  firstRun?: FirstRunPrediction;
  /**
   * The steady state as the runtime predicts it (set by the runtime): makespanMs plus what a run
   * costs outside its units' schedule (inputs in, outputs out, the executor's turns), learned.
   */
  steadyMs?: number;
}

export interface FirstRunPrediction {
  /** Predicted wall time of the first run, ms: the steady prediction plus `extraMs`. */
  ms: number;
  extraMs: number;
  compileMs: number;
  uploadMs: number;
  packMs: number;
  firstUseMs: number;
  units: Record<string, number>;
}

const round = (x: number, k = 6) => (Number.isFinite(x) ? Math.round(x * 10 ** k) / 10 ** k : x);

export function toPlan(inst: Instance, sol: Solution, passes: PassRecord[] = []): Plan {
  const s: Schedule | undefined = sol.schedule;
  const base = {
    objective: inst.objective,
    deadlineMs: inst.deadlineMs,
    algorithm: sol.algorithm,
    optimal: sol.optimal,
    passes: [...passes, { name: 'place', notes: [`algorithm: ${sol.algorithm}`, ...sol.notes] }],
  };
  if (!s) {
    return {
      feasible: false,
      makespanMs: 0,
      cost: 0,
      assignments: [],
      reason: sol.reason,
      order: [],
      transfers: [],
      devices: [],
      ...base,
    };
  }
  const reasons = explain(inst, s, sol.algorithm);
  const idx = inst.tasks.map((_, i) => i).sort((a, b) => s.start[a]! - s.start[b]! || s.end[a]! - s.end[b]! || a - b);
  const transfers: Transfer[] = [];
  for (const t of idx) {
    for (const p of inst.pred[t]!) {
      const a = s.device[p.t]!,
        b = s.device[t]!;
      if (a === b) continue;
      const ms = commMs(inst, p.bytes, a, b);
      transfers.push({
        from: inst.tasks[p.t]!,
        to: inst.tasks[t]!,
        fromDevice: inst.devices[a]!,
        toDevice: inst.devices[b]!,
        bytes: p.bytes,
        startMs: round(s.end[p.t]!),
        endMs: round(s.end[p.t]! + ms),
      });
    }
  }
  const devices = inst.devices.map((id, d) => {
    const ts = inst.tasks.map((_, t) => t).filter((t) => s.device[t] === d);
    const busy = ts.reduce((a, t) => a + inst.cost[t]![d]!, 0);
    return { id, busyMs: round(busy), cost: round((busy * inst.price[d]!) / 3.6e6, 9) };
  });
  return {
    feasible: sol.feasible,
    makespanMs: round(makespan(s)),
    cost: round(scheduleCost(inst, s), 9),
    assignments: idx.map((t) => ({
      task: inst.tasks[t]!,
      device: inst.devices[s.device[t]!]!,
      startMs: round(s.start[t]!),
      endMs: round(s.end[t]!),
      reason: reasons[t]!,
    })),
    ...(sol.reason ? { reason: sol.reason } : {}),
    order: idx.map((t) => inst.tasks[t]!),
    transfers,
    devices,
    ...base,
  };
}

export function planInstance(inst: Instance, o: SolveOptions = {}, passes: PassRecord[] = []): Plan {
  return toPlan(inst, solve(inst, o), passes);
}
