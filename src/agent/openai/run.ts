// A prepared request run on its provider and answered: a chat.completion object, or a stream of
// chat.completion.chunk events (tool calls as one tool_calls delta, never as content; usage last;
// `data: [DONE]`); an abort with a reason is an error, a failure after the headers an SSE event.

import type { Generation, GenerationResult, TokenEvent } from '../llm/engine.js';
import { parseToolCall } from '../nodes/tools.js';
import { err, errorJson, failure } from './errors.js';
import { prepareChat } from './prepare.js';
import type { ChatHooks, ChatModels, ChatResult, PreparedChat } from './schema.js';

const sseData = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

let counter = 0;
const newId = () => `chatcmpl-${Date.now().toString(36)}${(counter++).toString(36)}`;

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
    sseData({
      id,
      object: 'chat.completion.chunk',
      created,
      model: r.model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, ...extra }],
    });
  // a token's chunk (content and token id only) is the same JSON as chunk() gives, written from
  // its constant parts: no object built and serialised per token
  const tokenHead = chunk({ content: '' }, null).slice(0, -'""},"finish_reason":null,"logprobs":null}]}\n\n'.length);
  const tokenChunk = (text: string, id: number | undefined) =>
    `${tokenHead}${JSON.stringify(text)}},"finish_reason":null,"logprobs":null` +
    `${id === undefined ? '' : `,"token_ids":[${id}]`}}]}\n\n`;
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
        if (holdAll) continue;
        if (!(wantLogprobs && t.logprobs)) {
          const id = ids && t.id >= 0 ? t.id : undefined;
          if (t.text || id !== undefined) yield tokenChunk(t.text, id);
          continue;
        }
        const extra: Record<string, unknown> = {};
        if (ids && t.id >= 0) extra.token_ids = [t.id];
        if (wantLogprobs && t.logprobs) extra.logprobs = { content: [t.logprobs], refusal: null };
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
        yield sseData({ id, object: 'chat.completion.chunk', created, model: r.model, choices: [], usage: usage(res) });
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
