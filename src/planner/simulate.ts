// Simulator: replay a plan's placement and per-device order on the instance's costs, optionally
// with noisy task and transfer durations (log-normal, seeded), to predict the distribution of
// end-to-end latency. With no noise the replay reproduces the plan's times exactly.

import { mulberry32, normal } from '../util/rng.js';
import { commMs, type Instance } from './instance.js';
import type { Schedule } from './schedule.js';

export interface SimOptions {
  runs?: number;
  /** Sigma of the log-normal multiplier on every duration (0.1 ~ +-10 %). */
  noise?: number;
  seed?: number;
}

export interface SimResult {
  runs: number;
  makespanMs: { mean: number; p50: number; p90: number; p99: number; min: number; max: number };
  /** Fraction of runs that missed the deadline (when one is set). */
  deadlineMissRate?: number;
  samples: number[];
}

/** One replay: tasks start when their inputs have arrived and their device is free, in plan order. */
export function replay(
  inst: Instance,
  plan: Schedule,
  factor: (kind: 'task' | 'xfer', t: number) => number = () => 1,
): Schedule {
  const n = inst.tasks.length;
  const order = inst.tasks
    .map((_, i) => i)
    .sort((a, b) => plan.start[a]! - plan.start[b]! || plan.end[a]! - plan.end[b]! || a - b);
  const s: Schedule = { device: plan.device.slice(), start: new Array(n).fill(0), end: new Array(n).fill(0) };
  const free = new Array<number>(inst.devices.length).fill(0);
  const done = new Array<boolean>(n).fill(false);
  // plan order is a valid topological order per device; process in it, honouring data arrival
  for (const t of order) {
    const d = s.device[t]!;
    let ready = free[inst.lane[d]!]!;
    for (const p of inst.pred[t]!) {
      if (!done[p.t]) throw new Error(`plan order runs '${inst.tasks[t]}' before its input '${inst.tasks[p.t]}'`);
      ready = Math.max(ready, s.end[p.t]! + commMs(inst, p.bytes, s.device[p.t]!, d) * factor('xfer', t));
    }
    s.start[t] = ready;
    s.end[t] = ready + inst.cost[t]![d]! * factor('task', t);
    free[inst.lane[d]!] = s.end[t]!;
    done[t] = true;
  }
  return s;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

export function simulate(inst: Instance, plan: Schedule, o: SimOptions = {}): SimResult {
  const runs = o.runs ?? 1000;
  const sigma = o.noise ?? 0;
  const rng = mulberry32(o.seed ?? 1);
  // mean-preserving log-normal: exp(sigma z - sigma^2/2)
  const factor = () => (sigma > 0 ? Math.exp(sigma * normal(rng) - (sigma * sigma) / 2) : 1);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(Math.max(...replay(inst, plan, factor).end));
  const sorted = samples.slice().sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / runs;
  const res: SimResult = {
    runs,
    samples,
    makespanMs: {
      mean,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      min: sorted[0]!,
      max: sorted[runs - 1]!,
    },
  };
  if (inst.deadlineMs !== undefined)
    res.deadlineMissRate = samples.filter((x) => x > inst.deadlineMs! + 1e-9).length / runs;
  return res;
}
