// The model's own chat format: `chat_template` from tokenizer_config.json (or chat_template.jinja)
// rendered with @huggingface/jinja, the same Jinja subset transformers.js runs, with the variables
// transformers passes (messages, tools, add_generation_prompt, bos/eos token text). Messages are
// given in OpenAI's shape; tool calls' arguments become objects, as Hugging Face templates expect.

import { Template } from '@huggingface/jinja';

export interface ToolCallMessage {
  id?: string;
  type?: 'function';
  function: { name: string; arguments: string | Record<string, unknown> };
}

export interface TemplateMessage {
  role: string;
  content: string | null;
  name?: string;
  tool_calls?: ToolCallMessage[];
  tool_call_id?: string;
}

export interface ToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface RenderOptions {
  tools?: ToolSpec[];
  /** End with the assistant's header so the model answers (default true). */
  addGenerationPrompt?: boolean;
  /** More template variables (enable_thinking for Qwen3, date_string for Llama 3.x, …). */
  extra?: Record<string, unknown>;
}

const tokenText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : (v as { content?: string } | null)?.content;

/** The template string a tokenizer_config.json names (a list of named templates picks 'tool_use' for tools). */
export function templateSource(config: Record<string, unknown>, tools: boolean): string | undefined {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name: string; template: string }[];
    const pick = (n: string) => named.find((x) => x.name === n)?.template;
    return (tools ? pick('tool_use') : undefined) ?? pick('default') ?? named[0]?.template;
  }
  return undefined;
}

export class ChatTemplate {
  private readonly compiled = new Map<string, Template>();
  readonly bosToken?: string;
  readonly eosToken?: string;
  constructor(
    readonly config: Record<string, unknown>,
    readonly source = 'tokenizer_config.json',
  ) {
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
  }

  /** Whether the config has a chat template at all. */
  get present(): boolean {
    return templateSource(this.config, false) !== undefined;
  }

  /** The template's text, for the family of tool-call format it teaches. */
  text(tools = false): string {
    return templateSource(this.config, tools) ?? '';
  }

  private template(tools: boolean): Template {
    const src = templateSource(this.config, tools);
    if (src === undefined) throw new Error(`${this.source}: there is no chat_template`);
    let t = this.compiled.get(src);
    if (!t) {
      try {
        t = new Template(src);
      } catch (e) {
        throw new Error(`${this.source}: the chat_template does not parse: ${(e as Error).message}`);
      }
      this.compiled.set(src, t);
    }
    return t;
  }

  render(messages: TemplateMessage[], o: RenderOptions = {}): string {
    const tools = o.tools?.length ? o.tools : undefined;
    const msgs = messages.map((m) => ({
      ...m,
      content: m.content ?? '',
      ...(m.tool_calls
        ? {
            tool_calls: m.tool_calls.map((c) => ({
              ...c,
              function: { name: c.function.name, arguments: argumentsObject(c.function.arguments) },
            })),
          }
        : {}),
    }));
    try {
      return this.template(!!tools).render({
        messages: msgs,
        tools,
        add_generation_prompt: o.addGenerationPrompt ?? true,
        bos_token: this.bosToken ?? '',
        eos_token: this.eosToken ?? '',
        ...o.extra,
      });
    } catch (e) {
      throw new Error(`${this.source}: the chat_template failed on these messages: ${(e as Error).message}`);
    }
  }
}

/** Arguments as an object when they are JSON text of one (templates call tojson on them), else as given. */
function argumentsObject(a: string | Record<string, unknown>): string | Record<string, unknown> {
  if (typeof a !== 'string') return a;
  try {
    const v = JSON.parse(a) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : a;
  } catch {
    return a;
  }
}
