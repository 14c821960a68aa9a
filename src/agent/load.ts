// From a graph file to a runnable agent: parse and check the graph, load its models (one load per
// model, shared by every node that names it), open or build its indexes, and bind its tools
// (built-ins, modules next to the graph, or functions the caller passes).

import { localDevices } from './devices.js';
import { readBytes, readText, resolveNear } from './files.js';
import type { ToolSpec } from './graph/spec.js';
import { type AgentGraph, parseAgentGraph } from './graph/validate.js';
import type { LlmModel } from './llm/engine.js';
import { loadLlm } from './llm/load.js';
import { type Embedder, EngineProvider, type LlmProvider, ModelEmbedder } from './nodes/models.js';
import { kindOf } from './nodes/registry.js';
import { RemoteLlmProvider } from './nodes/remote-llm.js';
import { BUILTIN_TOOLS, type ToolImpl } from './nodes/tools.js';
import { ExactIndex } from './retrieval/exact.js';
import { HnswIndex } from './retrieval/hnsw.js';
import { loadIndex } from './retrieval/persist.js';
import type { StoredDoc, VectorIndex } from './retrieval/types.js';
import { AgentRunner } from './runtime/run.js';
import { type AgentResources, type DeviceSet, emptyResources } from './types.js';

export interface LoadAgentOptions {
  devices?: DeviceSet;
  /** Tool implementations by name (override or complete the graph's tools). */
  tools?: Record<string, ToolImpl | ToolImpl['run']>;
  /** Models already loaded (used for llm and/or embed nodes as the graph needs). */
  models?: Record<string, LlmModel>;
  /** Models by name, already loaded or served elsewhere (override the graph's paths). */
  llms?: Record<string, LlmProvider>;
  embedders?: Record<string, Embedder>;
  indexes?: Record<string, VectorIndex>;
  /** Progress lines while loading (models, index building). */
  onProgress?: (line: string) => void;
}

export interface LoadedAgent {
  graph: AgentGraph;
  resources: AgentResources;
  devices: DeviceSet;
  runner: AgentRunner;
  models: Map<string, LlmModel>;
  dispose(): void;
}

const asTool = (t: ToolImpl | ToolImpl['run']): ToolImpl => (typeof t === 'function' ? { run: t } : t);

