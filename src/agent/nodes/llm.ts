// The llm node kind. Lowered to two ops, agent.prefill and agent.decode, joined by the KV cache
// (so placing the phases apart costs its transfer), each carrying the engine's step graph as its
// body (the planner costs the graph the engine compiles on each device). Costed as two planner
// tasks with the node's TTFT and TPOT targets; a server that serves the model may run both phases
// through its chat route (an option the planner tries). Executed by streaming the engine's (or the
// server's) tokens, keeping the conversation across loop iterations.

import type { Graph, Node } from '../../ir/graph.js';
import { templateRefs } from '../graph/expr.js';
import type { GenerationResult } from '../llm/engine.js';
import { type LlmModel, weightsBytes } from '../llm/engine.js';
import type { ChatMessage } from '../llm/tokenizer.js';
import type { ExecContext, NodeKindDef, SpecOf } from './kind.js';
import { llmCost } from './llm-cost.js';
import { llmGeneration } from './llm-route.js';
import { type ChatRequest, EngineProvider } from './models.js';
import { parseToolCall, type ToolImpl, toolsPrompt } from './tools.js';

export const llmKind: NodeKindDef<'llm'> = {
  kind: 'llm',
  models: (n) => [{ name: n.model, as: 'llm' }],
  // a reference to generated text adds up to max_tokens
  referenceTokens: (n) => n.maxTokens ?? 64,
  check(id, n, c) {
    c.need(id, 'models', n.model);
    if (n.prompt === undefined && !n.messages?.length) c.problem(`node '${id}' (llm): give 'prompt' or 'messages'`);
    c.template(id, 'prompt', n.prompt);
    c.template(id, 'system', n.system);
    n.messages?.forEach((m, i) => c.template(id, `messages.${i}.content`, m.content));
    for (const t of n.tools ?? []) c.need(id, 'tools', t);
  },
  lower(id, n, c) {
    const p = c.res.llms.get(n.model);
    const model: LlmModel | undefined = p instanceof EngineProvider ? p.model : undefined;
    const texts = [n.prompt, n.system, ...(n.messages ?? []).map((m) => m.content)].filter((s): s is string => !!s);
    const tools = (n.tools ?? []).map((t) => [t, c.res.tools.get(t)!] as [string, ToolImpl]).filter(([, t]) => t);
    const staticText = [...texts.map((s) => s.replace(/\{\{[^}]*\}\}/g, '')), tools.length ? toolsPrompt(tools) : ''];
    const tok = model?.tokenizer;
    const count = (s: string) => (tok ? tok.encode(s).length : Math.ceil(s.length / 4));
    const refTokens = texts.reduce(
      (a, s) => a + templateRefs(s).reduce((b, r) => b + c.referenceTokens(String(r.path[0])), 0),
      0,
    );
    const est = count(staticText.join('\n')) + refTokens + 8 * (texts.length + 1);
    const maxTokens = n.maxTokens ?? 64;
    const prompt = model ? Math.min(est, model.config.contextLength - maxTokens) : est;
    c.promptTokens.set(id, prompt);
    const cfg = model?.config;
    const engine = p instanceof EngineProvider ? p.engine : undefined;
    const capacity = engine?.capacity ?? 1;
    const sla = c.ag.spec.sla;
    const common = { model: n.model, weight_bytes: model ? weightsBytes(model.weights) : 0 };
    const pre: Record<string, number | string | Graph> = {
      ...common,
      prompt_tokens: prompt,
      layers: cfg?.numLayers ?? 1,
      kv_heads: cfg?.numKvHeads ?? 1,
      capacity,
      head_dim: cfg?.headDim ?? 1,
      ttft_ms: n.ttftMs ?? sla?.ttftMs ?? 0,
    };
    const dec: Record<string, number | string | Graph> = {
      ...common,
      max_tokens: maxTokens,
      tpot_ms: n.tpotMs ?? sla?.tpotMs ?? 0,
    };
    if (engine) {
      // the graphs the engine compiles on its phases' devices; the planner costs each device's own
      // (plan-costs.ts bodyOn), so these print the model and cost the remote devices' roofline
      const at = engine.placement;
      pre.body = engine.stepGraph(at.prefill, engine.bucketOf(prompt));
      dec.body = engine.stepGraph(at.decode, 1);
    }
    const [kv, first] = c.g.opN('agent.prefill', c.ins.length ? c.ins : [c.empty()], pre, 2, `${id}.prefill`);
    const value = c.g.op('agent.decode', [kv!, first!], dec, `${id}.decode`);
    return { value, ops: [kv!.producer!, value.producer!] };
  },
  cost(id, n, ops, c) {
    const [pre, dec] = ops as [Node, Node];
    if (!pre.attrs.body) {
      // a provider the engine does not run (a function, an external service): one task on the host
      c.task({ id: `${id}.prefill`, costMs: { [c.host]: c.measured(id, c.host) ?? 1 } }, pre);
      c.task({ id: `${id}.decode`, costMs: { [c.host]: 0 } }, dec);
      return;
    }
    llmCost(id, n, pre, dec, c);
  },
  pin: () => undefined,
  placementOf(id, where) {
    const pre = where.get(`${id}.prefill`),
      dec = where.get(`${id}.decode`);
    return pre && dec ? { prefill: pre, decode: dec } : undefined;
  },
  resolve(_id, n, p, pick) {
    const prefill = pick(p.prefill, p.device, n.prefillDevice, n.device);
    const decode = pick(p.decode, p.device, n.decodeDevice, n.device);
    return { device: prefill === decode ? prefill : `${prefill}+${decode}`, prefill, decode };
  },
  execute: executeLlm,
};

