// Agent graph -> IR in the agent.* dialect. Each node becomes one op (an llm node two: prefill and
// decode, with the KV cache as the value between them, so placing them apart costs its transfer);
// model nodes carry their model as nn.* body graphs (encoder, prefill chunk, decode step). Data
// references become SSA edges; control edges without data become ordering edges; loop edges are
// left out (the IR is one iteration of the loop body; the runtime unrolls).

import { GraphBuilder } from '../../ir/builder.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmModel } from '../llm/engine.js';
import { weightsBytes } from '../llm/engine.js';
import { buildFullGraph, buildStepGraph, ropeTables } from '../llm/model.js';
import { EngineProvider, ModelEmbedder } from '../nodes/models.js';
import { type ToolImpl, toolsPrompt } from '../nodes/tools.js';
import type { AgentResources } from '../runtime/run.js';
import { templateRefs } from './expr.js';
import type { AgentGraph } from './validate.js';

export interface LoweredAgent {
  graph: Graph;
  /** IR nodes of each agent node (llm: [prefill, decode]). */
  nodesOf: Map<string, Node[]>;
  /** Prompt tokens assumed for each llm node (for its prefill cost). */
  promptTokens: Map<string, number>;
}

export interface LowerOptions {
  /** Tokens each {{reference}} in a prompt is assumed to add (default 48). */
  tokensPerReference?: number;
  /** Tokens an embed node's input is assumed to have (default 32). */
  embedTokens?: number;
}

const bucketOf = (n: number, engine: EngineProvider['engine']) =>
  engine.buckets.find((b) => b >= n) ?? engine.buckets[engine.buckets.length - 1]!;

