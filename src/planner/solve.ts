// Choosing and running the placement algorithm: exact search when the instance is small,
// min-cut for a two-device chain, list scheduling (HEFT, PEFT) with local improvement otherwise;
// the cost objective then trades speed for price within the deadline.

import { exactSearch } from './exact.js';
import { criticalPath } from './explain.js';
import { heft } from './heft.js';
import { cheapestAssignment, improveLatency, reduceCost, repairToDeadline, retime } from './improve.js';
import type { Instance } from './instance.js';
import { isTwoDeviceChain, minCutSplit, priceWeight, timeWeight } from './mincut.js';
import { peft } from './peft.js';
import { type ListResult, makespan, type Schedule, scheduleCost, violations } from './schedule.js';

export type Algorithm = 'auto' | 'exact' | 'heft' | 'peft' | 'mincut' | 'list';
export const ALGORITHMS: Algorithm[] = ['auto', 'exact', 'heft', 'peft', 'mincut', 'list'];

export interface SolveOptions {
  algorithm?: Algorithm;
  /** Largest task count that 'auto' sends to exact search. */
  exactMaxTasks?: number;
  nodeLimit?: number;
}

export interface Solution {
  schedule?: Schedule;
  /** What produced the schedule ('heft', 'exact', 'list+improve', …). */
  algorithm: string;
  /** Proved optimal for the objective. */
  optimal: boolean;
  feasible: boolean;
  reason?: string;
  notes: string[];
}

type Cand = { s: Schedule; how: string };

const latencyOk = (inst: Instance, s: Schedule) => violations(inst, s).every((v) => v.startsWith('makespan'));
const allOk = (inst: Instance, s: Schedule) => violations(inst, s).length === 0;

/** Better of two schedules under the objective (feasible first). */
function pick(inst: Instance, a: Cand | undefined, b: Cand | undefined): Cand | undefined {
  if (!a) return b;
  if (!b) return a;
  const key = (c: Cand) => {
    const ok = inst.objective === 'cost' ? allOk(inst, c.s) : latencyOk(inst, c.s);
    return inst.objective === 'cost'
      ? [ok ? 0 : 1, ok ? scheduleCost(inst, c.s) : makespan(c.s), makespan(c.s)]
      : [ok ? 0 : 1, makespan(c.s), scheduleCost(inst, c.s)];
  };
  const ka = key(a),
    kb = key(b);
  for (let i = 0; i < ka.length; i++) if (Math.abs(ka[i]! - kb[i]!) > 1e-9) return ka[i]! < kb[i]! ? a : b;
  return a;
}

function fromList(r: ListResult, how: string, fails: string[], inst: Instance): Cand | undefined {
  if (r.ok) return { s: r.schedule, how };
  fails.push(`task '${inst.tasks[r.task]}': ${r.reason}`);
  return undefined;
}

function mincut(inst: Instance, notes: string[]): Cand | undefined {
  if (inst.devices.length !== 2) {
    notes.push('min-cut needs exactly two devices');
    return undefined;
  }
  const chain = isTwoDeviceChain(inst);
  if (inst.objective === 'latency') {
    const a = minCutSplit(inst, 0, 1, timeWeight(inst));
    const s = a && retime(inst, a);
    return s && { s, how: chain ? 'mincut (exact for a chain)' : 'mincut' };
  }
  // cost: minimise price + lambda x time; raise lambda until the deadline is met, then bisect
  let best: Cand | undefined;
  const tryL = (l: number) => {
    const a = minCutSplit(inst, 0, 1, priceWeight(inst, l), l);
    const s = a && retime(inst, a);
    if (s && allOk(inst, s)) best = pick(inst, best, { s, how: 'mincut (price + lambda x time)' });
    return !!s && allOk(inst, s);
  };
  if (tryL(0)) return best;
  let lo = 0,
    hi = 1e-6;
  while (!tryL(hi) && hi < 1e12) {
    lo = hi;
    hi *= 4;
  }
  for (let i = 0; i < 40 && best; i++) {
    const mid = (lo + hi) / 2;
    if (tryL(mid)) hi = mid;
    else lo = mid;
  }
  return best;
}

function listBest(inst: Instance, fails: string[], improve: boolean): Cand | undefined {
  let c = pick(inst, fromList(heft(inst), 'heft', fails, inst), fromList(peft(inst), 'peft', fails, inst));
  if (c && improve) {
    const s = improveLatency(inst, c.s);
    if (makespan(s) < makespan(c.s) - 1e-9) c = { s, how: `${c.how}+improve` };
  }
  return c;
}

