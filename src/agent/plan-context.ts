// What the agent planner offers each node kind while it costs the node's ops (CostContext): the
// estimate of an op on a device (measured history first, else the body graph per step, else the
// op's roofline; first-run extras where the model is not compiled there yet), the devices a node
// may use (pins, private data), and the tasks it adds to the planner's problem.

import type { Estimator } from '../cost/estimator.js';
import type { DeviceProfile } from '../cost/profile.js';
import { nodeWork } from '../cost/work.js';
import type { Node } from '../ir/graph.js';
import type { ProblemTask } from '../planner/index.js';
import type { DeviceEntry } from '../runtime/devices.js';
import type { CostContext } from './nodes/kind.js';
import { kindOf } from './nodes/registry.js';
import { coldExtraMs, steadyModelMs } from './plan-costs.js';
import type { AgentGraph, AgentPolicy, AgentResources, LoweredAgent } from './types.js';

/** History key of a task: per graph, so two graphs' nodes of the same name do not mix. */
export const signer = (ag: AgentGraph) => (task: string) => `agent:${ag.name}:${task}`;

/** The context, and what it collected besides the tasks (constraint notes, cold extras, the op -> task map). */
export interface CostCollection {
  ctx: CostContext;
  tasks: ProblemTask[];
  taskOf: Map<Node, string>;
  notes: string[];
  /** Cold extras per task and device (a model's graph not compiled there yet): what only this run pays. */
  coldBy: Map<string, Record<string, number>>;
}

export function costContext(
  lowered: LoweredAgent,
  res: AgentResources,
  entries: DeviceEntry[],
  policy: AgentPolicy,
  estimator: Estimator,
): CostCollection {
  const ag = lowered.source;
  const sig = signer(ag);
  const hostEntry = entries.find((e) => e.device.kind === 'reference') ?? entries[0]!;
  const host = hostEntry.device.id;
  const profiles = new Map(entries.map((e) => [e.device.id, e.profile]));
  const deviceOf = (id: string) => entries.find((e) => e.device.id === id)?.device;
  const isRemote = (id: string) => deviceOf(id)?.kind === 'remote';
  const notes: string[] = [];
  const tasks: ProblemTask[] = [];
  const taskOf = new Map<Node, string>();
  const coldBy = new Map<string, Record<string, number>>();
  const measured = (task: string, device: string) => estimator.history.lookup(sig(task), device)?.ms;

  // a server's own history rarely exists (a new URL is a new device), but it computes with a backend
  // this client may have too: what that backend measured here against its roofline scales the
  // server's roofline (the same kernels, compile costs and small-op overheads)
  const twinOf = (id: string): DeviceEntry | undefined => {
    const d = deviceOf(id) as { kind: string; profile?: () => { backend?: string } } | undefined;
    const backend = d?.kind === 'remote' ? d.profile?.().backend : undefined;
    const kind = backend === 'cpu' ? 'reference' : backend;
    return kind ? entries.find((e) => e.device.kind === kind) : undefined;
  };
  const estimate = (n: Node, p: DeviceProfile, task: string, times = 1): number => {
    const w = nodeWork(n);
    const extra = isRemote(p.id) ? 0 : coldExtraMs(n, p, deviceOf(p.id), res, estimator.history.firstRunRatio(p.id));
    if (extra > 0) {
      // a cold run measured before (an earlier process) says what the whole of it costs
      const first = estimator.history.lookup(sig(`${task}.first`), p.id);
      const steady = first
        ? first.ms
        : (measured(task, p.id) ??
            steadyModelMs(estimator, n, p, hostEntry.profile, deviceOf(p.id), res) ??
            estimator.estimate(w, p).ms) + extra;
      (coldBy.get(task) ?? coldBy.set(task, {}).get(task)!)[p.id] = first
        ? Math.max(0, first.ms - (measured(task, p.id) ?? 0))
        : extra;
      return steady * times;
    }
    const e = estimator.estimate({ ...w }, p, [sig(task)]);
    if (e.source === 'measured') return e.ms;
    const fromBody = isRemote(p.id)
      ? undefined
      : steadyModelMs(estimator, n, p, hostEntry.profile, deviceOf(p.id), res);
    if (fromBody !== undefined) return fromBody * times;
    const twin = isRemote(p.id) && e.source === 'roofline' ? twinOf(p.id) : undefined;
    const seen = twin && estimator.history.lookup(sig(task), twin.device.id);
    if (twin && seen && seen.estimateMs > 0) {
      const local = estimator.estimate({ ...w }, twin.profile);
      return e.ms * (seen.ms / Math.max(1e-9, local.rooflineMs)) * times;
    }
    return e.ms * times;
  };
  const allowed = (id: string): DeviceProfile[] => {
    const n = ag.nodes.get(id)!;
    let list = [...profiles.values()];
    const pin = kindOf(n).pin(n);
    if (pin && pin !== 'auto') {
      if (pin === 'local') list = list.filter((p) => !isRemote(p.id));
      else if (pin === 'remote') list = list.filter((p) => isRemote(p.id));
      else list = list.filter((p) => p.id === pin);
      if (!list.length)
        throw new Error(
          `node '${id}' is pinned to '${pin}', which is not among the devices (${[...profiles.keys()].join(', ')})`,
        );
    }
    if (ag.localOnly.has(id)) {
      const before = list.length;
      list = list.filter((p) => !isRemote(p.id));
      if (list.length < before)
        notes.push(`${id}: local only (it reads private input '${ag.localOnly.get(id)}' before any filter)`);
    }
    return list;
  };
  const fastestLocal = (costs: Record<string, number>) =>
    Object.entries(costs)
      .filter(([k]) => !isRemote(k))
      .sort((a, b) => a[1] - b[1])[0]?.[0];
  const ctx: CostContext = {
    ag,
    res,
    entries,
    estimator,
    policy,
    host,
    hostProfile: hostEntry.profile,
    promptTokens: lowered.promptTokens,
    isRemote,
    allowed,
    estimate,
    measured,
    fastestLocal,
    localBest: new Map(),
    served: [],
    offloadNotes: [],
    task(t, op) {
      tasks.push(t);
      taskOf.set(op, t.id);
    },
    hostTask(id, op, ms) {
      ctx.task({ id, costMs: { [host]: measured(id, host) ?? ms ?? estimate(op, hostEntry.profile, id) } }, op);
    },
    deviceTask(id, op) {
      const costMs: Record<string, number> = {};
      for (const p of allowed(id)) costMs[p.id] = estimate(op, p, id);
      const locals: Record<string, number> = {};
      for (const e of entries)
        if (!isRemote(e.device.id)) locals[e.device.id] = costMs[e.device.id] ?? estimate(op, e.profile, id);
      ctx.localBest.set(id, { device: fastestLocal(locals) ?? host });
      ctx.task({ id, costMs, memBytes: (op.attrs.weight_bytes?.value as number | undefined) ?? 0 }, op);
    },
  };
  return { ctx, tasks, taskOf, notes, coldBy };
}
