// An agent session: one object that owns an agent graph's whole life, discover -> load -> lower ->
// plan -> run -> learn -> replan. It discovers the devices (or takes them), loads the graph and
// what it names onto those very Device instances, lowers it once, plans that lowering under a
// policy, runs the placement it planned (re-planning as a loop unrolls, from what ran so far),
// and feeds the measured times back into the cost model. The CLI, the demo and the bench use it.

import { Estimator } from '../cost/estimator.js';
import type { DeviceEntry, DeviceSpec, DiscoverOptions } from '../runtime/devices.js';
import { discoverDevices } from '../runtime/devices.js';
import { isSoftwareAdapter } from '../runtime/webgpu-provider.js';
import { disposeDevices } from './devices.js';
import { readText } from './files.js';
import { lowerAgent } from './graph/lower.js';
import { type AgentGraph, parseAgentGraph } from './graph/validate.js';
import { declaredBy, type LoadAgentOptions, type LoadedAgent, prepareAgent } from './load.js';
import { attachServedLlms } from './offload.js';
import { deviceSetOf, learnFromRun, planLowered } from './plan.js';
import type { AgentRun } from './runtime/run.js';
import type {
  AgentPlan,
  AgentPolicy,
  AgentResult,
  DeviceSet,
  LoweredAgent,
  LowerOptions,
  NodePlacement,
  NodeRecord,
} from './types.js';

export interface AgentSessionOptions extends Omit<LoadAgentOptions, 'devices'> {
  /** Devices already discovered (with profiles); otherwise `discover` finds them. */
  entries?: DeviceEntry[];
  /** Device discovery: the specs to open (the host's reference device is always added). */
  discover?: Omit<DiscoverOptions, 'devices'> & { devices: DeviceSpec[] };
  /**
   * Leave out software WebGPU adapters (this CPU emulating a GPU, whose shaders compile for
   * seconds; WASM uses the same CPU better). Default true.
   */
  dropSoftwareAdapters?: boolean;
  policy?: AgentPolicy;
  estimator?: Estimator;
  lower?: LowerOptions;
  /** Devices the session owns: disposed with it (default: the ones it discovered). */
  ownsDevices?: boolean;
  /** Lines worth showing (discovery notes, offload findings). */
  onNote?: (line: string) => void;
}

export interface SessionRunOptions {
  inputs?: Record<string, unknown>;
  signal?: AbortSignal;
  maxSteps?: number;
  /** Run this placement instead of the plan's (a benchmark's fixed configuration). */
  placement?: Map<string, NodePlacement>;
  /** Re-plan as loop edges are taken (default true when running the plan's placement). */
  replan?: boolean;
  /** Feed the measured times into the estimator at the end (default true). */
  learn?: boolean;
}

export class AgentSession {
  private current?: AgentPlan;
  private constructor(
    readonly agent: LoadedAgent,
    readonly entries: DeviceEntry[],
    readonly notes: string[],
    readonly lowered: LoweredAgent,
    readonly estimator: Estimator,
    public policy: AgentPolicy,
    private readonly ownsDevices: boolean,
  ) {}

  /** Discover the devices, load the graph (a file or a checked graph) onto them, lower it once. */
  static async open(source: string | AgentGraph, opts: AgentSessionOptions = {}): Promise<AgentSession> {
    const notes: string[] = [];
    const note = (l: string) => {
      notes.push(l);
      opts.onNote?.(l);
    };
    const entries = opts.entries ?? (await discover(opts, note));
    const owns = opts.ownsDevices ?? !opts.entries;
    let agent: LoadedAgent;
    try {
      const graph =
        typeof source === 'string' ? parseAgentGraph(await readText(source), source, declaredBy(opts)) : source;
      agent = await prepareAgent(graph, { ...opts, devices: deviceSetOf(entries) });
    } catch (e) {
      if (owns) await disposeDevices(deviceSetOf(entries));
      throw e;
    }
    for (const n of await attachServedLlms(agent.resources, entries)) note(`offload: ${n}`);
    const lowered = lowerAgent(agent.graph, agent.resources, opts.lower);
    const estimator = opts.estimator ?? new Estimator();
    return new AgentSession(agent, entries, notes, lowered, estimator, opts.policy ?? {}, owns);
  }

