// Planning a lowered graph against device profiles, as named passes that each record why:
// units (grouping), constraints (ops, dtypes, binding limits, memory), costs (roofline corrected
// by history), edges (tensor bytes between units, graph inputs and outputs at the host),
// contention (devices that share cores take turns on one lane).
// The result is an abstract Problem, so the same algorithms plan graphs and published instances.

import { type EstimateSource, Estimator } from '../cost/estimator.js';
import { type DeviceProfile, supportsOp } from '../cost/profile.js';
import { hostLink, type Link, viaHost } from '../cost/transfer.js';
import { typeBytes } from '../cost/work.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { PassRecord } from './plan.js';
import type { Policy, Problem, ProblemShared } from './problem.js';
import { groupUnits, type PlaceUnit } from './units.js';

export interface GraphPlanOptions {
  /** The host device id (graph inputs arrive there, outputs leave from there); must be in profiles. */
  host: string;
  estimator?: Estimator;
  maxUnits?: number;
  policy?: Policy;
  /** Exact per-node support from the devices themselves (true, or why not); profiles' op lists otherwise. */
  supports?: (device: string, node: Node) => true | string;
  /**
   * 'model' (default): devices that share a resource take turns (see sharedGroups); 'ignore':
   * every device is its own timeline, as if they were separate machines (for comparison).
   */
  contention?: 'model' | 'ignore';
}

/** Below this measured concurrency (see DeviceProfile.concurrency) two devices share one lane. */
export const SHARED_BELOW = 1.5;

/**
 * Groups of devices that cannot run side by side. A pair is shared when running both at once was
 * measured to gain less than SHARED_BELOW over one after the other; a pair not measured is
 * shared when both compute on the same resource (computesOn), which is then an assumption and
 * says so. Sharing is transitive: the groups are the connected pairs.
 */