export function lowerAgent(ag: AgentGraph, res: AgentResources, o: LowerOptions = {}): LoweredAgent {
  const g = new GraphBuilder(ag.name, 24);
  const values = new Map<string, Value>();
  const nodesOf = new Map<string, Node[]>();
  const promptTokens = new Map<string, number>();
  const inputs = new Map<string, Value>();
  for (const name of Object.keys(ag.spec.inputs ?? {}))
    inputs.set(name, g.input(`input_${name}`, 'uint8', [`len_${name}`]));
  const empty = () => g.constant(new Tensor('uint8', new Uint8Array(0), [0]));
  const readsOf = (id: string): Value[] => {
    const out: Value[] = [];
    const add = (v: Value | undefined) => {
      if (v && !out.includes(v)) out.push(v);
    };
    for (const r of ag.reads.get(id) ?? []) add(r.startsWith('inputs.') ? inputs.get(r.slice(7)) : values.get(r));
    // control edges order nodes even without data
    for (const e of ag.edges) if (!e.loop && e.to === id) add(values.get(e.from));
    return out;
  };

  for (const id of ag.order) {
    const n = ag.nodes.get(id)!;
    const ins = readsOf(id);
    switch (n.kind) {
      case 'filter':
        values.set(
          id,
          g.op('agent.filter', ins.length ? ins : [empty()], { kinds: n.redact ?? [], mode: n.mode ?? 'redact' }, id),
        );
        break;
      case 'convert':
        values.set(id, g.op('agent.convert', ins.length ? ins.slice(0, 1) : [empty()], { from: n.from, to: n.to }, id));
        break;
      case 'tool':
        values.set(
          id,
          g.op(
            'agent.tool',
            ins,
            { tool: n.tool ?? `${n.call}.toolCall`, est_ms: 1, timeout_ms: n.timeoutMs ?? 10000 },
            id,
          ),
        );
        break;
      case 'embed': {
        const e = res.embedders.get(n.model);
        const attrs: Record<string, number | string | Graph> = { model: n.model, dim: e?.dim ?? 0 };
        if (e instanceof ModelEmbedder) {
          attrs.body = buildFullGraph(e.model.config, e.model.weights, o.embedTokens ?? 32, 'embed');
          attrs.weight_bytes = weightsBytes(e.model.weights);
        }
        values.set(id, g.op('agent.embed', ins.length ? ins.slice(0, 1) : [empty()], attrs, id));
        break;
      }
      case 'retrieve': {
        const ix = res.indexes.get(n.index);
        values.set(
          id,
          g.op(
            'agent.retrieve',
            ins.length ? ins.slice(0, 1) : [empty()],
            { index: n.index, method: ix?.kind ?? 'exact', k: n.k ?? 4, docs: ix?.size ?? 0, dim: ix?.dim ?? 0 },
            id,
          ),
        );
        break;
      }
      case 'llm': {
        const p = res.llms.get(n.model);
        const model: LlmModel | undefined = p instanceof EngineProvider ? p.model : undefined;
        const refs = [n.prompt, n.system, ...(n.messages ?? []).map((m) => m.content)].filter((s): s is string => !!s);
        const tools = (n.tools ?? []).map((t) => [t, res.tools.get(t)!] as [string, ToolImpl]).filter(([, t]) => t);
        const staticText = [
          ...refs.map((s) => s.replace(/\{\{[^}]*\}\}/g, '')),
          tools.length ? toolsPrompt(tools) : '',
        ].join('\n');
        const tok = model?.tokenizer;
        const count = (s: string) => (tok ? tok.encode(s).length : Math.ceil(s.length / 4));
        // what a reference adds: retrieved documents are k excerpts, generated text up to max_tokens
        const refTokens = (r: string) => {
          const src = ag.nodes.get(r);
          const per = o.tokensPerReference ?? 48;
          if (src?.kind === 'retrieve') return (src.k ?? 4) * per;
          if (src?.kind === 'llm') return src.maxTokens ?? 64;
          return per;
        };
        const nRefTokens = refs.reduce(
          (a, s) => a + templateRefs(s).reduce((b, r) => b + refTokens(String(r.path[0])), 0),
          0,
        );
        const est = count(staticText) + nRefTokens + 8 * (refs.length + 1);
        const maxTokens = n.maxTokens ?? 64;
        const prompt = model ? Math.min(est, model.config.contextLength - maxTokens) : est;
        promptTokens.set(id, prompt);
        const c = model?.config;
        const engine = p instanceof EngineProvider ? p.engine : undefined;
        const capacity = engine?.capacity ?? 1;
        const common = { model: n.model, weight_bytes: model ? weightsBytes(model.weights) : 0 };
        const pre: Record<string, number | string | Graph> = {
          ...common,
          prompt_tokens: prompt,
          layers: c?.numLayers ?? 1,
          kv_heads: c?.numKvHeads ?? 1,
          capacity,
          head_dim: c?.headDim ?? 1,
          ttft_ms: n.ttftMs ?? ag.spec.sla?.ttftMs ?? 0,
        };
        const dec: Record<string, number | string | Graph> = {
          ...common,
          max_tokens: maxTokens,
          tpot_ms: n.tpotMs ?? ag.spec.sla?.tpotMs ?? 0,
        };
        if (model && engine) {
          const rope = c!.arch === 'llama' ? ropeTables(c!) : undefined;
          pre.body = buildStepGraph(c!, model.weights, { seq: bucketOf(prompt, engine), capacity }, rope);
          dec.body = buildStepGraph(c!, model.weights, { seq: 1, capacity }, rope);
        }
        const [kv, first] = g.opN('agent.prefill', ins.length ? ins : [empty()], pre, 2, `${id}.prefill`);
        const out = g.op('agent.decode', [kv!, first!], dec, `${id}.decode`);
        values.set(id, out);
        nodesOf.set(id, [kv!.producer!, out.producer!]);
        continue;
      }
    }
    nodesOf.set(id, [values.get(id)!.producer!]);
  }
  for (const o2 of ag.outputs) g.output(values.get(o2)!, `output_${o2}`);
  return { graph: g.build(), nodesOf, promptTokens };
}
