// OpenAI-compatible chat completions over Switchyard's LLM runtime, since that is what users' tools
// already speak: `POST /v1/chat/completions` (JSON or, with "stream": true, server-sent events of
// chat.completion.chunk objects ending in `data: [DONE]`) and `GET /v1/models`. Framework-agnostic:
// a request body in, a status with JSON or a stream of SSE text out, so the offload server (or any
// HTTP framework) mounts it; `fetchHandler` wraps it as web-standard Request -> Response.
// Errors are {"error": {"code", "message", "type", "param"}}: the offload protocol's shape and
// OpenAI's at once.

import { z } from 'zod';
import { errorType } from '../protocol/errors.js';
import { checkResponseFormat } from './llm/chat.js';
import type { Generation, GenerationResult, TokenEvent } from './llm/engine.js';
import { unsupportedSchemaWords } from './llm/json-constraint.js';
import type { ChatMessage } from './llm/tokenizer.js';
import type { ChatRequest, LlmProvider } from './nodes/models.js';
import { parseToolCall, type ToolImpl, toolsPrompt } from './nodes/tools.js';

const message = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
    content: z
      .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()])
      .optional(),
    name: z.string().optional(),
    tool_call_id: z.string().optional(),
    tool_calls: z.array(z.unknown()).optional(),
  })
  .passthrough();

export const chatRequest = z
  .object({
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
    n: z.number().int().min(1).optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    response_format: z
      .union([
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          json_schema: z
            .object({
              name: z.string().optional(),
              schema: z.record(z.string(), z.unknown()).optional(),
              strict: z.boolean().nullable().optional(),
              description: z.string().optional(),
            })
            .passthrough(),
        }),
      ])
      .optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    parallel_tool_calls: z.boolean().optional(),
    /** Extra chat-template variables (vLLM's name), e.g. {"enable_thinking": false} for Qwen3. */
    chat_template_kwargs: z.record(z.string(), z.unknown()).optional(),
    tools: z
      .array(
        z
          .object({
            type: z.literal('function'),
            function: z
              .object({
                name: z.string(),
                description: z.string().optional(),
                parameters: z.record(z.string(), z.unknown()).optional(),
              })
              .passthrough(),
          })
          .passthrough(),
      )
      .optional(),
    tool_choice: z
      .union([
        z.enum(['none', 'auto', 'required']),
        z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
      ])
      .optional(),
    user: z.string().optional(),
    // extensions (vLLM spells the first three the same way)
    /** >1 makes tokens already in the prompt or the answer less likely. */
    repetition_penalty: z.number().positive().optional(),
    /** Keep generating past end-of-sequence tokens (benchmarks). */
    ignore_eos: z.boolean().optional(),
    /** Each choice (each stream chunk) carries the ids of its tokens, so a client can resume elsewhere. */
    return_token_ids: z.boolean().optional(),
    /** Send the messages' text as is, joined by newlines, without the chat template. */
    raw: z.boolean().optional(),
  })
  .passthrough();
export type ChatRequestBody = z.infer<typeof chatRequest>;

export type ChatResult = { status: number; json: unknown } | { status: 200; stream: AsyncIterable<string> };

export interface ChatModels {
  get(name: string): LlmProvider | undefined;
  names(): string[];
}

/** A checked request, ready to run (a server admits it against its queue and deadline in between). */
export interface PreparedChat {
  body: ChatRequestBody;
  provider: LlmProvider;
  request: ChatRequest;
  tools: [string, ToolImpl][];
  /** Characters of the prompt (for an estimate of its tokens before the tokenizer sees it). */
  promptChars: number;
  maxTokens: number;
}

/** What a run reports when it ends (servers count tokens and time with it). */
export interface ChatHooks {
  onResult?(r: GenerationResult): void;
}

const errorJson = (status: number, code: string, message: string, param?: string) => ({
  error: { code, message, type: errorType(status), param: param ?? null },
});
const err = (status: number, code: string, message: string, param?: string): ChatResult => ({
  status,
  json: errorJson(status, code, message, param),
});

