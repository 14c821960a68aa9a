// A request body checked and turned into work: what is not done here is refused with a 400 naming
// its parameter (never accepted and ignored), limits that can never fit are a 400 before any
// admission, the model is found, and the messages become the provider's ChatRequest.

import type { z } from 'zod';
import { checkResponseFormat } from '../llm/chat.js';
import { unsupportedSchemaWords } from '../llm/json-constraint.js';
import type { ChatMessage } from '../llm/tokenizer.js';
import { hermesCallText } from '../llm/tool-calls.js';
import type { ChatRequest } from '../nodes/models.js';
import { type ToolImpl, toolsPrompt } from '../nodes/tools.js';
import { err } from './errors.js';
import { type ChatModels, type ChatResult, chatRequest, type message, type PreparedChat } from './schema.js';

const textOf = (c: z.infer<typeof message>['content']): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => p.text ?? '').join('') : '';

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
      `tool_choice names '${tc.function.name}', which is not among the tools ` +
        `(${(r.tools ?? []).map((t) => t.function.name).join(', ') || 'none'})`,
      'tool_choice',
    );
  }
  if (tc === 'required' && !r.tools?.length) return bad("tool_choice 'required' needs tools", 'tool_choice');
  const rfError = checkResponseFormat(r.response_format, unsupportedSchemaWords);
  if (rfError) return bad(rfError, 'response_format');
  if (r.response_format && r.response_format.type !== 'text' && r.tools?.length && r.tool_choice !== 'none') {
    return bad(
      'response_format with tools: give tool_choice "none" (or leave out one of them); both at once is not ' +
        'supported here',
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
        `${param} ${maxTokens} leaves no room for the prompt in the context length ${provider.contextLength} ` +
          `of model '${r.model}'`,
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
          content: m.tool_calls.map((c) => hermesCallText(c)).join(''),
        }
      : { role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) },
  );
  const sys = out.findIndex((m) => m.role === 'system');
  const p = toolsPrompt(tools);
  if (sys >= 0) out[sys] = { ...out[sys]!, content: `${out[sys]!.content}\n\n${p}` };
  else out.unshift({ role: 'system', content: p });
  return out;
}
