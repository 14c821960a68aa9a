// What a node kind is: one object per kind (one file each, registered in registry.ts) that checks a
// node of that kind, lowers it to agent.* ops, costs those ops for the planner, says where it runs
// under a placement, and executes it. The checker, the lowering, the planner and the executor call
// these through the registry, so adding a kind touches its own file and the registry's list only.

import type { Device } from '../../backends/device.js';
import type { Estimator } from '../../cost/estimator.js';
import type { DeviceProfile } from '../../cost/profile.js';
import type { GraphBuilder } from '../../ir/builder.js';
import type { Node, Value } from '../../ir/graph.js';
import type { ProblemTask } from '../../planner/index.js';
import type { DeviceEntry } from '../../runtime/devices.js';
import type { NodeKind, NodeSpec } from '../graph/spec.js';
import type { ChatMessage } from '../llm/tokenizer.js';
import type {
  AgentGraph,
  AgentPolicy,
  AgentResources,
  DeviceSet,
  LowerOptions,
  NodePlacement,
  NodeRecord,
  ResolvedPlacement,
} from '../types.js';

export type SpecOf<K extends NodeKind> = Extract<NodeSpec, { kind: K }>;

/** What the checker offers a kind: declared names, template and node references, problems. */
export interface CheckContext {
  nodes: Map<string, NodeSpec>;
  /** A model, index or tool the node names must be declared. */
  need(node: string, section: 'models' | 'indexes' | 'tools', name: string): void;
  /** Every {{reference}} in a template must name a node or an input. */
  template(node: string, field: string, text: string | undefined): void;
  /** Templates anywhere inside a JSON value. */
  deepTemplate(node: string, field: string, value: unknown): void;
  /** A direct reference to a node's output (a path whose head is the node id). */
  ref(node: string, field: string, path: (string | number)[]): void;
  problem(message: string): void;
}

/** What the lowering offers a kind: the builder, the node's inputs as SSA values, the resources. */
export interface LowerContext {
  ag: AgentGraph;
  res: AgentResources;
  opts: LowerOptions;
  g: GraphBuilder;
  /** Values the node reads (data references and control edges into it). */
  ins: Value[];
  /** A zero-length placeholder for nodes that read nothing. */
  empty(): Value;
  /** llm nodes record the prompt tokens they assume. */
  promptTokens: Map<string, number>;
  /** Tokens a {{reference}} to a node adds to a prompt (its kind says). */
  referenceTokens(node: string): number;
}

/** The node's value for its successors, and its IR ops in order (llm: prefill, decode). */
export interface Lowered {
  value: Value;
  ops: Node[];
}

/** An llm node a server serves whole through its chat route, with the costs there. */
export interface ServedOption {
  node: string;
  device: string;
  prefillMs: number;
  perTokenMs: number;
}

/** What the planner offers a kind when it costs the node's ops. */
export interface CostContext {
  ag: AgentGraph;
  res: AgentResources;
  entries: DeviceEntry[];
  estimator: Estimator;
  policy: AgentPolicy;
  host: string;
  hostProfile: DeviceProfile;
  promptTokens: Map<string, number>;
  isRemote(id: string): boolean;
  /** Devices the node may run on (pins, private data). */
  allowed(id: string): DeviceProfile[];
  /** Steady cost of an op on a device, measured or modelled, first-run extras included where cold. */
  estimate(op: Node, p: DeviceProfile, task: string, times?: number): number;
  /** Measured ms of a task on a device in earlier runs. */
  measured(task: string, device: string): number | undefined;
  /** A task of the problem, and the IR op it stands for (edges between tasks follow the ops). */
  task(t: ProblemTask, op: Node): void;
  /** One task on the host at the measured or estimated cost. */
  hostTask(id: string, op: Node, ms?: number): void;
  /** One task on any allowed device, with its local fallback. */
  deviceTask(id: string, op: Node): void;
  /** Where the node goes when a server fails (the fastest local device per phase). */
  localBest: Map<string, NodePlacement>;
  /** The fastest device among `costs` that is not remote. */
  fastestLocal(costs: Record<string, number>): string | undefined;
  served: ServedOption[];
  /** Lines of the plan's `offload` pass. */
  offloadNotes: string[];
}

/** A node's execution: its placement, the run's state and helpers. */
export interface ExecContext {
  id: string;
  record: NodeRecord;
  place: ResolvedPlacement;
  /** This node's placement entry of the current plan (with its fallback). */
  placement?: NodePlacement;
  iteration: number;
  res: AgentResources;
  devices: DeviceSet;
  graph: AgentGraph;
  /** The node's signal: the run's, or its timeout's. */
  signal: AbortSignal;
  /** Race a promise against the node's timeout (which also aborts the signal). */
  withTimeout<T>(p: Promise<T>, what: string): Promise<T>;
  /** A template rendered as text. */
  render(template: string | undefined): string;
  /** A template that is one {{ref}} gives the value itself; anything else its text. */
  value(template: string): unknown;
  /** The latest output of a node. */
  output(node: string): unknown;
  /** The placed Device instance of a device id. */
  device(id: string): Device;
  /** Conversations of llm nodes (a tool node adds its result to the caller's). */
  conversations: Map<string, ChatMessage[]>;
  warn(message: string): void;
  token(text: string): void;
}

export interface NodeKindDef<K extends NodeKind = NodeKind> {
  readonly kind: K;
  /** The node's output carries no private data (a filter); others pass their inputs' taint on. */
  readonly cleansPrivate?: boolean;
  /** Models the node uses, and as what (the loader loads each once, for these roles). */
  models(n: SpecOf<K>): { name: string; as: 'llm' | 'embed' | 'tokenizer' }[];
  /** Tokens a {{reference}} to this node adds to a prompt (`per`: the default for a reference). */
  referenceTokens(n: SpecOf<K>, per: number): number;
  check(id: string, n: SpecOf<K>, c: CheckContext): void;
  lower(id: string, n: SpecOf<K>, c: LowerContext): Lowered;
  cost(id: string, n: SpecOf<K>, ops: Node[], c: CostContext): void;
  /** The device pin of the node for the whole node (llm nodes pin per phase, in cost). */
  pin(n: SpecOf<K>): string | undefined;
  /** Placement from the plan's assignments (task id -> device). */
  placementOf(id: string, where: Map<string, string>): NodePlacement | undefined;
  /** Device ids the node runs on under a placement ('host' for JS nodes). */
  resolve(
    id: string,
    n: SpecOf<K>,
    p: NodePlacement,
    pick: (...c: (string | undefined)[]) => string,
    res: AgentResources,
  ): ResolvedPlacement;
  execute(n: SpecOf<K>, c: ExecContext): Promise<unknown>;
}

/** Helpers most kinds share. */
export const singlePlacement = (id: string, where: Map<string, string>): NodePlacement | undefined => {
  const d = where.get(id);
  return d ? { device: d } : undefined;
};
export const onHost = (): ResolvedPlacement => ({ device: 'host' });
