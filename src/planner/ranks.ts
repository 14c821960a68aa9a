// Priorities for list scheduling: mean costs, HEFT's upward rank and PEFT's optimistic cost table.

import { allowed, commMs, type Instance } from './instance.js';

/** Mean duration of task t over the devices that can run it. */
export function meanCost(inst: Instance, t: number): number {
  const ds = allowed(inst, t);
  return ds.reduce((a, d) => a + inst.cost[t]![d]!, 0) / ds.length;
}

/** Mean transfer time of `bytes` over the linked device pairs (HEFT's c-bar). */
export function meanComm(inst: Instance, bytes: number): number {
  let sum = 0,
    k = 0;
  const m = inst.devices.length;
  for (let p = 0; p < m; p++)
    for (let q = 0; q < m; q++) {
      if (p === q) continue;
      const c = commMs(inst, bytes, p, q);
      if (Number.isFinite(c)) {
        sum += c;
        k++;
      }
    }
  return k ? sum / k : 0;
}

/** HEFT upward rank: mean cost plus the longest mean path (with mean transfers) to an exit. */
export function upwardRank(inst: Instance): number[] {
  const r = new Array<number>(inst.tasks.length).fill(0);
  for (const t of [...inst.topo].reverse()) {
    let tail = 0;
    for (const s of inst.succ[t]!) tail = Math.max(tail, meanComm(inst, s.bytes) + r[s.t]!);
    r[t] = meanCost(inst, t) + tail;
  }
  return r;
}

/** PEFT optimistic cost table: OCT[t][d] = the shortest remaining path after t if t runs on d. */
export function optimisticCostTable(inst: Instance): number[][] {
  const m = inst.devices.length;
  const oct = inst.tasks.map(() => new Array<number>(m).fill(0));
  for (const t of [...inst.topo].reverse()) {
    for (let d = 0; d < m; d++) {
      let worst = 0;
      for (const s of inst.succ[t]!) {
        let best = Infinity;
        for (const w of allowed(inst, s.t)) {
          const v = oct[s.t]![w]! + inst.cost[s.t]![w]! + (w === d ? 0 : meanComm(inst, s.bytes));
          if (v < best) best = v;
        }
        worst = Math.max(worst, best);
      }
      oct[t]![d] = worst;
    }
  }
  return oct;
}

/** Bottom level with the fastest device per task and no transfers: a lower bound on what follows. */
export function minBottomLevel(inst: Instance): number[] {
  const b = new Array<number>(inst.tasks.length).fill(0);
  for (const t of [...inst.topo].reverse()) {
    let tail = 0;
    for (const s of inst.succ[t]!) tail = Math.max(tail, b[s.t]!);
    b[t] = Math.min(...inst.cost[t]!) + tail;
  }
  return b;
}
