// Exact search: depth-first branch and bound over (next ready task, device) decisions, each
// task appended at its earliest start on its device's lane. Every schedule is matched or beaten by one
// of these (list its tasks by start time and append them in that order), so exhausting the tree
// proves optimality. Bounds: the critical path from each unscheduled task with its fastest
// device and no transfers, total remaining work spread over the devices, the cheapest remaining
// cost; equal states reached by different orders are explored once.

import { allowed, commMs, type Instance, laneCount, taskCost } from './instance.js';
import { minBottomLevel, upwardRank } from './ranks.js';
import { makespan, type Schedule, scheduleCost } from './schedule.js';

export interface ExactOptions {
  /** A known feasible schedule to start from (from the heuristics). */
  incumbent?: Schedule;
  /** Search nodes before giving up on a proof (the best found so far is still returned). */
  nodeLimit?: number;
}

export interface ExactResult {
  schedule?: Schedule;
  optimal: boolean;
  nodes: number;
}

const EPS = 1e-9;

export function exactSearch(inst: Instance, o: ExactOptions = {}): ExactResult {
  const n = inst.tasks.length;
  const m = inst.devices.length;
  const byCost = inst.objective === 'cost';
  const deadline = byCost ? (inst.deadlineMs ?? Infinity) : Infinity;
  const limit = o.nodeLimit ?? 2_000_000;
  const minCost = inst.cost.map((r) => Math.min(...r));
  const minPay = inst.tasks.map((_, t) => Math.min(...allowed(inst, t).map((d) => taskCost(inst, t, d))));
  const bl = minBottomLevel(inst);
  const rank = upwardRank(inst);
  const capped = inst.cap.some(Number.isFinite);
  const lane = inst.lane;
  const lanes = laneCount(inst);

  let best = o.incumbent;
  let bestMs = best ? makespan(best) : Infinity;
  let bestPay = best ? scheduleCost(inst, best) : Infinity;

  const dev = new Array<number>(n).fill(-1);
  const start = new Array<number>(n).fill(0);
  const end = new Array<number>(n).fill(0);
  /** End of the last task on each lane (indexed by lane id; unused ids stay 0). */
  const avail = new Array<number>(m).fill(0);
  const memUsed = new Array<number>(m).fill(0);
  const waiting = inst.pred.map((p) => p.length);
  const unsched = new Array<number>(n).fill(0).map((_, i) => inst.succ[i]!.length);
  const est = new Array<number>(n).fill(0);
  let paid = 0;
  let done = 0;
  let nodes = 0;
  let aborted = false;
  const seen = new Set<string>();

  const better = (ms: number, pay: number) =>
    byCost
      ? ms <= deadline + EPS && (pay < bestPay - EPS || (pay <= bestPay + EPS && ms < bestMs - EPS))
      : ms < bestMs - EPS || (ms <= bestMs + EPS && pay < bestPay - EPS);

  function lowerBound(): number {
    let lb = Math.max(...avail);
    let work = 0;
    for (const t of inst.topo) {
      if (dev[t]! >= 0) continue;
      let e = Infinity;
      for (const d of allowed(inst, t)) e = Math.min(e, avail[lane[d]!]!);
      for (const p of inst.pred[t]!) {
        if (dev[p.t]! >= 0) {
          let c = Infinity;
          for (const d of allowed(inst, t)) c = Math.min(c, commMs(inst, p.bytes, dev[p.t]!, d));
          e = Math.max(e, end[p.t]! + c);
        } else e = Math.max(e, est[p.t]! + minCost[p.t]!);
      }
      est[t] = e;
      lb = Math.max(lb, e + bl[t]!);
      work += minCost[t]!;
    }
    return Math.max(lb, (avail.reduce((a, b) => a + b, 0) + work) / lanes);
  }

  function stateKey(): string {
    const parts: (number | string)[] = [];
    for (let t = 0; t < n; t++) parts.push(dev[t]! < 0 ? '-' : unsched[t]! > 0 ? `${dev[t]}@${end[t]}` : '+');
    parts.push('|', ...avail);
    if (byCost) parts.push('|', paid);
    if (capped) parts.push('|', ...memUsed);
    return parts.join(',');
  }

  function dfs(): void {
    if (aborted) return;
    if (++nodes > limit) {
      aborted = true;
      return;
    }
    if (done === n) {
      const ms = Math.max(...avail);
      if (better(ms, paid)) {
        best = { device: dev.slice(), start: start.slice(), end: end.slice() };
        bestMs = ms;
        bestPay = paid;
      }
      return;
    }
    const lb = lowerBound();
    let payLb = paid;
    for (let t = 0; t < n; t++) if (dev[t]! < 0) payLb += minPay[t]!;
    if (byCost) {
      if (lb > deadline + EPS || payLb > bestPay + EPS || (payLb >= bestPay - EPS && lb >= bestMs - EPS)) return;
    } else if (lb > bestMs + EPS || (lb >= bestMs - EPS && payLb >= bestPay - EPS)) return;
    const key = stateKey();
    if (seen.has(key)) return;
    if (seen.size < 4_000_000) seen.add(key);

    const kids: { t: number; d: number; s: number; e: number; pay: number }[] = [];
    for (let t = 0; t < n; t++) {
      if (dev[t]! >= 0 || waiting[t]! > 0) continue;
      for (const d of allowed(inst, t)) {
        if (memUsed[d]! + inst.mem[t]! > inst.cap[d]!) continue;
        let r = avail[lane[d]!]!;
        for (const p of inst.pred[t]!) r = Math.max(r, end[p.t]! + commMs(inst, p.bytes, dev[p.t]!, d));
        if (!Number.isFinite(r)) continue;
        const tt = inst.ttft[t];
        if (tt && r + tt.offset[d]! > tt.deadline + EPS) continue;
        const e = r + inst.cost[t]![d]!;
        kids.push({ t, d, s: r, e, pay: taskCost(inst, t, d) });
      }
    }
    kids.sort(
      byCost
        ? (a, b) => a.pay - b.pay || a.e - b.e || rank[b.t]! - rank[a.t]!
        : (a, b) => a.e - b.e || rank[b.t]! - rank[a.t]!,
    );
    for (const k of kids) {
      const kl = lane[k.d]!;
      const prevAvail = avail[kl]!;
      dev[k.t] = k.d;
      start[k.t] = k.s;
      end[k.t] = k.e;
      avail[kl] = k.e;
      memUsed[k.d]! += inst.mem[k.t]!;
      paid += k.pay;
      done++;
      for (const x of inst.succ[k.t]!) waiting[x.t]!--;
      for (const p of inst.pred[k.t]!) unsched[p.t]!--;
      dfs();
      for (const p of inst.pred[k.t]!) unsched[p.t]!++;
      for (const x of inst.succ[k.t]!) waiting[x.t]!++;
      done--;
      paid -= k.pay;
      memUsed[k.d]! -= inst.mem[k.t]!;
      avail[kl] = prevAvail;
      dev[k.t] = -1;
      if (aborted) return;
    }
  }

  dfs();
  return { schedule: best, optimal: !aborted, nodes };
}
