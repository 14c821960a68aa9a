// Tool calls as each model family writes them, parsed into OpenAI's `tool_calls`:
//
//   hermes   (Qwen2.5, Qwen3, Hermes):  <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>
//   llama3   (Llama 3.1 - 3.3):         {"name": "f", "parameters": {...}}   (optionally <|python_tag|> first)
//   mistral  (Mistral, Mixtral):        [TOOL_CALLS][{"name": "f", "arguments": {...}}]  or  [TOOL_CALLS]f[ARGS]{...}
//
// Arguments are returned as the model wrote them (OpenAI's `arguments` is a string): malformed JSON
// stays what it was, so the caller sees it, and the call still counts. A streaming filter keeps the
// call's text out of streamed `content`.

export type ToolFormat = 'hermes' | 'llama3' | 'mistral';

export interface ParsedToolCall {
  name: string;
  arguments: string;
  valid: boolean;
}

/** Which format the model was trained on, from its chat template (and vocabulary markers). */
export function toolFormatOf(template: string, hasToken: (s: string) => boolean = () => false): ToolFormat {
  if (template.includes('[TOOL_CALLS]') || hasToken('[TOOL_CALLS]')) return 'mistral';
  if (template.includes('<tool_call>')) return 'hermes';
  if (template.includes('<|python_tag|>') || template.includes('ipython') || template.includes('"parameters": '))
    return 'llama3';
  return 'hermes';
}

/** The text that opens a call in each format (what the streaming filter watches for). */
export const OPENERS: Record<ToolFormat, string> = {
  hermes: '<tool_call>',
  llama3: '<|python_tag|>',
  mistral: '[TOOL_CALLS]',
};

const isValidJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/**
 * One call's JSON object {name, arguments|parameters}; when it does not parse, the name and raw
 * arguments by pattern.
 */
function callFromObjectText(text: string): ParsedToolCall | undefined {
  const t = text.trim();
  try {
    const o = JSON.parse(t) as Record<string, unknown>;
    if (o && typeof o === 'object' && typeof (o.name ?? o.function) === 'string') {
      const a = o.arguments ?? o.parameters ?? {};
      return {
        name: String(o.name ?? o.function),
        arguments: typeof a === 'string' ? a : JSON.stringify(a),
        valid: typeof a !== 'string' || isValidJson(a),
      };
    }
    return undefined;
  } catch {
    /* malformed: recover what can be */
  }
  const name = /"name"\s*:\s*"([^"]*)"/.exec(t);
  if (!name) return undefined;
  const args = /"(?:arguments|parameters)"\s*:\s*([\s\S]*)$/.exec(t);
  let raw = args ? args[1]!.trim() : '';
  // drop the closing brace of the outer object when the arguments themselves are balanced without it
  if (raw.endsWith('}') && !isValidJson(raw) && isValidJson(raw.slice(0, -1).trim())) raw = raw.slice(0, -1).trim();
  return { name: name[1]!, arguments: raw, valid: isValidJson(raw) };
}

/** Top-level JSON values in text, split where braces balance (Llama 3 separates several calls with ';'). */
function splitObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = -1,
    inStr = false,
    esc = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' && depth > 0 && --depth === 0) {
      out.push(text.slice(start, i + 1));
      start = -1;
    }
  }
  if (depth > 0 && start >= 0) out.push(text.slice(start)); // unbalanced tail: a malformed call
  return out;
}

export interface ParsedReply {
  content: string;
  calls: ParsedToolCall[];
}

/**
 * Calls in a reply, or undefined when it has none. `known` (tool names) is required of Llama 3's
 * bare JSON, which a plain answer could also be; the marked formats take any name.
 */
export function parseToolCalls(text: string, format: ToolFormat, known: string[] = []): ParsedReply | undefined {
  if (format === 'hermes') {
    const calls: ParsedToolCall[] = [];
    const re = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
    let first = -1;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (first < 0) first = m.index;
      const c = callFromObjectText(m[1]!);
      if (c) calls.push(c);
      if (m[0].length === 0) break;
    }
    if (!calls.length) return undefined;
    return { content: text.slice(0, first).trim(), calls };
  }
  if (format === 'mistral') {
    const at = text.indexOf('[TOOL_CALLS]');
    if (at < 0) return undefined;
    const body = text.slice(at);
    const calls: ParsedToolCall[] = [];
    if (body.includes('[ARGS]')) {
      for (const part of body.split('[TOOL_CALLS]').slice(1)) {
        const [name, args = ''] = part.split('[ARGS]');
        if (name?.trim()) calls.push({ name: name.trim(), arguments: args.trim(), valid: isValidJson(args.trim()) });
      }
    } else {
      for (const o of splitObjects(body.slice('[TOOL_CALLS]'.length))) {
        const c = callFromObjectText(o);
        if (c) calls.push(c);
      }
    }
    return calls.length ? { content: text.slice(0, at).trim(), calls } : undefined;
  }
  const t = text
    .trim()
    .replace(/^<\|python_tag\|>/, '')
    .trim();
  if (!t.startsWith('{')) return undefined;
  const calls = splitObjects(t)
    .map(callFromObjectText)
    .filter((c): c is ParsedToolCall => !!c && known.includes(c.name));
  return calls.length ? { content: '', calls } : undefined;
}

/**
 * Streamed text with tool calls held out: push each delta, get what may be shown as content now;
 * end() gives what is left once the reply is complete and parsed.
 */
export class ToolStreamFilter {
  private held = '';
  private inCall = false;
  private shown = 0;
  private all = '';
  constructor(readonly format: ToolFormat) {}

  push(delta: string): string {
    this.all += delta;
    if (this.inCall) return '';
    if (this.format === 'llama3') {
      // a reply that opens with JSON (or the python tag) may be a call: hold it to the end
      const lead = this.all.trimStart();
      if (lead.length === 0) return '';
      if (
        this.shown === 0 &&
        (lead.startsWith('{') || '<|python_tag|>'.startsWith(lead.slice(0, 14)) || lead.startsWith('<|python_tag|>'))
      )
        return '';
      const out = this.all.slice(this.shown);
      this.shown = this.all.length;
      return out;
    }
    const opener = OPENERS[this.format];
    this.held += delta;
    const at = this.held.indexOf(opener);
    if (at >= 0) {
      this.inCall = true;
      const out = this.held.slice(0, at);
      this.held = '';
      this.shown += out.length;
      return out;
    }
    // hold back a tail that could be the start of the opener
    let keep = 0;
    for (let k = Math.min(opener.length - 1, this.held.length); k > 0; k--)
      if (opener.startsWith(this.held.slice(-k))) {
        keep = k;
        break;
      }
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    this.shown += out.length;
    return out;
  }

  /** The rest of the content once the reply is parsed (nothing when it held calls). */
  end(parsed: ParsedReply | undefined): string {
    if (parsed) return '';
    const rest = this.all.slice(this.shown);
    this.shown = this.all.length;
    return rest;
  }
}

/** An earlier call as Hermes text, for prompts whose template does not render tool_calls. */
export function hermesCallText(c: { function: { name: string; arguments: unknown } }): string {
  const args = typeof c.function.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function.arguments);
  return `<tool_call>{"name": ${JSON.stringify(c.function.name)}, "arguments": ${args}}</tool_call>`;
}
