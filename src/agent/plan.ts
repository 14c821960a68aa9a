// Planning an agent graph: lower it to the agent.* IR, cost every op on every device with the cost
// model (roofline of the op's FLOPs and bytes, corrected by measured history), state the hard
// constraints (JS nodes run on the host, private data stays local, pinned nodes stay where they
// are pinned, weights and KV cache must fit), and hand the planner one problem in which each llm
// node is two tasks, prefill and decode, joined by the KV cache's bytes, with the node's TTFT and
// TPOT targets. The plan comes back as a device per node (per phase for llm nodes).
//
// Offload servers: an llm node whose model a server serves with the same weights (res.served) may
// run wholly there through its chat route, at the TTFT and TPOT the server measured plus the link;
// both phases go together (the route keeps the KV cache on the server), so each such node is tried
// both ways and the better plan kept. A phase on a server that does not serve the model runs the
// engine's step graphs there, and decode steps there pay a KV cache round trip each, which the
// estimate includes. Nodes placed remotely get a local fallback placement from a plan without
// the remote devices.

import type { Device } from '../backends/device.js';
import { Estimator } from '../cost/estimator.js';
import type { DeviceProfile } from '../cost/profile.js';
import { hostLink, type Link, viaHost } from '../cost/transfer.js';
import { nodeWork, typeBytes } from '../cost/work.js';
import type { Node } from '../ir/graph.js';
import { type PassRecord, type Plan, type Problem, type ProblemTask, planProblem } from '../planner/index.js';
import { llmTtftMs } from '../protocol/llm.js';
import type { DeviceEntry } from '../runtime/devices.js';
import { type LoweredAgent, type LowerOptions, lowerAgent } from './graph/lower.js';
import type { AgentGraph } from './graph/validate.js';
import { EngineProvider } from './nodes/models.js';
import { coldExtraMs, steadyModelMs } from './plan-costs.js';
import type { AgentResources, DeviceSet, NodePlacement, NodeRecord } from './runtime/run.js';

export interface AgentPolicy {
  objective?: 'latency' | 'cost';
  deadlineMs?: number;
  /** Defaults for llm nodes without targets of their own. */
  ttftMs?: number;
  tpotMs?: number;
}

export interface AgentPlan {
  placement: Map<string, NodePlacement>;
  plan: Plan;
  problem: Problem;
  lowered: LoweredAgent;
  graph: AgentGraph;
  /** Predicted TTFT (from the start of the run) and TPOT of each llm node, and how it reaches its model. */
  llm: Map<string, { ttftMs: number; tpotMs: number; prefill: string; decode: string; route: 'engine' | 'chat' }>;
  host: string;
  /**
   * This run's prediction is plan.makespanMs, first-run costs included where a model's step graph
   * is not compiled on its device yet (`cold`: task -> ms on the device placed); steadyMs: the same
   * placement once everything is compiled.
   */
  firstRun: { extraMs: number; cold: Map<string, { device: string; ms: number }> };
  steadyMs: number;
}

/** Devices (with profiles) as the runner's DeviceSet; the host (reference) runs JS nodes. */
export function deviceSetOf(entries: DeviceEntry[]): DeviceSet {
  const devices = new Map<string, Device>(entries.map((e) => [e.device.id, e.device]));
  const host = entries.find((e) => e.device.kind === 'reference') ?? entries[0]!;
  return { devices, defaultDevice: host.device.id };
}

