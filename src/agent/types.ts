// The types agent graphs share across loading, lowering, planning, running and reporting: what a
// loaded graph holds (resources, devices), where a node runs (placement), what a run reports
// (records, events, result), the lowered IR and the plan. One module, so no layer imports another
// layer's implementation for a type.

import type { Device } from '../backends/device.js';
import type { Graph, Node } from '../ir/graph.js';
import type { Plan, Problem } from '../planner/index.js';
import type { Expr } from './graph/expr.js';
import type { GraphSpec, NodeKind, NodeSpec } from './graph/spec.js';
import type { TextTokenizer } from './llm/tokenizer.js';
import type { Embedder, LlmProvider } from './nodes/models.js';
import type { RemoteLlmProvider } from './nodes/remote-llm.js';
import type { ToolImpl } from './nodes/tools.js';
import type { VectorIndex } from './retrieval/types.js';

export type { NodeKind } from './graph/spec.js';

/** A checked agent graph (graph/validate.ts makes it). */
export interface AgentEdge {
  from: string;
  to: string;
  when?: Expr;
  whenSrc?: string;
  loop?: { maxIterations: number; onExhausted: 'stop' | 'error' };
}

export interface AgentLoop {
  edge: AgentEdge;
  body: Set<string>;
}

export interface AgentGraph {
  name: string;
  spec: GraphSpec;
  /** File the graph came from: relative paths resolve against it. */
  source: string;
  nodes: Map<string, NodeSpec>;
  /** Node ids in topological order of the forward edges. */
  order: string[];
  edges: AgentEdge[];
  loops: AgentLoop[];
  /** Node ids and inputs each node reads (templates, queries, tool calls). */
  reads: Map<string, string[]>;
  outputs: string[];
  /** Nodes that read private data not passed through a filter, with the input they see. */
  localOnly: Map<string, string>;
}

export interface AgentResources {
  llms: Map<string, LlmProvider>;
  embedders: Map<string, Embedder>;
  indexes: Map<string, VectorIndex>;
  /** The embedder that turns text queries into vectors for each index. */
  indexEmbedders: Map<string, string>;
  tools: Map<string, ToolImpl>;
  tokenizers: Map<string, TextTokenizer>;
  /**
   * Models an offload server serves with the same weights (attachServedLlms): model name -> remote
   * device id -> the server's chat route. An llm node placed wholly on that device runs there.
   */
  served: Map<string, Map<string, RemoteLlmProvider>>;
}

export function emptyResources(): AgentResources {
  return {
    llms: new Map(),
    embedders: new Map(),
    indexes: new Map(),
    indexEmbedders: new Map(),
    tools: new Map(),
    tokenizers: new Map(),
    served: new Map(),
  };
}

/**
 * Where a node runs: a device id, or for llm nodes one per phase; `fallback` is where it goes
 * when a remote device fails.
 */
export interface NodePlacement {
  device?: string;
  prefill?: string;
  decode?: string;
  fallback?: { device?: string; prefill?: string; decode?: string };
}

/** A node's placement resolved to device ids ('host' for JS nodes). */
export interface ResolvedPlacement {
  device: string;
  prefill?: string;
  decode?: string;
}

/** The placed Device instances an agent runs on: retrieval and the engines get these, not kinds. */
export interface DeviceSet {
  devices: Map<string, Device>;
  /** Device for model nodes that the plan does not place. */
  defaultDevice: string;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  placement?: Map<string, NodePlacement>;
  signal?: AbortSignal;
  /** Node executions allowed per run, besides the loop bounds (default 1000). */
  maxSteps?: number;
  /**
   * Called each time a loop edge is taken, with what ran so far: a new placement for the rest of
   * the run (re-planned with the measured times), or undefined to keep the current one.
   */
  replan?: (records: NodeRecord[]) => Map<string, NodePlacement> | undefined;
}

export interface LlmStats {
  ttftMs: number;
  tpotMs: number;
  tokens: number;
  promptTokens: number;
  prefillDevice: string;
  decodeDevice: string;
  transferMs: number;
  transferBytes: number;
  finishReason: string;
  /** How the node reached its model: the local engine, or a server's /v1/chat/completions. */
  route?: 'engine' | 'chat';
  /** Why it left a remote device for a local one, when it did. */
  fallback?: string;
}

export interface NodeRecord {
  node: string;
  kind: NodeKind;
  iteration: number;
  device: string;
  startMs: number;
  endMs: number;
  status: 'ok' | 'skipped' | 'error';
  llm?: LlmStats;
  error?: string;
}

export type AgentEvent =
  | { type: 'node-start'; node: string; kind: NodeKind; iteration: number; device: string; atMs: number }
  | { type: 'token'; node: string; text: string; atMs: number }
  | { type: 'node-end'; record: NodeRecord }
  | { type: 'loop'; from: string; to: string; iteration: number; atMs: number }
  | { type: 'warning'; message: string; atMs: number };

export interface AgentResult {
  outputs: Record<string, unknown>;
  /** The (first) output node's text. */
  text: string;
  records: NodeRecord[];
  totalMs: number;
  /** From the start of the run to the first token the output llm node streamed. */
  ttftMs?: number;
  /** Time per output token of the output llm node (its last run). */
  tpotMs?: number;
  warnings: string[];
}

export interface LoweredAgent {
  graph: Graph;
  /** IR nodes of each agent node (llm: [prefill, decode]). */
  nodesOf: Map<string, Node[]>;
  /** Prompt tokens assumed for each llm node (for its prefill cost). */
  promptTokens: Map<string, number>;
  /** The agent graph this was lowered from. */
  source: AgentGraph;
}

export interface LowerOptions {
  /** Tokens each {{reference}} in a prompt is assumed to add (default 48). */
  tokensPerReference?: number;
  /** Tokens an embed node's input is assumed to have (default 32). */
  embedTokens?: number;
}

export interface AgentPolicy {
  objective?: 'latency' | 'cost';
  deadlineMs?: number;
  /** Defaults for llm nodes without targets of their own. */
  ttftMs?: number;
  tpotMs?: number;
}

export interface LlmPrediction {
  ttftMs: number;
  tpotMs: number;
  prefill: string;
  decode: string;
  route: 'engine' | 'chat';
}

export interface AgentPlan {
  placement: Map<string, NodePlacement>;
  plan: Plan;
  problem: Problem;
  lowered: LoweredAgent;
  graph: AgentGraph;
  /** Predicted TTFT (from the start of the run) and TPOT of each llm node, and how it reaches its model. */
  llm: Map<string, LlmPrediction>;
  host: string;
  /**
   * This run's prediction is plan.makespanMs, first-run costs included where a model's step graph
   * is not compiled on its device yet (`cold`: task -> ms on the device placed); steadyMs: the same
   * placement once everything is compiled.
   */
  firstRun: { extraMs: number; cold: Map<string, { device: string; ms: number }> };
  steadyMs: number;
}
