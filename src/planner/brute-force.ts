// Brute force, written to check the exact search without sharing its ideas: every assignment
// of tasks to devices, and for each lane (device, or devices sharing a resource) every order of
// its tasks; a schedule is the
// earliest-start timing of that disjunctive graph (infeasible when device orders close a cycle).
// Only for tiny instances (m^n x product of factorials).

import { allowed, commMs, type Instance, taskCost } from './instance.js';
import { type Schedule, violations } from './schedule.js';

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const p of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...p]);
  });
  return out;
}

/** Earliest-start times given device orders; undefined when the orders contradict the edges. */
function timeIt(inst: Instance, assign: number[], orders: number[][]): Schedule | undefined {
  const n = inst.tasks.length;
  const prevOnDev = new Array<number>(n).fill(-1);
  for (const ord of orders) for (let i = 1; i < ord.length; i++) prevOnDev[ord[i]!] = ord[i - 1]!;
  const s: Schedule = { device: assign.slice(), start: new Array(n).fill(0), end: new Array(n).fill(0) };
  const state = new Array<number>(n).fill(0); // 0 new, 1 on stack, 2 done
  const visit = (t: number): boolean => {
    if (state[t] === 2) return true;
    if (state[t] === 1) return false;
    state[t] = 1;
    let st = 0;
    const deps = inst.pred[t]!.map((p) => ({ u: p.t, c: commMs(inst, p.bytes, assign[p.t]!, assign[t]!) }));
    if (prevOnDev[t]! >= 0) deps.push({ u: prevOnDev[t]!, c: 0 });
    for (const { u, c } of deps) {
      if (!visit(u)) return false;
      st = Math.max(st, s.end[u]! + c);
    }
    s.start[t] = st;
    s.end[t] = st + inst.cost[t]![assign[t]!]!;
    state[t] = 2;
    return true;
  };
  for (let t = 0; t < n; t++) if (!visit(t)) return undefined;
  return s;
}

export interface BruteResult {
  makespan: number;
  cost: number;
  schedule?: Schedule;
}

/** Optimum for the instance's objective: min makespan, or min cost within the deadline (ties: makespan). */
export function bruteForce(inst: Instance): BruteResult {
  const n = inst.tasks.length;
  const m = inst.devices.length;
  const choices = inst.tasks.map((_, t) => allowed(inst, t));
  const assign = new Array<number>(n).fill(0);
  let best: BruteResult = { makespan: Infinity, cost: Infinity };
  const byCost = inst.objective === 'cost';
  const rec = (t: number): void => {
    if (t === n) {
      // one order per lane (a device, or devices sharing a resource)
      const groups = Array.from({ length: m }, (_, l) =>
        assign.map((a, i) => (inst.lane[a] === l ? i : -1)).filter((i) => i >= 0),
      );
      const perms = groups.map((g) => permutations(g));
      const idx = new Array<number>(m).fill(0);
      for (;;) {
        const s = timeIt(
          inst,
          assign,
          perms.map((p, d) => p[idx[d]!]!),
        );
        if (s && Number.isFinite(s.end.reduce((a, b) => Math.max(a, b), 0))) {
          const v = violations(inst, s).filter((x) => byCost || !x.startsWith('makespan'));
          if (!v.length) {
            const ms = s.end.reduce((a, b) => Math.max(a, b), 0);
            const c = s.device.reduce((a, d, i) => a + taskCost(inst, i, d), 0);
            const wins = byCost
              ? c < best.cost - 1e-9 || (c <= best.cost + 1e-9 && ms < best.makespan - 1e-9)
              : ms < best.makespan - 1e-9;
            if (wins) best = { makespan: ms, cost: c, schedule: s };
          }
        }
        let d = 0;
        while (d < m && ++idx[d]! >= perms[d]!.length) idx[d++] = 0;
        if (d === m) break;
      }
      return;
    }
    for (const d of choices[t]!) {
      assign[t] = d;
      rec(t + 1);
    }
  };
  rec(0);
  return best;
}
