// Two-device split by minimum s-t cut (Neurosurgeon / DADS): source side = device A, sink side =
// device B; cutting s->v costs v's time on B, v->t its time on A, and an edge u-w its transfer.
// For a chain (no parallelism) the cut value is exactly the end-to-end latency, so the split is
// optimal; on a general DAG it minimises total work plus transfers, a proxy.

import type { Instance } from './instance.js';
import { commMs, taskCost } from './instance.js';

class Dinic {
  private head: number[];
  private to: number[] = [];
  private cap: number[] = [];
  private next: number[] = [];
  private level: number[] = [];
  private it: number[] = [];
  constructor(private n: number) {
    this.head = new Array(n).fill(-1);
  }
  add(u: number, v: number, c: number, rc = 0): void {
    this.to.push(v);
    this.cap.push(c);
    this.next.push(this.head[u]!);
    this.head[u] = this.to.length - 1;
    this.to.push(u);
    this.cap.push(rc);
    this.next.push(this.head[v]!);
    this.head[v] = this.to.length - 1;
  }
  private bfs(s: number, t: number): boolean {
    this.level = new Array(this.n).fill(-1);
    this.level[s] = 0;
    const q = [s];
    while (q.length) {
      const u = q.shift()!;
      for (let e = this.head[u]!; e >= 0; e = this.next[e]!) {
        if (this.cap[e]! > 1e-12 && this.level[this.to[e]!]! < 0) {
          this.level[this.to[e]!] = this.level[u]! + 1;
          q.push(this.to[e]!);
        }
      }
    }
    return this.level[t]! >= 0;
  }
  private dfs(u: number, t: number, f: number): number {
    if (u === t) return f;
    for (; this.it[u]! >= 0; this.it[u] = this.next[this.it[u]!]!) {
      const e = this.it[u]!,
        v = this.to[e]!;
      if (this.cap[e]! > 1e-12 && this.level[v] === this.level[u]! + 1) {
        const d = this.dfs(v, t, Math.min(f, this.cap[e]!));
        if (d > 0) {
          this.cap[e]! -= d;
          this.cap[e ^ 1]! += d;
          return d;
        }
      }
    }
    return 0;
  }
  maxflow(s: number, t: number): number {
    let flow = 0;
    while (this.bfs(s, t)) {
      this.it = this.head.slice();
      for (let f; (f = this.dfs(s, t, Infinity)) > 0; ) {
        flow += f;
        if (!Number.isFinite(f)) return Infinity;
      }
    }
    return flow;
  }
  /** Nodes still reachable from s in the residual graph: the source side of a min cut. */
  sourceSide(s: number): boolean[] {
    const seen = new Array(this.n).fill(false);
    seen[s] = true;
    const q = [s];
    while (q.length) {
      const u = q.shift()!;
      for (let e = this.head[u]!; e >= 0; e = this.next[e]!)
        if (this.cap[e]! > 1e-12 && !seen[this.to[e]!]) {
          seen[this.to[e]!] = true;
          q.push(this.to[e]!);
        }
    }
    return seen;
  }
}

/** A large finite stand-in for "never cut": Dinic needs finite arithmetic. */
const BIG = 1e15;

/**
 * Assignment minimising Σ w(task, device) + Σ cut transfers x commWeight, between devices a and b.
 * weight(t, d): what placing t on d costs in the objective (time, or time plus priced cost).
 */
export function minCutSplit(
  inst: Instance,
  a: number,
  b: number,
  weight: (t: number, d: number) => number,
  commWeight = 1,
): number[] | undefined {
  const n = inst.tasks.length;
  const S = n,
    T = n + 1;
  const g = new Dinic(n + 2);
  for (let t = 0; t < n; t++) {
    const wa = Number.isFinite(inst.cost[t]![a]!) ? weight(t, a) : BIG;
    const wb = Number.isFinite(inst.cost[t]![b]!) ? weight(t, b) : BIG;
    if (wa >= BIG && wb >= BIG) return undefined;
    g.add(S, t, wb);
    g.add(t, T, wa);
    for (const s of inst.succ[t]!) {
      const c = commMs(inst, s.bytes, a, b);
      const w = Number.isFinite(c) ? c * commWeight : BIG;
      g.add(t, s.t, w, w);
    }
  }
  const f = g.maxflow(S, T);
  if (f >= BIG) return undefined;
  const side = g.sourceSide(S);
  return inst.tasks.map((_, t) => (side[t] ? a : b));
}

export const timeWeight = (inst: Instance) => (t: number, d: number) => inst.cost[t]![d]!;

/** Weight for the cost objective: dollars scaled to be comparable, plus lambda x time. */
export const priceWeight = (inst: Instance, lambda: number) => (t: number, d: number) =>
  taskCost(inst, t, d) * 3.6e6 + lambda * inst.cost[t]![d]!;

/** Exactly two devices can run tasks, and the graph is one chain. */
export function isTwoDeviceChain(inst: Instance): boolean {
  if (inst.devices.length !== 2) return false;
  const n = inst.tasks.length;
  let edges = 0;
  for (let t = 0; t < n; t++) {
    if (inst.succ[t]!.length > 1 || inst.pred[t]!.length > 1) return false;
    edges += inst.succ[t]!.length;
  }
  return edges === n - 1;
}
