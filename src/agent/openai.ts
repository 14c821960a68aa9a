// OpenAI-compatible chat completions over Switchyard's LLM runtime, since that is what users' tools
// already speak: `POST /v1/chat/completions` (JSON or, with "stream": true, server-sent events of
// chat.completion.chunk objects ending in `data: [DONE]`) and `GET /v1/models`. Framework-agnostic:
// a request body in, a status with JSON or a stream of SSE text out, so the offload server (or any
// HTTP framework) mounts it; `fetchHandler` wraps it as web-standard Request -> Response.
// Errors are {"error": {"code", "message", "type", "param"}}: the offload protocol's shape and
// OpenAI's at once.

import { z } from 'zod';
import type { Generation } from './llm/engine.js';
import type { ChatMessage } from './llm/tokenizer.js';
import type { LlmProvider } from './nodes/models.js';
import { parseToolCall, toolsPrompt, type ToolImpl } from './nodes/tools.js';

const message = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(z.unknown()).optional(),
}).passthrough();

export const chatRequest = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().optional(),
  n: z.literal(1).optional(),
  tools: z.array(z.object({
    type: z.literal('function'),
    function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }).passthrough(),
  }).passthrough()).optional(),
  tool_choice: z.unknown().optional(),
  user: z.string().optional(),
}).passthrough();
export type ChatRequestBody = z.infer<typeof chatRequest>;

export type ChatResult =
  | { status: number; json: unknown }
  | { status: 200; stream: AsyncIterable<string> };

export interface ChatModels {
  get(name: string): LlmProvider | undefined;
  names(): string[];
}

const err = (status: number, code: string, message: string, param?: string): ChatResult => ({
  status,
  json: { error: { code, message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: param ?? null } },
});

const textOf = (c: z.infer<typeof message>['content']): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => p.text ?? '').join('') : '';

let counter = 0;
const newId = () => `chatcmpl-${Date.now().toString(36)}${(counter++).toString(36)}`;