export function sharedGroups(profiles: DeviceProfile[]): { shared: ProblemShared[]; notes: string[] } {
  const notes: string[] = [];
  const parent = new Map(profiles.map((p) => [p.id, p.id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const why = new Map<string, string[]>();
  for (let i = 0; i < profiles.length; i++)
    for (let j = i + 1; j < profiles.length; j++) {
      const a = profiles[i]!,
        b = profiles[j]!;
      const m = a.concurrency?.[b.id] ?? b.concurrency?.[a.id];
      let reason: string | undefined;
      if (m) {
        const x = `${m.value.toFixed(2)}x`;
        if (m.value < SHARED_BELOW)
          reason =
            `${a.id} + ${b.id}: both at once measured ${x} of one after the other ` +
            `(${m.note ?? m.source}): they share the cores`;
        else notes.push(`${a.id} + ${b.id}: both at once measured ${x} of one after the other: separate`);
      } else if (a.computesOn && a.computesOn === b.computesOn) {
        reason = `${a.id} + ${b.id}: both compute on ${a.computesOn} (assumed shared: not measured)`;
      }
      if (!reason) continue;
      const ra = find(a.id),
        rb = find(b.id);
      if (ra !== rb) parent.set(rb, ra);
      notes.push(reason);
      (why.get(a.id) ?? why.set(a.id, []).get(a.id)!).push(reason);
    }
  const groups = new Map<string, string[]>();
  for (const p of profiles) {
    const r = find(p.id);
    (groups.get(r) ?? groups.set(r, []).get(r)!).push(p.id);
  }
  const shared = [...groups.values()]
    .filter((g) => g.length > 1)
    .map((devices) => ({
      devices,
      reason: devices.flatMap((d) => why.get(d) ?? []).join('; '),
    }));
  for (const g of shared)
    notes.push(`one lane: ${g.devices.join(', ')} take turns (work on one waits for work on the others)`);
  return { shared, notes };
}

const INPUT = '@input';
const OUTPUT = '@output';

function fmtBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${b} B`;
}

export interface GraphProblem {
  problem: Problem;
  passes: PassRecord[];
  units: PlaceUnit[];
  /** Where each unit's cost on each device came from (a re-plan trusts 'measured' over the rest). */
  sources: Map<string, Record<string, EstimateSource>>;
}

export function graphProblem(g: Graph, profiles: DeviceProfile[], o: GraphPlanOptions): GraphProblem {
  const est = o.estimator ?? new Estimator();
  const host = profiles.find((p) => p.id === o.host);
  if (!host) throw new Error(`host device '${o.host}' is not among the devices`);
  const passes: PassRecord[] = [];

  const unitNotes: string[] = [];
  const units = groupUnits(g, o.maxUnits ?? 48, unitNotes);
  unitNotes.unshift(`${g.nodes.length} nodes -> ${units.length} units`);
  passes.push({ name: 'units', notes: unitNotes });

  const cons: string[] = [];
  const costNotes: string[] = [];
  const tasks: Problem['tasks'] = [];
  const sources = new Map<string, Record<string, EstimateSource>>();
  for (const u of units) {
    const costMs: Record<string, number> = {};
    const src: Record<string, EstimateSource> = {};
    sources.set(u.id, src);
    for (const p of profiles) {
      const verdicts = o.supports ? u.nodes.map((n) => o.supports!(p.id, n)) : [];
      const refused = verdicts.findIndex((v) => v !== true);
      const badOp = refused >= 0 ? undefined : u.nodes.find((n) => !supportsOp(p, n.op));
      const badType = u.nodes
        .flatMap((n) => [...n.inputs, ...n.outputs])
        .find((v) => v?.type && (p.unsupportedDtypes ?? []).includes(v.type.dtype));
      let why: string | undefined;
      if (refused >= 0) why = `${p.id} cannot run ${u.nodes[refused]!.op}: ${verdicts[refused]}`;
      else if (badOp) why = `${p.id} has no kernel for ${badOp.op}`;
      else if (badType) why = `${p.id} cannot hold ${badType.type!.dtype} ('${badType.name}')`;
      else if (p.maxBindingBytes && u.maxTensorBytes > p.maxBindingBytes.value)
        why =
          `a ${fmtBytes(u.maxTensorBytes)} tensor exceeds ${p.id}'s binding limit ` +
          `${fmtBytes(p.maxBindingBytes.value)}`;
      else if (u.workingBytes > p.memCapacity.value)
        why = `needs ${fmtBytes(u.workingBytes)}, ${p.id} has ${fmtBytes(p.memCapacity.value)}`;
      if (why) {
        cons.push(`${u.id}: not ${p.id}: ${why}`);
        continue;
      }
      const e = est.estimate(u.work, p, u.signatures);
      costMs[p.id] = e.ms;
      src[p.id] = e.source;
      if (u === units[0] || units.length <= 8)
        costNotes.push(`${u.id} on ${p.id}: ${e.ms.toPrecision(3)} ms (${e.source}, ${e.bound}-bound)`);
    }
    if (!Object.keys(costMs).length)
      throw new Error(
        `unit '${u.id}' (${u.nodes.map((n) => n.op).join(', ')}): no device can run it: ${cons
          .filter((c) => c.startsWith(`${u.id}:`))
          .map((c) => c.slice(u.id.length + 2))
          .join('; ')}`,
      );
    tasks.push({ id: u.id, costMs, memBytes: u.weightBytes });
  }
  passes.push({ name: 'constraints', notes: cons.length ? cons : ['no unit is ruled out of any device'] });
  passes.push({ name: 'costs', notes: costNotes });

  // edges: bytes of each value crossing units; graph inputs come from the host, outputs go back to it
  const unitOf = new Map(units.flatMap((u) => u.nodes.map((n) => [n, u.id] as const)));
  const bytes = new Map<string, number>();
  const add = (a: string, b: string, v: Value) =>
    bytes.set(`${a}\u0000${b}`, (bytes.get(`${a}\u0000${b}`) ?? 0) + typeBytes(v.type));
  const seen = new Set<string>();
  for (const u of units)
    for (const n of u.nodes)
      for (const v of n.inputs) {
        if (!v || v.isConst) continue;
        const from = v.producer ? unitOf.get(v.producer)! : INPUT;
        const key = `${from}\u0000${u.id}\u0000${v.name}`;
        if (from === u.id || seen.has(key)) continue;
        seen.add(key);
        add(from, u.id, v);
      }
  for (const v of g.outputs) if (v.producer) add(unitOf.get(v.producer)!, OUTPUT, v);
  const edges = [...bytes].map(([k, b]) => {
    const [from, to] = k.split('\u0000');
    return { from: from!, to: to!, bytes: b };
  });
  const hasIn = edges.some((e) => e.from === INPUT);
  const hasOut = edges.some((e) => e.to === OUTPUT);
  if (hasIn) tasks.unshift({ id: INPUT, costMs: { [host.id]: 0 } });
  if (hasOut) tasks.push({ id: OUTPUT, costMs: { [host.id]: 0 } });
  passes.push({
    name: 'edges',
    notes: [
      `${edges.length} edges, ${fmtBytes(edges.reduce((a, e) => a + e.bytes, 0))} in all; graph inputs ` +
        `and outputs live on ${host.id}`,
    ],
  });

  const links: NonNullable<Problem['links']> = [];
  const toHost = new Map<string, Link>(
    profiles.map((p) => [p.id, p.id === host.id ? { latencyMs: 0, bytesPerMs: Infinity } : hostLink(p)]),
  );
  for (let a = 0; a < profiles.length; a++)
    for (let b = a + 1; b < profiles.length; b++) {
      const pa = profiles[a]!,
        pb = profiles[b]!;
      const l =
        pa.id === host.id
          ? toHost.get(pb.id)!
          : pb.id === host.id
            ? toHost.get(pa.id)!
            : viaHost(toHost.get(pa.id)!, toHost.get(pb.id)!);
      links.push({
        between: [pa.id, pb.id],
        latencyMs: l.latencyMs,
        bytesPerMs: Number.isFinite(l.bytesPerMs) ? l.bytesPerMs : 1e15,
      });
    }
  let shared: ProblemShared[] = [];
  if (o.contention === 'ignore')
    passes.push({ name: 'contention', notes: ['ignored: every device is planned as if it ran alone'] });
  else {
    const sg = sharedGroups(profiles);
    shared = sg.shared;
    passes.push({ name: 'contention', notes: sg.notes.length ? sg.notes : ['no two devices share a resource'] });
  }
  const problem: Problem = {
    devices: profiles.map((p) => ({ id: p.id, pricePerHour: p.pricePerHour.value, memoryBytes: p.memCapacity.value })),
    links,
    ...(shared.length ? { shared } : {}),
    tasks,
    edges,
    policy: o.policy ?? { objective: 'latency' },
  };
  return { problem, passes, units, sources };
}