export function planAgent(
  ag: AgentGraph,
  res: AgentResources,
  entries: DeviceEntry[],
  policy: AgentPolicy = {},
  estimator = new Estimator(),
  lowerOpts: LowerOptions = {},
): AgentPlan {
  const lowered = lowerAgent(ag, res, lowerOpts);
  const sig = signer(ag);
  const hostEntry = entries.find((e) => e.device.kind === 'reference') ?? entries[0]!;
  const host = hostEntry.device.id;
  const profiles = new Map(entries.map((e) => [e.device.id, e.profile]));
  const isRemote = (id: string) => entries.find((e) => e.device.id === id)?.device.kind === 'remote';
  const notes: string[] = [];
  const offload: string[] = [];
  /** llm nodes a server could run whole through its chat route: the costs there */
  const servedOptions: { node: string; device: string; prefillMs: number; perTokenMs: number }[] = [];
  const tasks: ProblemTask[] = [];
  /** per node placed remotely: the fastest local device (per phase), where it goes if the server fails */
  const localBest = new Map<string, NodePlacement>();
  const fastestLocal = (rec: Record<string, number>) =>
    Object.entries(rec)
      .filter(([k]) => !isRemote(k))
      .sort((a, b) => a[1] - b[1])[0]?.[0];
  const taskOf = new Map<Node, string>();
  const sla = ag.spec.sla ?? {};

  // a server's own history rarely exists (a new URL is a new device), but it computes with a backend
  // this client may have too: what that backend measured here against its roofline scales the
  // server's roofline (the same kernels, compile costs and small-op overheads)
  const twinOf = (id: string): DeviceEntry | undefined => {
    const d = entries.find((e) => e.device.id === id)?.device as
      | { kind: string; profile?: () => { backend?: string } }
      | undefined;
    const backend = d?.kind === 'remote' ? d.profile?.().backend : undefined;
    const kind = backend === 'cpu' ? 'reference' : backend;
    return kind ? entries.find((e) => e.device.kind === kind) : undefined;
  };
  /** Cold extras per task and device (a model's graph not compiled there yet): what only this run pays. */
  const coldBy = new Map<string, Record<string, number>>();
  /** Steady cost (measured, else from the body per step, else the op's roofline); plus the first-run extra where cold. */
  const estimate = (n: Node, p: DeviceProfile, task: string, times = 1): number => {
    const w = nodeWork(n);
    const dev = entries.find((e) => e.device.id === p.id)?.device;
    const extra = isRemote(p.id) ? 0 : coldExtraMs(n, p, dev, res, estimator.history.firstRunRatio(p.id));
    if (extra > 0) {
      // a cold run measured before (an earlier process) says what the whole of it costs
      const first = estimator.history.lookup(sig(`${task}.first`), p.id);
      const steady = first
        ? first.ms
        : (estimator.history.lookup(sig(task), p.id)?.ms ??
            steadyModelMs(estimator, n, p, hostEntry.profile) ??
            estimator.estimate(w, p).ms) + extra;
      (coldBy.get(task) ?? coldBy.set(task, {}).get(task)!)[p.id] = first
        ? Math.max(0, first.ms - (estimator.history.lookup(sig(task), p.id)?.ms ?? 0))
        : extra;
      return steady * times;
    }
    const e = estimator.estimate({ ...w, flops: w.flops, bytes: w.bytes }, p, [sig(task)]);
    if (e.source === 'measured') return e.ms;
    const fromBody = isRemote(p.id) ? undefined : steadyModelMs(estimator, n, p, hostEntry.profile);
    if (fromBody !== undefined) return fromBody * times;
    const twin = isRemote(p.id) && e.source === 'roofline' ? twinOf(p.id) : undefined;
    const seen = twin && estimator.history.lookup(sig(task), twin.device.id);
    if (twin && seen && seen.estimateMs > 0) {
      const local = estimator.estimate({ ...w, flops: w.flops, bytes: w.bytes }, twin.profile);
      return e.ms * (seen.ms / Math.max(1e-9, local.rooflineMs)) * times;
    }
    return e.ms * times;
  };
  const allowed = (id: string): DeviceProfile[] => {
    const n = ag.nodes.get(id)!;
    let list = [...profiles.values()];
    const pin = n.kind === 'llm' ? undefined : n.device;
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

  for (const id of ag.order) {
    const n = ag.nodes.get(id)!;
    const ir = lowered.nodesOf.get(id)!;
    const onHost =
      n.kind === 'tool' ||
      n.kind === 'filter' ||
      n.kind === 'convert' ||
      (n.kind === 'retrieve' && res.indexes.get(n.index)?.kind !== 'exact') ||
      (n.kind === 'embed' && !ir[0]!.attrs.body) ||
      (n.kind === 'llm' && !ir[0]!.attrs.prefill && !ir[0]!.attrs.body);
    if (onHost) {
      const hist = estimator.history.lookup(sig(id), host);
      const ms =
        hist?.ms ??
        (n.kind === 'tool' ? ((ir[0]!.attrs.est_ms?.value as number) ?? 1) : estimate(ir[0]!, hostEntry.profile, id));
      if (n.kind === 'llm') {
        // a provider the engine does not run (a function, an external service): one task on the host
        tasks.push({ id: `${id}.prefill`, costMs: { [host]: hist?.ms ?? 1 } });
        tasks.push({ id: `${id}.decode`, costMs: { [host]: 0 } });
        taskOf.set(ir[0]!, `${id}.prefill`);
        taskOf.set(ir[1]!, `${id}.decode`);
        continue;
      }
      tasks.push({ id, costMs: { [host]: ms } });
      taskOf.set(ir[0]!, id);
      continue;
    }
    const devs = allowed(id);
    if (n.kind === 'llm') {
      const [pre, dec] = ir as [Node, Node];
      const maxTokens = dec.attrs.max_tokens!.value as number;
      const weights = pre.attrs.weight_bytes!.value as number;
      const kv = typeBytes(pre.outputs[0]!.type);
      const prefillMs: Record<string, number> = {},
        perToken: Record<string, number> = {},
        zero: Record<string, number> = {};
      const pinPre = n.prefillDevice ?? n.device,
        pinDec = n.decodeDevice ?? n.device;
      for (const p of devs) {
        prefillMs[p.id] = estimate(pre, p, `${id}.prefill`);
        // the decode op's cost covers max_tokens - 1 steps; per token is one body step
        perToken[p.id] = estimate(dec, p, `${id}.decode`) / Math.max(1, maxTokens - 1);
        zero[p.id] = 0;
        if (!isRemote(p.id)) continue;
        // engine steps on a server: the KV cache goes there and back with every step (each prefill
        // chunk, each decode token), a round trip each
        const l = hostLink(p);
        const trip = 2 * l.latencyMs + (Number.isFinite(l.bytesPerMs) ? (2 * kv) / l.bytesPerMs : 0);
        const eng = res.llms.get(n.model);
        const chunk = eng instanceof EngineProvider ? eng.engine.buckets[eng.engine.buckets.length - 1]! : 128;
        const served = res.served.get(n.model)?.get(p.id);
        const info = served?.info;
        const steppedPre = !estimator.history.lookup(sig(`${id}.prefill`), p.id),
          steppedDec = !estimator.history.lookup(sig(`${id}.decode`), p.id);
        // engine steps on a server that serves the model cannot compute faster than it measured there
        if (info && steppedPre)
          prefillMs[p.id] = Math.max(prefillMs[p.id]!, llmTtftMs(info, lowered.promptTokens.get(id) ?? 64));
        if (info && steppedDec) perToken[p.id] = Math.max(perToken[p.id]!, info.tpotMs);
        if (steppedPre) prefillMs[p.id]! += Math.ceil((lowered.promptTokens.get(id) ?? 64) / chunk) * trip;
        if (steppedDec) perToken[p.id]! += trip;
        const pinnedAway = [n.prefillDevice ?? n.device, n.decodeDevice ?? n.device].some(
          (d) => d && d !== 'auto' && d !== 'remote' && d !== p.id,
        );
        if (!info || pinnedAway) continue;
        const prompt = lowered.promptTokens.get(id) ?? 64;
        const queue =
          (entries.find((e) => e.device.id === p.id)?.device as { llmQueueWaitMs?: number } | undefined)
            ?.llmQueueWaitMs ?? 0;
        // runs through the chat route keep their own history (engine steps on the same server cost otherwise)
        const measuredPre = estimator.history.lookup(sig(`${id}.prefill.chat`), p.id)?.ms;
        const measuredDec = estimator.history.lookup(sig(`${id}.decode.chat`), p.id)?.ms;
        const o = {
          node: id,
          device: p.id,
          // request out and first event back, the server's queue, and its measured TTFT for this prompt
          prefillMs: measuredPre ?? 2 * l.latencyMs + queue + llmTtftMs(info, prompt),
          perTokenMs: measuredDec !== undefined ? measuredDec / Math.max(1, maxTokens - 1) : info.tpotMs,
        };
        servedOptions.push(o);
        offload.push(
          `${id}: ${p.id} serves model '${n.model}' (same weights, fingerprint ${info.fingerprint.slice(0, 12)}) on /v1/chat/completions: TTFT ~${o.prefillMs.toFixed(1)} ms for ~${prompt} prompt tokens, TPOT ${o.perTokenMs.toFixed(2)} ms (${measuredPre !== undefined ? 'measured by earlier runs through the route' : `${info.source}, + link ${(2 * l.latencyMs).toFixed(2)} ms, queue ${queue.toFixed(0)} ms`})`,
        );
      }
      localBest.set(id, { prefill: fastestLocal(prefillMs) ?? host, decode: fastestLocal(perToken) ?? host });
      const only = (rec: Record<string, number>, pin?: string) =>
        pin && pin !== 'auto' && pin !== 'local'
          ? Object.fromEntries(Object.entries(rec).filter(([k]) => k === pin || (pin === 'remote' && isRemote(k))))
          : rec;
      // the node's own target first; then the caller's (--ttft, the demo's SLA inputs) over the graph's `sla:`
      const ttft = n.ttftMs ?? policy.ttftMs ?? sla.ttftMs;
      const tpot = n.tpotMs ?? policy.tpotMs ?? sla.tpotMs;
      tasks.push({
        id: `${id}.prefill`,
        memBytes: weights + kv,
        llm: {
          prefillMs: only(prefillMs, pinPre),
          decodeMsPerToken: only(zero, pinPre),
          outputTokens: 0,
          ttftMs: ttft,
        },
      });
      tasks.push({
        id: `${id}.decode`,
        memBytes: weights + kv,
        llm: {
          prefillMs: only(zero, pinDec),
          decodeMsPerToken: only(perToken, pinDec),
          outputTokens: Math.max(0, maxTokens - 1),
          tpotMs: tpot,
        },
      });
      taskOf.set(pre, `${id}.prefill`);
      taskOf.set(dec, `${id}.decode`);
      continue;
    }
    const costMs: Record<string, number> = {};
    for (const p of devs) costMs[p.id] = estimate(ir[0]!, p, id);
    const locals: Record<string, number> = {};
    for (const e of entries)
      if (!isRemote(e.device.id)) locals[e.device.id] = costMs[e.device.id] ?? estimate(ir[0]!, e.profile, id);
    localBest.set(id, { device: fastestLocal(locals) ?? host });
    tasks.push({ id, costMs, memBytes: (ir[0]!.attrs.weight_bytes?.value as number | undefined) ?? 0 });
    taskOf.set(ir[0]!, id);
  }

  // edges: bytes of each value between tasks (symbolic text lengths count as a few KiB)
  const edges: NonNullable<Problem['edges']> = [];
  for (const n of lowered.graph.nodes) {
    const to = taskOf.get(n)!;
    for (const v of n.inputs) {
      if (!v?.producer) continue;
      const from = taskOf.get(v.producer)!;
      if (from === to) continue;
      const sym = v.type?.shape?.some((d) => typeof d === 'string');
      edges.push({ from, to, bytes: sym ? 4096 : typeBytes(v.type) });
    }
  }

  const links: NonNullable<Problem['links']> = [];
  const toHost = new Map<string, Link>(
    [...profiles.values()].map((p) => [p.id, p.id === host ? { latencyMs: 0, bytesPerMs: Infinity } : hostLink(p)]),
  );
  const ids = [...profiles.keys()];
  for (let a = 0; a < ids.length; a++)
    for (let b = a + 1; b < ids.length; b++) {
      const pa = ids[a]!,
        pb = ids[b]!;
      const l =
        pa === host ? toHost.get(pb)! : pb === host ? toHost.get(pa)! : viaHost(toHost.get(pa)!, toHost.get(pb)!);
      links.push({
        between: [pa, pb],
        latencyMs: l.latencyMs,
        bytesPerMs: Number.isFinite(l.bytesPerMs) ? l.bytesPerMs : 1e15,
      });
    }
  const problem: Problem = {
    devices: [...profiles.values()].map((p) => ({
      id: p.id,
      pricePerHour: p.pricePerHour.value,
      memoryBytes: p.memCapacity.value,
    })),
    links,
    tasks,
    edges,
    policy: {
      objective: policy.objective ?? sla.objective ?? 'latency',
      deadlineMs: policy.deadlineMs ?? sla.deadlineMs,
    },
  };
  const passes: PassRecord[] = [
    {
      name: 'lower',
      notes: [
        `${ag.nodes.size} agent nodes -> ${lowered.graph.nodes.length} agent.* ops; ${[...lowered.promptTokens].map(([k, v]) => `${k}: ~${v} prompt tokens`).join(', ') || 'no llm nodes'}`,
      ],
    },
    {
      name: 'constraints',
      notes: notes.length
        ? notes
        : ['JS nodes (tool, filter, convert, HNSW search) run on the host; model nodes may go anywhere'],
    },
  ];
  // each node a server serves: keep it off the chat route, or put both phases there; the better plan wins
  let best = { problem, plan: planProblem(problem, {}, passes), chat: new Set<string>() };
  for (const o of servedOptions) {
    const tasks2 = best.problem.tasks.map((t) => {
      if (t.id === `${o.node}.prefill` && t.llm)
        return { ...t, llm: { ...t.llm, prefillMs: { [o.device]: o.prefillMs }, decodeMsPerToken: { [o.device]: 0 } } };
      if (t.id === `${o.node}.decode` && t.llm)
        return {
          ...t,
          llm: { ...t.llm, prefillMs: { [o.device]: 0 }, decodeMsPerToken: { [o.device]: o.perTokenMs } },
        };
      return t;
    });
    const problem2 = { ...best.problem, tasks: tasks2 };
    const plan2 = planProblem(problem2, {}, passes);
    const base = best.plan;
    const better =
      plan2.feasible !== base.feasible
        ? plan2.feasible
        : problem.policy?.objective === 'cost'
          ? plan2.cost < base.cost || (plan2.cost === base.cost && plan2.makespanMs < base.makespanMs)
          : plan2.makespanMs < base.makespanMs;
    offload.push(
      `${o.node}: wholly on ${o.device} the plan takes ${plan2.makespanMs.toFixed(1)} ms${plan2.feasible ? '' : ' (infeasible)'}, $${plan2.cost.toExponential(2)}; otherwise ${base.makespanMs.toFixed(1)} ms${base.feasible ? '' : ' (infeasible)'}, $${base.cost.toExponential(2)}: ${better ? `${o.device} it is` : 'stays off the server'}`,
    );
    if (better) best = { problem: problem2, plan: plan2, chat: new Set([...best.chat, o.node]) };
  }
  const plan = best.plan;
  if (offload.length) plan.passes.splice(2, 0, { name: 'offload', notes: offload });

  const placement = placementOf(ag, plan);
  const llm = new Map<
    string,
    { ttftMs: number; tpotMs: number; prefill: string; decode: string; route: 'engine' | 'chat' }
  >();
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
    if ([p.device, p.prefill, p.decode].some((d) => d && isRemote(d)) && localBest.has(id))
      p.fallback = localBest.get(id);
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
    host,
    graph: ag,
    firstRun: { extraMs, cold },
    steadyMs: Math.max(0, plan.makespanMs - extraMs),
  };
}

