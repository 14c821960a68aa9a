// The validated, index-based form every algorithm works on.

export interface Adj {
  t: number;
  bytes: number;
}

export interface Exclusion {
  task: string;
  device: string;
  reason: string;
}

export interface Instance {
  tasks: string[];
  devices: string[];
  /** cost[t][d]: ms of task t on device d; Infinity where t cannot run on d. */
  cost: number[][];
  price: number[];
  succ: Adj[][];
  pred: Adj[][];
  /** Link latency (ms) and bandwidth (bytes/ms) between device pairs; latency Infinity: no link. */
  lat: number[][];
  bw: number[][];
  /** A topological order of the tasks. */
  topo: number[];
  mem: number[];
  cap: number[];
  /** LLM tasks: first token must come by `deadline` ms after the start of the run. */
  ttft: ({ deadline: number; offset: number[] } | null)[];
  /**
   * lane[d]: the timeline device d's tasks take turns on. Devices that share a resource share a
   * lane (the lowest device index among them); otherwise lane[d] = d.
   */
  lane: number[];
  /** Task-device pairs ruled out by hard constraints, with why. */
  excluded: Exclusion[];
  objective: 'latency' | 'cost';
  deadlineMs?: number;
}

/** Transfer time of `bytes` from device p to device q (0 on the same device). */
export function commMs(inst: Instance, bytes: number, p: number, q: number): number {
  if (p === q) return 0;
  const l = inst.lat[p]![q]!;
  if (!Number.isFinite(l)) return Infinity;
  const bw = inst.bw[p]![q]!;
  return l + (bytes > 0 ? bytes / bw : 0);
}

/** Number of distinct lanes (timelines that run in parallel). */
export const laneCount = (inst: Instance): number => new Set(inst.lane).size;

export const allowed = (inst: Instance, t: number): number[] =>
  inst.devices.map((_, d) => d).filter((d) => Number.isFinite(inst.cost[t]![d]!));

/** $ for running task t on device d. */
export const taskCost = (inst: Instance, t: number, d: number): number => (inst.price[d]! * inst.cost[t]![d]!) / 3.6e6;