/** For the cost objective: cheapest-everything if it fits, else trade down from the fast plan. */
function forCost(inst: Instance, c: Cand | undefined): Cand | undefined {
  const cheap = cheapestAssignment(inst);
  if (cheap && allOk(inst, cheap)) return { s: cheap, how: 'cheapest devices (meets deadline)' };
  // two starts: trade down from the fastest plan, and buy speed up from the cheapest one
  const down = c && allOk(inst, c.s) ? { s: reduceCost(inst, c.s), how: `${c.how}+cost-reduction` } : undefined;
  const fixed = cheap && repairToDeadline(inst, cheap);
  const up = fixed
    ? { s: reduceCost(inst, fixed), how: 'cheapest devices, sped up to the deadline+cost-reduction' }
    : undefined;
  return pick(inst, pick(inst, down, up), c);
}

export function solve(inst: Instance, o: SolveOptions = {}): Solution {
  const algo = o.algorithm ?? 'auto';
  const notes: string[] = [];
  const fails: string[] = [];
  const n = inst.tasks.length;
  const exactMax = o.exactMaxTasks ?? 12;
  let cand: Cand | undefined;
  let optimal = false;
  let proof = 'exhaustive search';

  switch (algo) {
    case 'heft':
      cand = fromList(heft(inst), 'heft', fails, inst);
      break;
    case 'peft':
      cand = fromList(peft(inst), 'peft', fails, inst);
      break;
    case 'mincut':
      cand = mincut(inst, notes);
      break;
    case 'list':
      cand = listBest(inst, fails, true);
      break;
    case 'exact':
    case 'auto': {
      cand = listBest(inst, fails, true);
      const cut = inst.devices.length === 2 ? mincut(inst, notes) : undefined;
      cand = pick(inst, cut, cand);
      if (inst.objective === 'cost') cand = pick(inst, forCost(inst, cand), cand);
      const chainExact = algo === 'auto' && inst.objective === 'latency' && isTwoDeviceChain(inst);
      if (chainExact && cut && cand && latencyOk(inst, cand.s) && makespan(cand.s) <= makespan(cut.s) + 1e-9) {
        optimal = true;
        proof = 'min-cut is optimal for a chain';
        break;
      }
      if (algo === 'exact' || n <= exactMax) {
        const ok = cand && (inst.objective === 'cost' ? allOk(inst, cand.s) : latencyOk(inst, cand.s));
        const r = exactSearch(inst, { incumbent: ok ? cand!.s : undefined, nodeLimit: o.nodeLimit ?? 1_000_000 });
        if (r.schedule && r.schedule !== cand?.s) cand = { s: r.schedule, how: 'exact (branch and bound)' };
        else if (cand && r.optimal) cand = { s: cand.s, how: `${cand.how}, proved optimal by branch and bound` };
        optimal = r.optimal;
        notes.push(
          `exact search: ${r.nodes} nodes, ${r.optimal ? 'optimality proved' : 'node limit reached, best found kept'}`,
        );
      } else notes.push(`exact search skipped: ${n} tasks > ${exactMax}`);
      break;
    }
    default:
      throw new Error(`unknown algorithm '${algo}'; use one of ${ALGORITHMS.join(', ')}`);
  }
  if (algo !== 'auto' && algo !== 'exact' && inst.objective === 'cost') cand = forCost(inst, cand);

  if (!cand) {
    return {
      algorithm: algo,
      optimal: false,
      feasible: false,
      reason: fails[0] ?? notes[0] ?? 'no schedule found',
      notes,
    };
  }
  const v = violations(inst, cand.s);
  let reason: string | undefined;
  if (v.length) {
    const miss = v.find((x) => x.startsWith('makespan'));
    const because = optimal ? ` (no plan can: ${proof})` : '';
    if (miss && inst.deadlineMs !== undefined) {
      const path = criticalPath(inst, cand.s)
        .map((t) => `'${inst.tasks[t]}'`)
        .join(' -> ');
      reason =
        `no plan meets deadline ${inst.deadlineMs} ms${because}: the best found takes ` +
        `${makespan(cand.s).toFixed(1)} ms (critical path ${path})`;
      const others = v.filter((x) => x !== miss);
      if (others.length) reason += `; also ${others.join('; ')}`;
    } else reason = v.join('; ') + because;
  }
  return { schedule: cand.s, algorithm: cand.how, optimal: optimal && !v.length, feasible: !v.length, reason, notes };
}