/** Status and code of a failed generation: the error's own (a server error) or what its message says. */
function failure(e: unknown): { status: number; code: string; message: string; param?: string } {
  const x = e as { status?: unknown; code?: unknown; message?: string; param?: unknown };
  const message = x?.message ?? String(e);
  const param = typeof x?.param === 'string' ? x.param : undefined;
  if (typeof x?.status === 'number' && typeof x.code === 'string')
    return { status: x.status, code: x.code, message, param };
  if (/context length|capacity/.test(message))
    return { status: 400, code: 'context_length_exceeded', message, param: 'max_tokens' };
  return {
    status: /vocabulary|must be|is empty|tool_choice|chat_template/.test(message) ? 400 : 500,
    code: 'run_failed',
    message,
    param,
  };
}

const textOf = (c: z.infer<typeof message>['content']): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => p.text ?? '').join('') : '';

let counter = 0;
const newId = () => `chatcmpl-${Date.now().toString(36)}${(counter++).toString(36)}`;

export function listModels(models: ChatModels, extra?: (name: string) => Record<string, unknown> | undefined): unknown {
  return {
    object: 'list',
    data: models.names().map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
      ...(extra?.(id) ? { switchyard: extra(id) } : {}),
    })),
  };
}

/** Check a request body (already parsed JSON) and find its model; an error is a ready answer. */
export function prepareChat(
  body: unknown,
  models: ChatModels,
  signal?: AbortSignal,
): { error: ChatResult } | { chat: PreparedChat } {
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return {
      error: err(400, 'bad_request', `${i.path.join('.') || 'body'}: ${i.message}`, i.path.join('.') || undefined),
    };
  }
  const r = parsed.data;
  const bad = (message: string, param: string) => ({ error: err(400, 'bad_request', message, param) });
  // what is not done here is refused, never accepted and ignored
  if ((r.n ?? 1) > 1)
    return bad(
      `n = ${r.n}: one choice per request is supported here; send the request ${r.n} times (with different seeds)`,
      'n',
    );
  if (r.frequency_penalty)
    return bad('frequency_penalty is not supported here (repetition_penalty is)', 'frequency_penalty');
  if (r.presence_penalty)
    return bad('presence_penalty is not supported here (repetition_penalty is)', 'presence_penalty');
  if (r.logit_bias && Object.keys(r.logit_bias).length) return bad('logit_bias is not supported here', 'logit_bias');
  if (r.top_logprobs != null && r.logprobs !== true) return bad('top_logprobs needs logprobs: true', 'top_logprobs');
  const tc = r.tool_choice;
  if (typeof tc === 'object' && !(r.tools ?? []).some((t) => t.function.name === tc.function.name)) {
    return bad(
      `tool_choice names '${tc.function.name}', which is not among the tools (${(r.tools ?? []).map((t) => t.function.name).join(', ') || 'none'})`,
      'tool_choice',
    );
  }
  if (tc === 'required' && !r.tools?.length) return bad("tool_choice 'required' needs tools", 'tool_choice');
  const rfError = checkResponseFormat(r.response_format, unsupportedSchemaWords);
  if (rfError) return bad(rfError, 'response_format');
  if (r.response_format && r.response_format.type !== 'text' && r.tools?.length && r.tool_choice !== 'none') {
    return bad(
      'response_format with tools: give tool_choice "none" (or leave out one of them); both at once is not supported here',
      'response_format',
    );
  }
  const provider = models.get(r.model);
  if (!provider)
    return {
      error: err(
        404,
        'model_not_found',
        `model '${r.model}' is not served here (models: ${models.names().join(', ') || 'none'})`,
        'model',
      ),
    };
  const maxTokens = r.max_completion_tokens ?? r.max_tokens ?? 256;
  const param = r.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  // limits before deadlines: a request that can never fit is a 400, not a 503 to retry
  if (provider.contextLength !== undefined && maxTokens >= provider.contextLength) {
    return {
      error: err(
        400,
        'context_length_exceeded',
        `${param} ${maxTokens} leaves no room for the prompt in the context length ${provider.contextLength} of model '${r.model}'`,
        param,
      ),
    };
  }
  const wantsFeatures =
    (r.tool_choice !== undefined && r.tool_choice !== 'auto') ||
    r.logprobs === true ||
    (r.response_format && r.response_format.type !== 'text');
  if (wantsFeatures && !provider.chatFeatures)
    return bad(
      `model '${r.model}' is served by a provider that does not apply tool_choice, logprobs or response_format`,
      r.response_format ? 'response_format' : r.logprobs ? 'logprobs' : 'tool_choice',
    );
  const tools: [string, ToolImpl][] = (r.tools ?? []).map((t) => [
    t.function.name,
    { description: t.function.description, parameters: t.function.parameters, run: () => undefined },
  ]);
  let messages: ChatMessage[] = r.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: textOf(m.content),
    ...(m.name ? { name: m.name } : {}),
    ...(m.tool_calls?.length ? { tool_calls: m.tool_calls as ChatMessage['tool_calls'] } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  }));
  if (tools.length && !provider.chatFeatures && r.tool_choice !== 'none')
    messages = legacyToolMessages(messages, tools);
  const request: ChatRequest = {
    messages,
    raw: r.raw,
    maxTokens,
    temperature: r.temperature ?? undefined,
    temperatureDefault: 1,
    topP: r.top_p,
    topK: r.top_k,
    repetitionPenalty: r.repetition_penalty,
    ignoreEos: r.ignore_eos,
    seed: r.seed,
    stop: typeof r.stop === 'string' ? [r.stop] : r.stop,
    signal,
    node: `chat:${r.model}`,
    ...(provider.chatFeatures
      ? {
          tools: r.tools?.map((t) => ({
            type: 'function' as const,
            function: { name: t.function.name, description: t.function.description, parameters: t.function.parameters },
          })),
          toolChoice: r.tool_choice,
          responseFormat: r.response_format,
          topLogprobs: r.logprobs ? (r.top_logprobs ?? 0) : undefined,
          templateVars: r.chat_template_kwargs,
        }
      : {}),
  };
  return {
    chat: {
      body: r,
      provider,
      request,
      tools,
      promptChars: messages.reduce((a, m) => a + m.content.length + 8, 0) + JSON.stringify(r.tools ?? []).length,
      maxTokens,
    },
  };
}

