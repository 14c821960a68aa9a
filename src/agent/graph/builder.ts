// Agent graphs in TypeScript. The builder writes the same spec the file format holds (and checks it
// with the same rules); models, tools and indexes may be given as live objects instead of paths.
//
//   const g = agentGraph('rag')
//     .input('question', { private: true })
//     .model('chat', chatModel).model('embedder', embedModel)
//     .tool('calculator', { builtin: 'calculator' })
//     .index('docs', index, 'embedder')
//     .filter('redact', { input: '{{inputs.question}}' })
//     .retrieve('search', { index: 'docs', query: '{{redact}}', k: 3 })
//     .llm('answer', { model: 'chat', prompt: '{{search}}\n\n{{redact}}', tools: ['calculator'] })
//     .tool('call', { call: 'answer' })
//     .edge('redact', 'search').edge('search', 'answer')
//     .edge('answer', 'call', 'answer.toolCall').loop('call', 'answer', 3)
//     .output('answer');
//   const agent = await g.prepare();
//   for await (const e of agent.runner.run({ inputs: { question: '…' } })) …

import type { LlmModel } from '../llm/engine.js';
import { declaredBy, type LoadAgentOptions, type LoadedAgent, prepareAgent } from '../load.js';
import type { Embedder, LlmProvider } from '../nodes/models.js';
import type { ToolImpl } from '../nodes/tools.js';
import type { VectorIndex } from '../retrieval/types.js';
import type { DeviceSet } from '../types.js';
import type {
  ConvertNodeSpec,
  EdgeSpec,
  EmbedNodeSpec,
  FilterNodeSpec,
  GraphSpec,
  IndexSpec,
  InputSpec,
  LlmNodeSpec,
  ModelSpec,
  RetrieveNodeSpec,
  SlaSpec,
  ToolNodeSpec,
  ToolSpec,
} from './spec.js';
import { type AgentGraph, checkAgentGraph } from './validate.js';

type Opts<T> = Omit<T, 'kind'>;

export class AgentGraphBuilder {
  private readonly spec: GraphSpec & { inputs: NonNullable<GraphSpec['inputs']>; edges: EdgeSpec[] };
  private readonly live: LoadAgentOptions & {
    models: Record<string, LlmModel>;
    llms: Record<string, LlmProvider>;
    embedders: Record<string, Embedder>;
    indexes: Record<string, VectorIndex>;
    tools: Record<string, ToolImpl>;
  } = { models: {}, llms: {}, embedders: {}, indexes: {}, tools: {} };
  private readonly indexEmbed = new Map<string, string>();

  constructor(name = 'agent') {
    this.spec = { version: 1, name, inputs: {}, nodes: {}, edges: [], output: [] };
  }

  input(name: string, spec: InputSpec = {}): this {
    this.spec.inputs[name] = spec;
    return this;
  }

  /**
   * A model: a loaded LlmModel (used as llm and/or embedder as nodes need), a provider, an
   * embedder, or a path spec.
   */
  model(name: string, m: LlmModel | LlmProvider | Embedder | ModelSpec): this {
    if ('weights' in m && 'config' in m) this.live.models[name] = m;
    else if ('chat' in m) this.live.llms[name] = m;
    else if ('embed' in m) this.live.embedders[name] = m;
    else (this.spec.models ??= {})[name] = m;
    return this;
  }

  tool(name: string, t: ToolImpl | ToolImpl['run'] | ToolSpec): this {
    if (typeof t === 'function') this.live.tools[name] = { run: t };
    else if ('run' in t) this.live.tools[name] = t;
    else (this.spec.tools ??= {})[name] = t;
    return this;
  }

  /** An index object (with the embedder that embeds text queries for it), or a spec. */
  index(name: string, ix: VectorIndex | IndexSpec, embedWith?: string): this {
    if ('search' in ix) {
      this.live.indexes[name] = ix;
      if (embedWith) this.indexEmbed.set(name, embedWith);
    } else (this.spec.indexes ??= {})[name] = ix;
    return this;
  }

  llm(id: string, o: Opts<LlmNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'llm', ...o };
    return this;
  }
  embed(id: string, o: Opts<EmbedNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'embed', ...o };
    return this;
  }
  retrieve(id: string, o: Opts<RetrieveNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'retrieve', ...o };
    return this;
  }
  call(id: string, o: Opts<ToolNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'tool', ...o };
    return this;
  }
  convert(id: string, o: Opts<ConvertNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'convert', ...o };
    return this;
  }
  filter(id: string, o: Opts<FilterNodeSpec>): this {
    this.spec.nodes[id] = { kind: 'filter', ...o };
    return this;
  }

  edge(from: string, to: string, when?: string): this {
    this.spec.edges.push(when ? { from, to, when } : [from, to]);
    return this;
  }
  /** The edge that closes a cycle, taken at most maxIterations times. */
  loop(from: string, to: string, maxIterations: number, onExhausted: 'stop' | 'error' = 'stop'): this {
    this.spec.edges.push({ from, to, loop: { maxIterations, onExhausted } });
    return this;
  }
  output(...ids: string[]): this {
    this.spec.output = ids.length === 1 ? ids[0]! : ids;
    return this;
  }
  sla(s: SlaSpec): this {
    this.spec.sla = s;
    return this;
  }

  /** The plain spec (what a YAML file would hold, without the live objects). */
  toSpec(): GraphSpec {
    const s = structuredClone(this.spec) as GraphSpec;
    if (!this.spec.edges.length) delete s.edges;
    return s;
  }

  build(): { graph: AgentGraph; options: LoadAgentOptions } {
    const graph = checkAgentGraph(this.toSpec(), this.spec.name ?? 'agent', declaredBy(this.live));
    return { graph, options: this.live };
  }

  async prepare(devices?: DeviceSet): Promise<LoadedAgent> {
    const { graph, options } = this.build();
    const agent = await prepareAgent(graph, { ...options, devices });
    for (const [ix, e] of this.indexEmbed) agent.resources.indexEmbedders.set(ix, e);
    return agent;
  }
}

export function agentGraph(name?: string): AgentGraphBuilder {
  return new AgentGraphBuilder(name);
}
