// Turn a Problem (untrusted JSON) into an Instance, or throw an error that names the task or
// device at fault: unknown devices, negative or missing costs, tasks no device can run, cycles.

import type { Exclusion, Instance } from './instance.js';
import type { Policy, Problem, ProblemTask } from './problem.js';

export class PlanInputError extends Error {
  override name = 'PlanInputError';
}

const fail = (msg: string): never => {
  throw new PlanInputError(msg);
};

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function nonNeg(x: unknown, what: string): number {
  if (x === undefined || x === null) fail(`${what} is missing`);
  if (!isNum(x)) fail(`${what} must be a finite number, got ${JSON.stringify(x)}`);
  if ((x as number) < 0) fail(`${what} is negative (${x})`);
  return x as number;
}

export interface BuildOptions {
  /** Keep only these devices (CLI --devices). */
  devices?: string[];
  objective?: 'latency' | 'cost';
  deadlineMs?: number;
}

/** Cost per device of one task, LLM tasks derived from prefill + tokens x decode. */
function taskCosts(t: ProblemTask, where: string): Record<string, number> {
  if (t.costMs !== undefined) {
    if (typeof t.costMs !== 'object' || t.costMs === null || Array.isArray(t.costMs))
      fail(`${where}: costMs must be an object {device: ms}`);
    return t.costMs;
  }
  if (t.llm) {
    const out: Record<string, number> = {};
    const n = nonNeg(t.llm.outputTokens, `${where}: llm.outputTokens`);
    for (const [d, p] of Object.entries(t.llm.prefillMs ?? {})) {
      const dec = t.llm.decodeMsPerToken?.[d];
      if (dec === undefined) continue;
      out[d] = nonNeg(p, `${where}: llm.prefillMs.${d}`) + n * nonNeg(dec, `${where}: llm.decodeMsPerToken.${d}`);
    }
    return out;
  }
  return fail(`${where}: costMs is missing`);
}

function findCycle(n: number, succ: number[][], left: Set<number>): number[] {
  // walk successors inside the leftover set until a task repeats
  const start = [...left][0]!;
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let v = start;
  while (!seenAt.has(v)) {
    seenAt.set(v, path.length);
    path.push(v);
    v = succ[v]!.find((s) => left.has(s)) ?? start;
  }
  void n;
  return [...path.slice(seenAt.get(v)!), v];
}

