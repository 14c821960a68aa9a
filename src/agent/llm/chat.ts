// A chat turn on the local engine with OpenAI's semantics, shared by the server's
// /v1/chat/completions (through its LLM worker) and the in-process API: the model's chat template
// with the tools, tool_choice (none / auto / required / a named function) by forcing the call's
// opening and constraining the name and arguments, response_format by JSON-constrained decoding,
// logprobs with token text, generation_config defaults, tool calls parsed per family and kept out
// of streamed content.

import type { ToolSpec } from './chat-template.js';
import { type DecodeConstraint, Generation, type GenerationResult, type LlmEngine, type TokenEvent } from './engine.js';
import { JsonConstraint, type JsonSchema, JsonState } from './json-constraint.js';
import type { ChatMessage, TextTokenizer } from './tokenizer.js';
import { hermesCallText, parseToolCalls, type ToolFormat, ToolStreamFilter } from './tool-calls.js';

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name?: string; schema?: JsonSchema; strict?: boolean | null } };

/** What a chat request may ask beyond messages and sampling (plain data: it crosses to worker threads). */
export interface ChatFeatures {
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Top alternatives per token with log-probabilities (0: the chosen token's only). */
  topLogprobs?: number;
  /** Extra chat-template variables (enable_thinking, …). */
  templateVars?: Record<string, unknown>;
}

import type { ChatToolCall, TokenLogprob } from './generation.js';

export type { ChatToolCall, TokenLogprob } from './generation.js';

/** GenerationResult of a chat turn: the reply split into content and tool calls. */
export interface ChatOutcome {
  content: string | null;
  toolCalls?: ChatToolCall[];
  logprobs?: TokenLogprob[];
}
export type ChatEvent = TokenEvent & { logprobs?: TokenLogprob };

/** Forces the text that opens a tool call, then the name among the tools, then arguments to the tool's schema. */
class ToolCallConstraint implements DecodeConstraint {
  private text = '';
  private args?: JsonConstraint;
  private readonly targets: string[];
  constructor(
    private readonly tok: TextTokenizer,
    private readonly tools: ToolSpec[],
    private readonly sep: string,
  ) {
    this.targets = tools.map((t) => `${t.function.name}"${sep}`);
  }
  get finished(): boolean {
    return !!this.args?.finished;
  }
  filter(logits: Float32Array): void {
    if (this.args) {
      this.args.filter(logits);
      return;
    }
    for (let id = 0; id < logits.length; id++) {
      if (logits[id] === -Infinity) continue;
      const piece = this.tok.plainText(id);
      const next = this.text + piece;
      if (!piece || !this.targets.some((t) => t.startsWith(next))) logits[id] = -Infinity;
    }
  }
  accept(id: number): void {
    if (this.args) {
      this.args.accept(id);
      return;
    }
    this.text += this.tok.tokenText(id);
    const done = this.tools.find((t) => this.text === `${t.function.name}"${this.sep}`);
    if (done) this.args = new JsonConstraint(this.tok.plain, [], done.function.parameters ?? { type: 'object' }, true);
  }
}

/** The text that opens a call in each format, up to the name's opening quote. */
const CALL_OPENING: Record<ToolFormat, { open: string; sep: string }> = {
  hermes: { open: '<tool_call>\n{"name": "', sep: ', "arguments": ' },
  llama3: { open: '{"name": "', sep: ', "parameters": ' },
  mistral: { open: '[TOOL_CALLS][{"name": "', sep: ', "arguments": ' },
};

function toolsSystemPrompt(tools: ToolSpec[]): string {
  const list = tools.map((t) =>
    JSON.stringify({
      name: t.function.name,
      description: t.function.description ?? '',
      parameters: t.function.parameters ?? { type: 'object' },
    }),
  );
  return (
    `You may call tools. To call one, answer only with <tool_call>{"name": "...", "arguments": ` +
    `{...}}</tool_call>.\nTools:\n${list.join('\n')}`
  );
}

export interface ChatPlan {
  prompt: string;
  /** Text the reply starts with, forced into the prompt (a tool call's opening). */
  prefix: string;
  format?: ToolFormat;
  constraint?: DecodeConstraint;
  tools: ToolSpec[];
}

/** Prompt, forced opening and constraint of a chat turn. */
export function planChat(tok: TextTokenizer, messages: ChatMessage[], f: ChatFeatures): ChatPlan {
  const choice = f.toolChoice ?? 'auto';
  const tools = choice === 'none' ? [] : (f.tools ?? []);
  const named = typeof choice === 'object' ? tools.find((t) => t.function.name === choice.function.name) : undefined;
  if (typeof choice === 'object' && !named)
    throw Object.assign(
      new Error(
        `tool_choice names '${choice.function.name}', which is not among the tools ` +
          `(${tools.map((t) => t.function.name).join(', ') || 'none'})`,
      ),
      { status: 400, code: 'bad_request', param: 'tool_choice' },
    );
  if (choice === 'required' && !tools.length)
    throw Object.assign(new Error("tool_choice 'required' needs tools"), {
      status: 400,
      code: 'bad_request',
      param: 'tool_choice',
    });
  // a template that knows tools gets them as they are; others get a system prompt in the Hermes format
  const templated = !!tok.template && /\btools\b/.test(tok.template.text(true));
  const format: ToolFormat = templated ? tok.toolFormat : 'hermes';
  let msgs = messages;
  if (tools.length && !templated) {
    msgs = messages.map((m) =>
      m.role === 'assistant' && m.tool_calls?.length && !m.content
        ? {
            role: m.role,
            content: m.tool_calls.map((c) => hermesCallText(c)).join(''),
          }
        : m,
    );
    const sys = msgs.findIndex((m) => m.role === 'system');
    if (sys >= 0) msgs[sys] = { ...msgs[sys]!, content: `${msgs[sys]!.content}\n\n${toolsSystemPrompt(tools)}` };
    else msgs = [{ role: 'system', content: toolsSystemPrompt(tools) }, ...msgs];
  }
  let prompt = tok.formatChat(msgs, { tools: templated && tools.length ? tools : undefined, extra: f.templateVars });
  let prefix = '';
  let constraint: DecodeConstraint | undefined;
  if (tools.length && (choice === 'required' || named)) {
    const { open, sep } = CALL_OPENING[format];
    prefix = named ? `${open}${named.function.name}"${sep}` : open;
    constraint = named
      ? new JsonConstraint(tok.plain, [], named.function.parameters ?? { type: 'object' }, true)
      : new ToolCallConstraint(tok, tools, sep);
  } else if (f.responseFormat && f.responseFormat.type !== 'text') {
    const schema = f.responseFormat.type === 'json_schema' ? f.responseFormat.json_schema.schema : undefined;
    constraint = new JsonConstraint(tok.plain, [...tok.stopIds], schema, f.responseFormat.type === 'json_object');
  }
  prompt += prefix;
  return { prompt, prefix, format: tools.length ? format : undefined, constraint, tools };
}

/** Check a response_format / schema before any work (a 400 names what cannot be honoured). */
export function checkResponseFormat(
  rf: ResponseFormat | undefined,
  unsupported: (s: unknown) => string[],
): string | undefined {
  if (!rf || rf.type === 'text' || rf.type === 'json_object') return undefined;
  if (rf.type !== 'json_schema')
    return `response_format.type '${(rf as { type: string }).type}' is not one of text, json_object, json_schema`;
  const bad = unsupported(rf.json_schema?.schema ?? {});
  return bad.length
    ? `response_format.json_schema.schema uses ${bad.join(', ')}, which constrained decoding here does not ` +
        `enforce (supported: type, properties, required, additionalProperties, items, enum, const, anyOf, oneOf)`
    : undefined;
}

/** Run a chat turn on the engine: events with content only (tool calls held out), a result with the parsed reply. */
export function chatGeneration(
  engine: LlmEngine,
  tok: TextTokenizer,
  messages: ChatMessage[],
  f: ChatFeatures,
  opts: Parameters<LlmEngine['generate']>[1] = {},
): Generation {
  const plan = planChat(tok, messages, f);
  const gen = engine.generate(plan.prompt, { ...opts, constraint: plan.constraint, logprobs: f.topLogprobs });
  const names = plan.tools.map((t) => t.function.name);
  const callId = `call_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const entry = (id: number) => {
    const token = tok.tokenText(id);
    return { token, logprob: 0, bytes: [...tok.tokenBytes(id)] };
  };
  return new Generation(async function* (done) {
    const filter = plan.format ? new ToolStreamFilter(plan.format) : undefined;
    filter?.push(plan.prefix);
    const lps: TokenLogprob[] = [];
    for await (const t of gen) {
      let logprobs: TokenLogprob | undefined;
      if (t.logprob !== undefined && t.id >= 0) {
        logprobs = {
          ...entry(t.id),
          logprob: t.logprob,
          top_logprobs: (t.top ?? []).map(([i, lp]) => ({ ...entry(i), logprob: lp })),
        };
        lps.push(logprobs);
      }
      const text = filter ? filter.push(t.text) : t.text;
      yield { ...t, text, ...(logprobs ? { logprobs } : {}) } as ChatEvent;
    }
    const r = await gen.result;
    const parsed = plan.format ? parseToolCalls(plan.prefix + r.text, plan.format, names) : undefined;
    const rest = filter?.end(parsed);
    if (rest) yield { id: -1, text: rest, index: r.tokens.length, atMs: r.ttftMs } as ChatEvent;
    const outcome: ChatOutcome = {
      content: parsed ? parsed.content || null : r.text,
      ...(parsed ? { toolCalls: parsed.calls.map((c, i) => ({ id: `${callId}_${i}`, ...c })) } : {}),
      ...(f.topLogprobs !== undefined ? { logprobs: lps } : {}),
    };
    done({ ...r, ...outcome } as GenerationResult);
  });
}

export { JsonState };
