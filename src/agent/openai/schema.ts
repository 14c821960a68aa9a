// The body of POST /v1/chat/completions as OpenAI documents it (with vLLM's extensions), checked
// with zod, and the shapes a request and its answer take on their way through.

import { z } from 'zod';
import type { GenerationResult } from '../llm/engine.js';
import type { ChatRequest, LlmProvider } from '../nodes/models.js';
import type { ToolImpl } from '../nodes/tools.js';

export const message = z
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
