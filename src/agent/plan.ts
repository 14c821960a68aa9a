// Planning an agent graph: lower it to the agent.* IR, cost every op on every device with the cost
// model (roofline of the op's FLOPs and bytes, corrected by measured history), state the hard
// constraints (JS nodes run on the host, private data stays local, pinned nodes stay where they
// are pinned, weights and KV cache must fit), and hand the planner one problem in which each llm
// node is two tasks, prefill and decode, joined by the KV cache's bytes, with the node's TTFT and
// TPOT targets. Each node kind costs its own ops (nodes/<kind>.ts). The plan comes back as a device
// per node (per phase for llm nodes).
//
// Offload servers: an llm node whose model a server serves with the same weights (res.served) may
// run wholly there through its chat route (plan-offload.ts). A phase on a server that does not
// serve the model runs the engine's step graphs there. Nodes placed remotely get a local fallback
// placement (the fastest local device for each).

import type { Device } from '../backends/device.js';
import { Estimator } from '../cost/estimator.js';
import type { PassRecord, Plan } from '../planner/index.js';
import type { DeviceEntry } from '../runtime/devices.js';
import { lowerAgent } from './graph/lower.js';
import type { AgentGraph } from './graph/validate.js';
import { kindOf } from './nodes/registry.js';
import { costContext } from './plan-context.js';
import { chooseOffload } from './plan-offload.js';
import { problemOf } from './plan-problem.js';
import type {
  AgentPlan,
  AgentPolicy,
  AgentResources,
  DeviceSet,
  LlmPrediction,
  LoweredAgent,
  LowerOptions,
  NodePlacement,
} from './types.js';

export { learnFromRun } from './plan-learn.js';
export type { AgentPlan, AgentPolicy } from './types.js';

/** Devices (with profiles) as the runner's DeviceSet; the host (reference) runs JS nodes. */
export function deviceSetOf(entries: DeviceEntry[]): DeviceSet {
  const devices = new Map<string, Device>(entries.map((e) => [e.device.id, e.device]));
  const host = entries.find((e) => e.device.kind === 'reference') ?? entries[0]!;
  return { devices, defaultDevice: host.device.id };
}

/** Lower and plan in one call (an AgentSession lowers once and plans its lowering again and again). */
export function planAgent(
  ag: AgentGraph,
  res: AgentResources,
  entries: DeviceEntry[],
  policy: AgentPolicy = {},
  estimator = new Estimator(),
  lowerOpts: LowerOptions = {},
): AgentPlan {
  return planLowered(lowerAgent(ag, res, lowerOpts), res, entries, policy, estimator);
}

/** Plan an agent graph already lowered: the ops planned are the ops the session runs. */
export function planLowered(
  lowered: LoweredAgent,
  res: AgentResources,
  entries: DeviceEntry[],
  policy: AgentPolicy = {},
  estimator = new Estimator(),
): AgentPlan {
  const ag = lowered.source;
  const { ctx, tasks, taskOf, notes, coldBy } = costContext(lowered, res, entries, policy, estimator);
  for (const id of ag.order) {
    const n = ag.nodes.get(id)!;
    kindOf(n).cost(id, n, lowered.nodesOf.get(id)!, ctx);
  }
  const sla = ag.spec.sla ?? {};
  const problem = problemOf(
    lowered,
    tasks,
    taskOf,
    entries.map((e) => e.profile),
    ctx.host,
    { objective: policy.objective ?? sla.objective ?? 'latency', deadlineMs: policy.deadlineMs ?? sla.deadlineMs },
  );
  const prompts = [...lowered.promptTokens].map(([k, v]) => `${k}: ~${v} prompt tokens`).join(', ');
  const passes: PassRecord[] = [
    {
      name: 'lower',
      notes: [
        `${ag.nodes.size} agent nodes -> ${lowered.graph.nodes.length} agent.* ops; ${prompts || 'no llm nodes'}`,
      ],
    },
    {
      name: 'constraints',
      notes: notes.length
        ? notes
        : ['JS nodes (tool, filter, convert, HNSW search) run on the host; model nodes may go anywhere'],
    },
  ];
  const offload = [...ctx.offloadNotes];
  const best = chooseOffload(problem, passes, ctx.served, offload);
  const plan = best.plan;
  if (offload.length) plan.passes.splice(2, 0, { name: 'offload', notes: offload });

  const placement = placementOf(ag, plan);
  const llm = new Map<string, LlmPrediction>();
  const where = new Map(plan.assignments.map((a) => [a.task, a]));
  for (const [id, p] of placement) {
    if (!p.prefill || !p.decode) continue;
    const t = best.problem.tasks.find((x) => x.id === `${id}.decode`)!;
    const route = best.chat.has(id) && p.prefill === p.decode ? ('chat' as const) : ('engine' as const);
    llm.set(id, {
      ttftMs: where.get(`${id}.prefill`)!.endMs,
      tpotMs: t.llm?.decodeMsPerToken?.[p.decode] ?? 0,
      prefill: p.prefill,
      decode: p.decode,
      route,
    });
  }
  // where nodes placed on a server go if it fails: the fastest local device for each
  for (const [id, p] of placement)
    if ([p.device, p.prefill, p.decode].some((d) => d && ctx.isRemote(d)) && ctx.localBest.has(id))
      p.fallback = ctx.localBest.get(id);
  const cold = new Map<string, { device: string; ms: number }>();
  for (const a of plan.assignments) {
    const base = a.task.replace(/\.(prefill|decode)$/, '');
    const ms = coldBy.get(a.task)?.[a.device];
    if (ms && ms > 0 && !best.chat.has(base)) cold.set(a.task, { device: a.device, ms });
  }
  const extraMs = [...cold.values()].reduce((a, c) => a + c.ms, 0);
  return {
    placement,
    plan,
    problem: best.problem,
    lowered,
    llm,
    host: ctx.host,
    graph: ag,
    firstRun: { extraMs, cold },
    steadyMs: Math.max(0, plan.makespanMs - extraMs),
  };
}

function placementOf(ag: AgentGraph, plan: Plan): Map<string, NodePlacement> {
  const where = new Map(plan.assignments.map((a) => [a.task, a.device]));
  const placement = new Map<string, NodePlacement>();
  for (const id of ag.order) {
    const p = kindOf(ag.nodes.get(id)!).placementOf(id, where);
    if (p) placement.set(id, p);
  }
  return placement;
}