export async function bindTool(name: string, spec: ToolSpec, source: string, given?: ToolImpl): Promise<ToolImpl> {
  let impl = given;
  if (!impl && spec.builtin) {
    impl = BUILTIN_TOOLS[spec.builtin];
    if (!impl)
      throw new Error(
        `${source}: tool '${name}': there is no built-in tool '${spec.builtin}' ` +
          `(built-ins: ${Object.keys(BUILTIN_TOOLS).join(', ')})`,
      );
  }
  if (!impl && spec.module) {
    const loc = resolveNear(source, spec.module);
    let mod: Record<string, unknown>;
    try {
      const urlSpec = 'node:url'; // a variable keeps bundlers from pulling node:url into browser builds
      const url = /^[a-z]+:/i.test(loc)
        ? loc
        : ((await import(/* @vite-ignore */ urlSpec)) as typeof import('node:url')).pathToFileURL(loc).href;
      mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${source}: tool '${name}': module ${spec.module} could not be loaded: ${(e as Error).message}`);
    }
    const exp = mod[spec.export ?? name] ?? mod.default;
    if (!exp)
      throw new Error(
        `${source}: tool '${name}': module ${spec.module} exports neither '${spec.export ?? name}' nor a default`,
      );
    impl = asTool(exp as ToolImpl);
  }
  if (!impl)
    throw new Error(
      `${source}: tool '${name}' has no implementation: give 'builtin' or 'module', or pass it to the runner`,
    );
  return {
    ...impl,
    description: spec.description ?? impl.description,
    parameters: spec.parameters ?? impl.parameters,
    timeoutMs: spec.timeoutMs ?? impl.timeoutMs,
  };
}

async function readDocuments(docs: string[] | string, source: string): Promise<StoredDoc[]> {
  if (Array.isArray(docs)) return docs.map((text, i) => ({ id: String(i + 1), text }));
  const loc = resolveNear(source, docs);
  const text = await readText(loc);
  if (loc.endsWith('.jsonl')) {
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l, i) => {
        let o: { id?: unknown; text?: unknown };
        try {
          o = JSON.parse(l) as typeof o;
        } catch {
          throw new Error(`${loc}: line ${i + 1} is not JSON`);
        }
        if (typeof o.text !== 'string') throw new Error(`${loc}: line ${i + 1} has no "text" string`);
        const { id, text: t, ...meta } = o as Record<string, unknown>;
        return { id: String(id ?? i + 1), text: t as string, meta: Object.keys(meta).length ? meta : undefined };
      });
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((t, i) => ({ id: String(i + 1), text: t }));
}

/** Build an index by embedding documents (progress every quarter). */
export async function buildIndex(
  docs: StoredDoc[],
  embedder: Embedder,
  kind: 'exact' | 'hnsw' = 'hnsw',
  metric: 'cosine' | 'dot' | 'l2' = 'cosine',
  onProgress?: (line: string) => void,
): Promise<ExactIndex | HnswIndex> {
  const ix = kind === 'exact' ? new ExactIndex(embedder.dim, { metric }) : new HnswIndex(embedder.dim, { metric });
  let shown = 0;
  for (let i = 0; i < docs.length; i++) {
    ix.add(await embedder.embed(docs[i]!.text), docs[i]!);
    const pct = Math.floor(((i + 1) / docs.length) * 4);
    if (onProgress && pct > shown) {
      shown = pct;
      onProgress(`embedding documents ${i + 1}/${docs.length}`);
    }
  }
  return ix;
}

export function declaredBy(opts: LoadAgentOptions) {
  return {
    tools: Object.keys(opts.tools ?? {}),
    models: [...Object.keys(opts.llms ?? {}), ...Object.keys(opts.embedders ?? {}), ...Object.keys(opts.models ?? {})],
    indexes: Object.keys(opts.indexes ?? {}),
  };
}

export async function loadAgent(path: string, opts: LoadAgentOptions = {}): Promise<LoadedAgent> {
  const text = await readText(path);
  const declared = declaredBy(opts);
  const graph = parseAgentGraph(text, path, declared);
  return prepareAgent(graph, opts);
}

/** Load what a checked graph names and make its runner. */
export async function prepareAgent(graph: AgentGraph, opts: LoadAgentOptions = {}): Promise<LoadedAgent> {
  const spec = graph.spec;
  const source = graph.source;
  const devices = opts.devices ?? (await localDevices());
  const res = emptyResources();
  const dev = devices.devices.get(devices.defaultDevice)!;
  const models = new Map<string, LlmModel>();
  const usedAsLlm = new Set<string>(),
    usedAsEmbed = new Set<string>();
  for (const n of graph.nodes.values())
    for (const m of kindOf(n).models(n)) {
      if (m.as === 'llm') usedAsLlm.add(m.name);
      if (m.as === 'embed') usedAsEmbed.add(m.name);
    }
  for (const ix of Object.values(spec.indexes ?? {})) if ('embed' in ix && ix.embed) usedAsEmbed.add(ix.embed);
  const embedders: ModelEmbedder[] = [];
  const adopt = (name: string, model: LlmModel, m: { kind?: 'llm' | 'embed'; capacity?: number } = {}) => {
    models.set(name, model);
    if (model.tokenizer) res.tokenizers.set(name, model.tokenizer);
    if (usedAsLlm.has(name) || m.kind === 'llm')
      res.llms.set(name, new EngineProvider(model, { prefill: dev, capacity: m.capacity }));
    if (usedAsEmbed.has(name) || m.kind === 'embed') {
      const e = new ModelEmbedder(model, dev);
      embedders.push(e);
      res.embedders.set(name, e);
    }
  };
  for (const [name, m] of Object.entries(spec.models ?? {})) {
    if (opts.llms?.[name] || opts.embedders?.[name] || opts.models?.[name]) continue;
    if (!!m.path === !!m.url)
      throw new Error(
        `${source}: model '${name}': give exactly one of 'path' (a checkpoint) or 'url' (an OpenAI-compatible server)`,
      );
    if (m.url) {
      if (usedAsEmbed.has(name))
        throw new Error(`${source}: model '${name}' is served at ${m.url}; embed nodes need a local model (path)`);
      res.llms.set(name, new RemoteLlmProvider({ url: m.url, model: m.model ?? name, token: m.token, name }));
      continue;
    }
    opts.onProgress?.(`loading model '${name}' from ${m.path}`);
    adopt(
      name,
      await loadLlm(resolveNear(source, m.path!), {
        name,
        tokenizer: m.tokenizer && resolveNear(source, m.tokenizer),
        quantization: m.quantization,
      }),
      m,
    );
  }
  for (const [name, model] of Object.entries(opts.models ?? {})) adopt(name, model, spec.models?.[name]);
  for (const [k, v] of Object.entries(opts.llms ?? {})) res.llms.set(k, v);
  for (const [k, v] of Object.entries(opts.embedders ?? {})) res.embedders.set(k, v);
  for (const [name, t] of Object.entries(spec.tools ?? {}))
    res.tools.set(name, await bindTool(name, t, source, opts.tools?.[name] && asTool(opts.tools[name]!)));
  for (const [k, v] of Object.entries(opts.tools ?? {})) if (!res.tools.has(k)) res.tools.set(k, asTool(v));
  for (const [name, ix] of Object.entries(spec.indexes ?? {})) {
    if (opts.indexes?.[name]) continue;
    if ('path' in ix) {
      const loc = resolveNear(source, ix.path);
      res.indexes.set(name, loadIndex(await readBytes(loc), loc, { backend: ix.backend }));
    } else {
      const e = res.embedders.get(ix.embed);
      if (!e) throw new Error(`${source}: index '${name}': model '${ix.embed}' is not an embedding model`);
      const docs = await readDocuments(ix.documents, source);
      opts.onProgress?.(`building ${ix.kind ?? 'hnsw'} index '${name}' from ${docs.length} documents`);
      res.indexes.set(name, await buildIndex(docs, e, ix.kind, ix.metric, opts.onProgress));
    }
    if (ix.embed) res.indexEmbedders.set(name, ix.embed);
  }
  for (const [k, v] of Object.entries(opts.indexes ?? {})) res.indexes.set(k, v);
  const runner = new AgentRunner(graph, res, devices);
  return {
    graph,
    resources: res,
    devices,
    runner,
    models,
    dispose() {
      for (const p of res.llms.values()) if (p instanceof EngineProvider) p.engine.dispose();
      for (const e of embedders) e.dispose();
      for (const ix of res.indexes.values()) if (ix instanceof ExactIndex) void ix.dispose();
    },
  };
}
