// Schedules and the primitives every algorithm shares: ready times, per-lane timelines with gap
// insertion (a lane is a device, or devices that share a resource and so take turns), a generic
// list scheduler, and the checks a finished schedule must pass.

import { commMs, type Instance, taskCost } from './instance.js';

export interface Schedule {
  device: number[];
  start: number[];
  end: number[];
}

export const makespan = (s: Schedule): number => s.end.reduce((a, e) => Math.max(a, e), 0);

export function scheduleCost(inst: Instance, s: Schedule): number {
  return s.device.reduce((a, d, t) => a + taskCost(inst, t, d), 0);
}

/** Earliest time task t's inputs can all be on device d, given where its predecessors ran. */
export function readyTime(inst: Instance, s: Schedule, t: number, d: number): number {
  let r = 0;
  for (const p of inst.pred[t]!) r = Math.max(r, s.end[p.t]! + commMs(inst, p.bytes, s.device[p.t]!, d));
  return r;
}

/** Busy intervals of one device, kept sorted, for insertion-based scheduling. */
export class Timeline {
  private iv: [number, number][] = [];
  /** Earliest start >= ready of a gap that fits `dur`. */
  earliest(ready: number, dur: number): number {
    let prevEnd = 0;
    for (const [s, e] of this.iv) {
      const c = Math.max(ready, prevEnd);
      if (c + dur <= s) return c;
      prevEnd = Math.max(prevEnd, e);
    }
    return Math.max(ready, prevEnd);
  }
  get end(): number {
    return this.iv.length ? this.iv[this.iv.length - 1]![1] : 0;
  }
  insert(s: number, e: number): void {
    let i = this.iv.length;
    while (i > 0 && this.iv[i - 1]![0] > s) i--;
    this.iv.splice(i, 0, [s, e]);
  }
}

export interface ListOptions {
  /** Higher runs first among ready tasks. */
  priority: number[];
  /** Device choice: lowest score wins; default the finish time. */
  score?: (t: number, d: number, finish: number) => number;
  /** Fill idle gaps (HEFT's insertion policy); false appends at the end of each device. */
  insertion?: boolean;
  /** Fixed device per task (re-timing an assignment). */
  assign?: number[];
}

export type ListResult =
  | { ok: true; schedule: Schedule; order: number[] }
  | { ok: false; task: number; reason: string };

export function listSchedule(inst: Instance, o: ListOptions): ListResult {
  const n = inst.tasks.length;
  const m = inst.devices.length;
  const s: Schedule = { device: new Array(n).fill(-1), start: new Array(n).fill(0), end: new Array(n).fill(0) };
  const tl = Array.from({ length: m }, () => new Timeline());
  const memUsed = new Array<number>(m).fill(0);
  const waiting = inst.pred.map((p) => p.length);
  const ready = inst.tasks.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: number[] = [];
  while (ready.length) {
    let bi = 0;
    for (let i = 1; i < ready.length; i++) {
      const a = o.priority[ready[i]!]!,
        b = o.priority[ready[bi]!]!;
      if (
        a > b + 1e-9 * Math.max(1, Math.abs(b)) ||
        (Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) && ready[i]! < ready[bi]!)
      )
        bi = i;
    }
    const t = ready.splice(bi, 1)[0]!;
    let best: { d: number; start: number; end: number; score: number; late: boolean } | undefined;
    const devs = o.assign ? [o.assign[t]!] : inst.devices.map((_, d) => d);
    let memBlocked = false;
    for (const d of devs) {
      const dur = inst.cost[t]![d]!;
      if (!Number.isFinite(dur)) continue;
      if (memUsed[d]! + inst.mem[t]! > inst.cap[d]!) {
        memBlocked = true;
        continue;
      }
      const r = readyTime(inst, s, t, d);
      if (!Number.isFinite(r)) continue;
      const lane = tl[inst.lane[d]!]!;
      const start = o.insertion === false ? Math.max(r, lane.end) : lane.earliest(r, dur);
      const end = start + dur;
      const tt = inst.ttft[t];
      const late = !!tt && start + tt.offset[d]! > tt.deadline + 1e-9;
      const score = o.score ? o.score(t, d, end) : end;
      if (!best || (best.late && !late) || (best.late === late && score < best.score - 1e-9))
        best = { d, start, end, score, late };
    }
    if (!best) {
      return {
        ok: false,
        task: t,
        reason: memBlocked
          ? 'no device has enough free memory left for it'
          : 'no device can receive its inputs (no link)',
      };
    }
    s.device[t] = best.d;
    s.start[t] = best.start;
    s.end[t] = best.end;
    tl[inst.lane[best.d]!]!.insert(best.start, best.end);
    memUsed[best.d]! += inst.mem[t]!;
    order.push(t);
    for (const x of inst.succ[t]!) if (--waiting[x.t] === 0) ready.push(x.t);
  }
  return { ok: true, schedule: s, order };
}

/** Append-only timing of a fixed order and assignment (what exact search and brute force enumerate). */
export function appendSchedule(inst: Instance, order: number[], assign: number[]): Schedule {
  const n = inst.tasks.length;
  const s: Schedule = { device: assign.slice(), start: new Array(n).fill(0), end: new Array(n).fill(0) };
  const avail = new Array<number>(inst.devices.length).fill(0);
  for (const t of order) {
    const d = assign[t]!;
    const st = Math.max(readyTime(inst, s, t, d), avail[inst.lane[d]!]!);
    s.start[t] = st;
    s.end[t] = st + inst.cost[t]![d]!;
    avail[inst.lane[d]!] = s.end[t]!;
  }
  return s;
}

/** Hard constraints a finished schedule must meet, each naming the task and reason. */
export function violations(inst: Instance, s: Schedule): string[] {
  const out: string[] = [];
  const used = new Array<number>(inst.devices.length).fill(0);
  s.device.forEach((d, t) => {
    used[d]! += inst.mem[t]!;
  });
  used.forEach((u, d) => {
    if (u > inst.cap[d]!)
      out.push(`device '${inst.devices[d]}': tasks need ${u} bytes together, capacity is ${inst.cap[d]}`);
  });
  inst.ttft.forEach((tt, t) => {
    if (!tt) return;
    const first = s.start[t]! + tt.offset[s.device[t]!]!;
    if (first > tt.deadline + 1e-9)
      out.push(`task '${inst.tasks[t]}': first token at ${first.toFixed(1)} ms misses TTFT ${tt.deadline} ms`);
  });
  const ms = makespan(s);
  if (inst.deadlineMs !== undefined && ms > inst.deadlineMs + 1e-9)
    out.push(`makespan ${ms.toFixed(1)} ms exceeds deadline ${inst.deadlineMs} ms`);
  return out;
}