async function executeLlm(n: SpecOf<'llm'>, c: ExecContext): Promise<unknown> {
  const { id, res } = c;
  const provider = res.llms.get(n.model);
  if (!provider) throw new Error(`node '${id}': model '${n.model}' is not a language model`);
  let conv = c.conversations.get(id);
  if (!conv || c.iteration === 0) {
    conv = [] as ChatMessage[];
    const tools = (n.tools ?? []).map((t) => [t, res.tools.get(t)!] as [string, ToolImpl]);
    const sys = [c.render(n.system), tools.length ? toolsPrompt(tools) : ''].filter(Boolean).join('\n\n');
    if (sys) conv.push({ role: 'system', content: sys });
    for (const m of n.messages ?? []) conv.push({ role: m.role, content: c.render(m.content) });
    if (n.prompt !== undefined) conv.push({ role: 'user', content: c.render(n.prompt) });
    c.conversations.set(id, conv);
  }
  const req: ChatRequest = {
    messages: [...conv],
    raw: n.chat === false,
    maxTokens: n.maxTokens ?? 64,
    temperature: n.temperature,
    topK: n.topK,
    topP: n.topP,
    seed: n.seed,
    repetitionPenalty: n.repetitionPenalty,
    stop: n.stop,
    node: id,
    signal: c.signal,
  };
  const { gen, route } = llmGeneration(n, provider, req, c);
  const stream = async () => {
    for await (const t of gen) if (t.text) c.token(t.text);
    return gen.result;
  };
  const r: GenerationResult = await c.withTimeout(stream(), 'generation');
  c.record.llm = {
    ttftMs: r.ttftMs,
    tpotMs: r.tpotMs,
    tokens: r.tokens.length,
    promptTokens: r.promptTokens,
    prefillDevice: r.prefillDevice,
    decodeDevice: r.decodeDevice,
    transferMs: r.transferMs,
    transferBytes: r.transferBytes,
    finishReason: r.finishReason,
    route: r.fallback ? 'engine' : route,
    ...(r.fallback ? { fallback: r.fallback } : {}),
  };
  if (r.fallback)
    c.record.device = r.prefillDevice === r.decodeDevice ? r.prefillDevice : `${r.prefillDevice}+${r.decodeDevice}`;
  const toolCall = n.tools?.length ? parseToolCall(r.text, n.tools) : undefined;
  conv.push({ role: 'assistant', content: r.text });
  return { text: r.text, toolCall, tokens: r.tokens.length, finishReason: r.finishReason };
}