/** Tools for a provider that does not take them: a system prompt, earlier calls as Hermes text. */
function legacyToolMessages(messages: ChatMessage[], tools: [string, ToolImpl][]): ChatMessage[] {
  const out = messages.map((m) =>
    m.role === 'assistant' && m.tool_calls?.length && !m.content
      ? {
          role: m.role,
          content: m.tool_calls
            .map(
              (c) =>
                `<tool_call>{"name": ${JSON.stringify(c.function.name)}, "arguments": ${typeof c.function.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function.arguments)}}</tool_call>`,
            )
            .join(''),
        }
      : { role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) },
  );
  const sys = out.findIndex((m) => m.role === 'system');
  const p = toolsPrompt(tools);
  if (sys >= 0) out[sys] = { ...out[sys]!, content: `${out[sys]!.content}\n\n${p}` };
  else out.unshift({ role: 'system', content: p });
  return out;
}

/** Handle one chat completion request body (already parsed JSON). */
export async function chatCompletion(body: unknown, models: ChatModels, signal?: AbortSignal): Promise<ChatResult> {
  const p = prepareChat(body, models, signal);
  return 'error' in p ? p.error : runChat(p.chat, hooksNone);
}

const hooksNone: ChatHooks = {};

/**
 * Run a prepared request. A stream's headers wait for its first token, so a request that fails
 * before any token (prompt too long, a refusal) still gets a JSON error with its status; later
 * failures travel as an SSE error event.
 */