export function listModels(models: ChatModels): unknown {
  return { object: 'list', data: models.names().map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' })) };
}

/** Handle one chat completion request body (already parsed JSON). */
export async function chatCompletion(body: unknown, models: ChatModels, signal?: AbortSignal): Promise<ChatResult> {
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return err(400, 'bad_request', `${i.path.join('.') || 'body'}: ${i.message}`, i.path.join('.') || undefined);
  }
  const r = parsed.data;
  const provider = models.get(r.model);
  if (!provider) return err(404, 'model_not_found', `model '${r.model}' is not served here (models: ${models.names().join(', ') || 'none'})`, 'model');
  const tools: [string, ToolImpl][] = (r.tools ?? []).map((t) => [t.function.name, { description: t.function.description, parameters: t.function.parameters, run: () => undefined }]);
  const messages: ChatMessage[] = r.messages.map((m) => {
    let content = textOf(m.content);
    if (m.role === 'assistant' && m.tool_calls?.length && !content) {
      content = (m.tool_calls as { function?: { name: string; arguments: string } }[]).map((c) => `<tool_call>{"name": ${JSON.stringify(c.function?.name)}, "arguments": ${c.function?.arguments ?? '{}'}}</tool_call>`).join('');
    }
    return { role: m.role === 'developer' ? 'system' : m.role, content, ...(m.name ? { name: m.name } : {}) };
  });
  if (tools.length) {
    const sys = messages.findIndex((m) => m.role === 'system');
    const p = toolsPrompt(tools);
    if (sys >= 0) messages[sys] = { ...messages[sys]!, content: `${messages[sys]!.content}\n\n${p}` }; else messages.unshift({ role: 'system', content: p });
  }
  let gen: Generation;
  try {
    gen = provider.chat({
      messages, maxTokens: r.max_completion_tokens ?? r.max_tokens ?? 256, temperature: r.temperature ?? 1, topP: r.top_p, topK: r.top_k,
      seed: r.seed, stop: typeof r.stop === 'string' ? [r.stop] : r.stop, signal, node: `chat:${r.model}`,
    });
  } catch (e) {
    return err(400, 'bad_request', (e as Error).message);
  }
  const id = newId();
  const created = Math.floor(Date.now() / 1000);
  const finishOf = (reason: string, call: boolean) => (call ? 'tool_calls' : reason === 'length' ? 'length' : 'stop');
  const toolCalls = (text: string) => {
    const c = tools.length ? parseToolCall(text, tools.map(([n]) => n)) : undefined;
    return c ? [{ id: `call_${id.slice(9)}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }] : undefined;
  };
  if (!r.stream) {
    try {
      const res = await gen.collect();
      const calls = toolCalls(res.text);
      return {
        status: 200,
        json: {
          id, object: 'chat.completion', created, model: r.model,
          choices: [{ index: 0, message: { role: 'assistant', content: calls ? null : res.text, ...(calls ? { tool_calls: calls } : {}) }, finish_reason: finishOf(res.finishReason, !!calls), logprobs: null }],
          usage: { prompt_tokens: res.promptTokens, completion_tokens: res.tokens.length, total_tokens: res.promptTokens + res.tokens.length },
          timings: { ttft_ms: res.ttftMs, tpot_ms: res.tpotMs, prefill_device: res.prefillDevice, decode_device: res.decodeDevice },
        },
      };
    } catch (e) {
      return err(/context length|capacity|vocabulary|must be/.test((e as Error).message) ? 400 : 500, 'run_failed', (e as Error).message);
    }
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: r.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`;
  const includeUsage = r.stream_options?.include_usage === true;
  async function* sse(): AsyncGenerator<string> {
    yield chunk({ role: 'assistant', content: '' }, null);
    try {
      for await (const t of gen) if (t.text) yield chunk({ content: t.text }, null);
      const res = await gen.result;
      const calls = toolCalls(res.text);
      if (calls) yield chunk({ tool_calls: calls.map((c, index) => ({ index, ...c })) }, null);
      yield chunk({}, finishOf(res.finishReason, !!calls));
      if (includeUsage) {
        yield `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: r.model, choices: [], usage: { prompt_tokens: res.promptTokens, completion_tokens: res.tokens.length, total_tokens: res.promptTokens + res.tokens.length } })}\n\n`;
      }
    } catch (e) {
      // headers are gone: the error travels as an SSE event, then the stream ends
      yield `data: ${JSON.stringify({ error: { code: 'run_failed', message: (e as Error).message, type: 'server_error', param: null } })}\n\n`;
    }
    yield 'data: [DONE]\n\n';
  }
  return { status: 200, stream: sse() };
}

/** Web-standard handler for /v1/chat/completions and /v1/models (Hono, Deno, workers, tests). */
export function fetchHandler(models: ChatModels): (req: Request) => Promise<Response> {
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith('/models') && req.method === 'GET') return json(200, listModels(models));
    if (!path.endsWith('/chat/completions')) return json(404, { error: { code: 'not_found', message: `no route ${req.method} ${path}`, type: 'invalid_request_error', param: null } });
    if (req.method !== 'POST') return json(405, { error: { code: 'method_not_allowed', message: `${path} takes POST`, type: 'invalid_request_error', param: null } });
    let body: unknown;
    try { body = await req.json(); } catch { return json(400, { error: { code: 'bad_request', message: 'the body is not JSON', type: 'invalid_request_error', param: null } }); }
    const r = await chatCompletion(body, models, req.signal);
    if ('json' in r) return json(r.status, r.json);
    const enc = new TextEncoder();
    const it = r.stream[Symbol.asyncIterator]();
    return new Response(new ReadableStream<Uint8Array>({
      async pull(c) { const n = await it.next(); if (n.done) c.close(); else c.enqueue(enc.encode(n.value)); },
      async cancel() { await it.return?.(); },
    }), { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
  };
}

/** Models from a map of providers. */
export function modelMap(m: Map<string, LlmProvider> | Record<string, LlmProvider>): ChatModels {
  const map = m instanceof Map ? m : new Map(Object.entries(m));
  return { get: (n) => map.get(n), names: () => [...map.keys()] };
}