function placementOf(ag: AgentGraph, plan: Plan): Map<string, NodePlacement> {
  const where = new Map(plan.assignments.map((a) => [a.task, a]));
  const placement = new Map<string, NodePlacement>();
  for (const id of ag.order) {
    const n = ag.nodes.get(id)!;
    if (n.kind === 'llm') {
      const pre = where.get(`${id}.prefill`),
        dec = where.get(`${id}.decode`);
      if (pre && dec) placement.set(id, { prefill: pre.device, decode: dec.device });
    } else {
      const a = where.get(id);
      if (a) placement.set(id, { device: a.device });
    }
  }
  return placement;
}

/** History key of a task: per graph, so two graphs' nodes of the same name do not mix. */
const signer = (ag: AgentGraph) => (task: string) => `agent:${ag.name}:${task}`;

/** Feed measured node times back into the cost model's history (per node and device). */
export function learnFromRun(estimator: Estimator, ap: AgentPlan, records: NodeRecord[]): void {
  const sig = signer(ap.graph);
  const predicted = new Map(ap.plan.assignments.map((a) => [a.task, a.endMs - a.startMs]));
  // a run that compiled the model's graph is a first run: it is kept apart from the steady ones
  const firstOf = (task: string, device: string) => (ap.firstRun.cold.get(task)?.device === device ? '.first' : '');
  /** How far a cold task's extra (measured less its predicted steady part) was from the predicted extra. */
  const learnCold = (task: string, device: string, measuredMs: number) => {
    const c = ap.firstRun.cold.get(task);
    if (!c || c.device !== device) return;
    const steady = (predicted.get(task) ?? 0) - c.ms;
    const ratio = estimator.history.firstRunRatio(device);
    estimator.history.recordFirstRun(device, measuredMs - steady, c.ms / ratio);
  };
  for (const r of records) {
    if (r.status !== 'ok') continue;
    if (r.llm) {
      // a run that moved from a server to a local engine mid-way measured neither device alone
      if (r.llm.fallback) continue;
      const ttft = r.llm.ttftMs;
      // decode is planned for max_tokens; scale the measured time per token to it
      const steps = Math.max(
        1,
        ((ap.lowered.nodesOf.get(r.node)?.[1]?.attrs.max_tokens?.value as number | undefined) ?? 2) - 1,
      );
      const decode = r.llm.tpotMs * steps;
      const via = r.llm.route === 'chat' ? '.chat' : '';
      const pre = `${r.node}.prefill`,
        dec = `${r.node}.decode`;
      estimator.history.record(
        sig(`${pre}${via}${firstOf(pre, r.llm.prefillDevice)}`),
        r.llm.prefillDevice,
        ttft,
        predicted.get(pre) ?? ttft,
      );
      if (r.llm.tokens > 1)
        estimator.history.record(
          sig(`${dec}${via}${firstOf(dec, r.llm.decodeDevice)}`),
          r.llm.decodeDevice,
          decode,
          predicted.get(dec) ?? decode,
        );
      learnCold(pre, r.llm.prefillDevice, ttft);
      if (r.llm.tokens > 1) learnCold(dec, r.llm.decodeDevice, decode);
    } else {
      const ms = r.endMs - r.startMs;
      estimator.history.record(sig(`${r.node}${firstOf(r.node, r.device)}`), r.device, ms, predicted.get(r.node) ?? ms);
      learnCold(r.node, r.device, ms);
    }
  }
}