export async function runChat(p: PreparedChat, hooks: ChatHooks = hooksNone): Promise<ChatResult> {
  const r = p.body;
  const signal = p.request.signal;
  let gen: Generation;
  try {
    gen = p.provider.chat(p.request);
  } catch (e) {
    const f = failure(e);
    return err(f.status, f.code, f.message, f.param);
  }
  const id = newId();
  const created = Math.floor(Date.now() / 1000);
  const wantLogprobs = r.logprobs === true;
  // the provider's own parse (chat features), else the reply parsed here for the legacy tool prompt
  const reply = (
    res: GenerationResult,
  ): {
    content: string | null;
    calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  } => {
    if (p.provider.chatFeatures && res.content !== undefined) {
      const calls = res.toolCalls?.map((c) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      }));
      return { content: res.content, ...(calls?.length ? { calls } : {}) };
    }
    const c =
      p.tools.length && r.tool_choice !== 'none'
        ? parseToolCall(
            res.text,
            p.tools.map(([n]) => n),
          )
        : undefined;
    return c
      ? {
          content: null,
          calls: [
            {
              id: `call_${id.slice(9)}`,
              type: 'function',
              function: { name: c.name, arguments: JSON.stringify(c.arguments) },
            },
          ],
        }
      : { content: res.text };
  };
  const finishOf = (reason: string, call: boolean) => (call ? 'tool_calls' : reason === 'length' ? 'length' : 'stop');
  // an abort with a reason that says why (a deadline, a shutdown) is an error, not a short answer
  const aborted = (res: GenerationResult) => {
    if (res.finishReason !== 'abort') return undefined;
    const why = signal?.reason as { code?: unknown; status?: unknown; message?: string } | undefined;
    return why && typeof why.code === 'string' ? failure(why) : undefined;
  };
  const usage = (res: GenerationResult) => ({
    prompt_tokens: res.promptTokens,
    completion_tokens: res.tokens.length,
    total_tokens: res.promptTokens + res.tokens.length,
  });
  const ids = r.return_token_ids === true;
  if (!r.stream) {
    try {
      const res = await gen.collect();
      hooks.onResult?.(res);
      const stop = aborted(res);
      if (stop) return err(stop.status, stop.code, stop.message);
      const { content, calls } = reply(res);
      return {
        status: 200,
        json: {
          id,
          object: 'chat.completion',
          created,
          model: r.model,
          system_fingerprint: null,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null, ...(calls ? { tool_calls: calls } : {}) },
              finish_reason: finishOf(res.finishReason, !!calls),
              logprobs: wantLogprobs ? { content: res.logprobs ?? [], refusal: null } : null,
              ...(ids ? { token_ids: res.tokens } : {}),
            },
          ],
          usage: usage(res),
          timings: {
            ttft_ms: res.ttftMs,
            tpot_ms: res.tpotMs,
            prefill_device: res.prefillDevice,
            decode_device: res.decodeDevice,
          },
        },
      };
    } catch (e) {
      const f = failure(e);
      return err(f.status, f.code, f.message, f.param);
    }
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: r.model, system_fingerprint: null, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, ...extra }] })}\n\n`;
  const includeUsage = r.stream_options?.include_usage === true;
  const it = gen[Symbol.asyncIterator]();
  let first: IteratorResult<TokenEvent>;
  try {
    first = await it.next();
  } catch (e) {
    const f = failure(e);
    return err(f.status, f.code, f.message, f.param);
  }
  const errorEvent = (f: { code: string; message: string; status: number; param?: string }) =>
    `data: ${JSON.stringify(errorJson(f.status, f.code, f.message, f.param))}\n\n`;
  // legacy providers: tool-call text is held back until the end (it is parsed from the whole reply)
  const holdAll = !p.provider.chatFeatures && p.tools.length > 0 && r.tool_choice !== 'none';
  async function* sse(): AsyncGenerator<string> {
    yield chunk({ role: 'assistant', content: '' }, null);
    try {
      for (let n = first; !n.done; n = await it.next()) {
        const t = n.value as TokenEvent & { logprobs?: unknown };
        const extra: Record<string, unknown> = {};
        if (ids && t.id >= 0) extra.token_ids = [t.id];
        if (wantLogprobs && t.logprobs) extra.logprobs = { content: [t.logprobs], refusal: null };
        if (holdAll) continue;
        if (t.text || Object.keys(extra).length) yield chunk({ content: t.text }, null, extra);
      }
      const res = await gen.result;
      hooks.onResult?.(res);
      const stop = aborted(res);
      if (stop) {
        yield errorEvent(stop);
        return;
      }
      const { content, calls } = reply(res);
      if (holdAll && content) yield chunk({ content }, null);
      if (calls) yield chunk({ tool_calls: calls.map((c, index) => ({ index, ...c })) }, null);
      yield chunk({}, finishOf(res.finishReason, !!calls));
      if (includeUsage)
        yield `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: r.model, choices: [], usage: usage(res) })}\n\n`;
      yield 'data: [DONE]\n\n';
    } catch (e) {
      // headers are gone: the error travels as an SSE event and the stream ends without [DONE]
      yield errorEvent(failure(e));
    } finally {
      await it.return?.(undefined);
    }
  }
  return { status: 200, stream: sse() };
}

/** One model, as GET /v1/models/{id} answers it (undefined when not served). */
export function retrieveModel(
  models: ChatModels,
  id: string,
  extra?: (name: string) => Record<string, unknown> | undefined,
): unknown {
  if (!models.names().includes(id)) return undefined;
  const x = extra?.(id);
  return { id, object: 'model', created: 0, owned_by: 'switchyard', ...(x ? { switchyard: x } : {}) };
}

export const modelNotFound = (id: string, models: ChatModels) =>
  errorJson(
    404,
    'model_not_found',
    `model '${id}' is not served here (models: ${models.names().join(', ') || 'none'})`,
    'model',
  );

/** Web-standard handler for /v1/chat/completions and /v1/models (Hono, Deno, workers, tests). */
export function fetchHandler(models: ChatModels): (req: Request) => Promise<Response> {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith('/models') && req.method === 'GET') return json(200, listModels(models));
    const one = /\/models\/(.+)$/.exec(path);
    if (one && req.method === 'GET') {
      const m = retrieveModel(models, decodeURIComponent(one[1]!));
      return m ? json(200, m) : json(404, modelNotFound(decodeURIComponent(one[1]!), models));
    }
    if (!path.endsWith('/chat/completions'))
      return json(404, {
        error: {
          code: 'not_found',
          message: `no route ${req.method} ${path}`,
          type: 'invalid_request_error',
          param: null,
        },
      });
    if (req.method !== 'POST')
      return json(405, {
        error: {
          code: 'method_not_allowed',
          message: `${path} takes POST`,
          type: 'invalid_request_error',
          param: null,
        },
      });
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return json(400, {
        error: { code: 'bad_request', message: 'the body is not JSON', type: 'invalid_request_error', param: null },
      });
    }
    const r = await chatCompletion(body, models, req.signal);
    if ('json' in r) return json(r.status, r.json);
    const enc = new TextEncoder();
    const it = r.stream[Symbol.asyncIterator]();
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          const n = await it.next();
          if (n.done) c.close();
          else c.enqueue(enc.encode(n.value));
        },
        async cancel() {
          await it.return?.();
        },
      }),
      {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' },
      },
    );
  };
}

/** Models from a map of providers. */
export function modelMap(m: Map<string, LlmProvider> | Record<string, LlmProvider>): ChatModels {
  const map = m instanceof Map ? m : new Map(Object.entries(m));
  return { get: (n) => map.get(n), names: () => [...map.keys()] };
}