export function buildInstance(problem: Problem, opts: BuildOptions = {}): Instance {
  if (!problem || typeof problem !== 'object') fail('problem must be a JSON object');
  if (!Array.isArray(problem.devices) || !problem.devices.length) fail('problem has no devices');
  if (!Array.isArray(problem.tasks) || !problem.tasks.length) fail('problem has no tasks');
  const policy: Policy = { objective: 'latency', ...(problem.policy ?? {}) };
  const objective = opts.objective ?? policy.objective;
  if (objective !== 'latency' && objective !== 'cost')
    fail(`policy.objective must be 'latency' or 'cost', got ${JSON.stringify(objective)}`);
  const deadlineMs = opts.deadlineMs ?? policy.deadlineMs;
  if (deadlineMs !== undefined) nonNeg(deadlineMs, 'deadlineMs');
  if (objective === 'cost' && deadlineMs === undefined) fail("objective 'cost' needs a deadlineMs");

  const allIds = new Set<string>();
  for (const d of problem.devices) {
    if (!d || typeof d.id !== 'string' || !d.id) fail('every device needs a string id');
    if (allIds.has(d.id)) fail(`device '${d.id}' is listed twice`);
    allIds.add(d.id);
  }
  const keep = opts.devices ?? policy.allow;
  for (const k of keep ?? []) if (!allIds.has(k)) fail(`unknown device '${k}' (devices: ${[...allIds].join(', ')})`);
  const devs = problem.devices.filter((d) => !keep || keep.includes(d.id));
  const devices = devs.map((d) => d.id);
  const dIndex = new Map(devices.map((id, i) => [id, i]));
  const price = devs.map((d) =>
    d.pricePerHour === undefined ? 0 : nonNeg(d.pricePerHour, `device '${d.id}': pricePerHour`),
  );
  const cap = devs.map((d) =>
    d.memoryBytes === undefined ? Infinity : nonNeg(d.memoryBytes, `device '${d.id}': memoryBytes`),
  );

  const m = devices.length;
  const lat = devices.map((_, p) => devices.map((_, q) => (p === q ? 0 : Infinity)));
  const bw = devices.map(() => devices.map(() => Infinity));
  for (const [i, l] of (problem.links ?? []).entries()) {
    const where = `link #${i + 1}`;
    if (!Array.isArray(l.between) || l.between.length !== 2) fail(`${where}: 'between' must name two devices`);
    for (const id of l.between) if (!allIds.has(id)) fail(`${where}: unknown device '${id}'`);
    const la = nonNeg(l.latencyMs, `${where} (${l.between.join('-')}): latencyMs`);
    const b = nonNeg(l.bytesPerMs, `${where} (${l.between.join('-')}): bytesPerMs`);
    if (b === 0) fail(`${where} (${l.between.join('-')}): bytesPerMs must be > 0`);
    const [p, q] = l.between.map((id) => dIndex.get(id));
    if (p === undefined || q === undefined || p === q) continue;
    lat[p]![q] = lat[q]![p] = la;
    bw[p]![q] = bw[q]![p] = b;
  }

  // shared resources: devices in one group take turns on one lane
  const lane = devices.map((_, d) => d);
  for (const [i, g] of (problem.shared ?? []).entries()) {
    const where = `shared #${i + 1}`;
    if (!g || !Array.isArray(g.devices)) fail(`${where}: 'devices' must be a list of device ids`);
    for (const id of g.devices) if (!allIds.has(id)) fail(`${where}: unknown device '${id}'`);
    const idx = g.devices.map((id) => dIndex.get(id)).filter((d): d is number => d !== undefined);
    if (idx.length < 2) continue;
    const to = Math.min(...idx.map((d) => lane[d]!));
    const from = new Set(idx.map((d) => lane[d]!));
    lane.forEach((l, d) => {
      if (from.has(l)) lane[d] = to;
    });
  }

  const tasks: string[] = [];
  const tIndex = new Map<string, number>();
  const cost: number[][] = [];
  const mem: number[] = [];
  const ttft: Instance['ttft'] = [];
  const excluded: Exclusion[] = [];
  for (const t of problem.tasks) {
    if (!t || typeof t.id !== 'string' || !t.id) fail('every task needs a string id');
    if (tIndex.has(t.id)) fail(`task '${t.id}' is listed twice`);
    const where = `task '${t.id}'`;
    const costs = taskCosts(t, where);
    const row = new Array<number>(m).fill(Infinity);
    for (const [d, ms] of Object.entries(costs)) {
      if (!allIds.has(d)) fail(`${where}: unknown device '${d}' in costMs (devices: ${[...allIds].join(', ')})`);
      const v = nonNeg(ms, `${where}: costMs.${d}`);
      const di = dIndex.get(d);
      if (di !== undefined) row[di] = v;
    }
    let ttftRow: Instance['ttft'][number] = null;
    if (t.llm) {
      const tpot = t.llm.tpotMs ?? policy.tpotMs;
      const tt = t.llm.ttftMs ?? policy.ttftMs;
      row.forEach((_, d) => {
        const dec = t.llm!.decodeMsPerToken?.[devices[d]!];
        if (tpot !== undefined && dec !== undefined && Number.isFinite(row[d]!) && dec > tpot) {
          excluded.push({
            task: t.id,
            device: devices[d]!,
            reason: `decode ${dec} ms/token exceeds TPOT target ${tpot} ms`,
          });
          row[d] = Infinity;
        }
      });
      if (tt !== undefined)
        ttftRow = {
          deadline: nonNeg(tt, `${where}: ttftMs`),
          offset: devices.map((d) => t.llm!.prefillMs?.[d] ?? Infinity),
        };
    }
    const mb = t.memBytes === undefined ? 0 : nonNeg(t.memBytes, `${where}: memBytes`);
    row.forEach((v, d) => {
      if (Number.isFinite(v) && mb > cap[d]!) {
        excluded.push({ task: t.id, device: devices[d]!, reason: `needs ${mb} bytes, device memory is ${cap[d]}` });
        row[d] = Infinity;
      }
    });
    if (!row.some(Number.isFinite)) {
      const why = excluded.filter((e) => e.task === t.id).map((e) => `${e.device}: ${e.reason}`);
      const only = Object.keys(costs);
      const because = why.length
        ? ` (${why.join('; ')})`
        : only.length
          ? ` (it runs only on ${only.join(', ')}, not among ${devices.join(', ')})`
          : ' (costMs is empty)';
      fail(`${where}: no device can run it${because}`);
    }
    tIndex.set(t.id, tasks.length);
    tasks.push(t.id);
    cost.push(row);
    mem.push(mb);
    ttft.push(ttftRow);
  }

  const n = tasks.length;
  const succ: Instance['succ'] = tasks.map(() => []);
  const pred: Instance['pred'] = tasks.map(() => []);
  for (const [i, e] of (problem.edges ?? []).entries()) {
    const where = `edge #${i + 1} (${e?.from} -> ${e?.to})`;
    const a = tIndex.get(e?.from);
    const b = tIndex.get(e?.to);
    if (a === undefined) fail(`${where}: unknown task '${e?.from}'`);
    if (b === undefined) fail(`${where}: unknown task '${e?.to}'`);
    const bytes = e.bytes === undefined ? 0 : nonNeg(e.bytes, `${where}: bytes`);
    if (a === b) fail(`cycle: task '${e.from}' depends on itself`);
    const dup = succ[a!]!.find((s) => s.t === b);
    if (dup) {
      dup.bytes += bytes;
      pred[b!]!.find((p) => p.t === a)!.bytes += bytes;
      continue;
    }
    succ[a!]!.push({ t: b!, bytes });
    pred[b!]!.push({ t: a!, bytes });
  }

  // Kahn's algorithm; whatever is left over sits on or behind a cycle
  const indeg = pred.map((p) => p.length);
  const queue = tasks.map((_, i) => i).filter((i) => indeg[i] === 0);
  const topo: number[] = [];
  while (queue.length) {
    const v = queue.shift()!;
    topo.push(v);
    for (const s of succ[v]!) if (--indeg[s.t] === 0) queue.push(s.t);
  }
  if (topo.length < n) {
    const left = new Set(tasks.map((_, i) => i).filter((i) => !topo.includes(i)));
    const cyc = findCycle(
      n,
      succ.map((s) => s.map((x) => x.t)),
      left,
    );
    fail(`cycle: ${cyc.map((i) => `'${tasks[i]}'`).join(' -> ')}`);
  }

  // an edge whose endpoints can only sit on unlinked devices makes the problem unplaceable
  for (let a = 0; a < n; a++) {
    for (const s of succ[a]!) {
      const ok = cost[a]!.some(
        (ca, p) =>
          Number.isFinite(ca) && cost[s.t]!.some((cb, q) => Number.isFinite(cb) && Number.isFinite(lat[p]![q]!)),
      );
      if (!ok)
        fail(
          `edge '${tasks[a]}' -> '${tasks[s.t]}': no link joins any device that can run '${tasks[a]}' to ` +
            `one that can run '${tasks[s.t]}'`,
        );
    }
  }

  return {
    tasks,
    devices,
    cost,
    price,
    succ,
    pred,
    lat,
    bw,
    topo,
    mem,
    cap,
    ttft,
    lane,
    excluded,
    objective,
    deadlineMs,
  };
}