  get graph(): AgentGraph {
    return this.agent.graph;
  }
  get resources() {
    return this.agent.resources;
  }
  get devices(): DeviceSet {
    return this.agent.devices;
  }
  /** The plan the next run runs (planned on first use). */
  get plan(): AgentPlan {
    this.current ??= this.replan();
    return this.current;
  }

  /** Plan the lowering again (a new policy, what was learned, a subset of the devices). */
  replan(policy: AgentPolicy = this.policy, only?: (e: DeviceEntry) => boolean): AgentPlan {
    this.policy = policy;
    const entries = only ? this.entries.filter(only) : this.entries;
    this.current = planLowered(this.lowered, this.agent.resources, entries, policy, this.estimator);
    return this.current;
  }

  /** Place a node on a device whatever the plan prefers ('local', 'remote' or a device id). */
  pin(node: string, device: string): void {
    const n = this.graph.nodes.get(node);
    if (!n) throw new Error(`node '${node}' is not a node of the graph (${[...this.graph.nodes.keys()].join(', ')})`);
    const priv = this.graph.localOnly.get(node);
    const local = device === 'local' || this.entries.some((e) => e.device.id === device && e.device.kind !== 'remote');
    if (priv && !local)
      throw new Error(
        `node '${node}' reads private input '${priv}' without a filter in between, so it stays on this machine`,
      );
    n.device = device;
    this.current = undefined;
  }

  /**
   * Run the plan (or a given placement). As a loop unrolls, what ran so far is learned and the
   * rest re-planned; at the end the whole run is learned and the history flushed.
   */
  run(opts: SessionRunOptions = {}): AgentRun {
    const ap = this.plan;
    let planned = ap;
    let learned = 0;
    const learn = (records: NodeRecord[]) => {
      learnFromRun(this.estimator, planned, records.slice(learned));
      learned = records.length;
    };
    const replanning = opts.replan ?? !opts.placement;
    const run = this.agent.runner.run({
      inputs: opts.inputs,
      signal: opts.signal,
      maxSteps: opts.maxSteps,
      placement: opts.placement ?? ap.placement,
      replan: replanning
        ? (records) => {
            learn(records);
            planned = this.replan();
            return planned.placement;
          }
        : undefined,
    });
    if (opts.learn ?? true)
      void run.result.then(
        (r: AgentResult) => {
          learn(r.records);
          this.estimator.history.flush();
        },
        () => {},
      );
    return run;
  }

  /** Release the models and indexes, and the devices the session opened. */
  async dispose(): Promise<void> {
    this.agent.dispose();
    if (this.ownsDevices) await disposeDevices(this.agent.devices);
  }
}

async function discover(opts: AgentSessionOptions, note: (l: string) => void): Promise<DeviceEntry[]> {
  const d = opts.discover ?? { devices: [] };
  // the reference device is always there: it is the host that runs tools, filters and conversions
  const specs = d.devices.some((s) => s.kind === 'reference') ? d.devices : [{ kind: 'reference' }, ...d.devices];
  const found = await discoverDevices({ ...d, devices: specs as DeviceSpec[] });
  for (const s of specs)
    if (s.kind === 'remote' && !found.entries.some((e) => e.device.kind === 'remote')) {
      await disposeDevices(deviceSetOf(found.entries));
      const why = found.notes.find((n) => n.startsWith('remote')) ?? 'no remote device could be made';
      throw new Error(`--remote ${(s as { url?: string }).url}: ${why}`);
    }
  let entries = found.entries;
  if (opts.dropSoftwareAdapters ?? true) {
    for (const e of entries.filter((x) => isSoftwareAdapter(x.device))) {
      found.notes.push(
        `${e.device.id}: a software adapter (${e.profile.name}): the GPU is emulated on this CPU, which the ` +
          'WASM device uses better; left out (--backend webgpu plans on it)',
      );
      await e.device.dispose().catch(() => {});
    }
    entries = entries.filter((x) => !isSoftwareAdapter(x.device));
  }
  for (const n of found.notes) note(n);
  return entries;
}
