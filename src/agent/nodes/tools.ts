// Tools: functions an agent calls with JSON arguments. Arguments are checked against the tool's
// parameter schema (a small JSON-Schema subset: object properties, required, primitive types,
// enums) before the call; a call runs under a timeout with an AbortSignal, and a tool that throws
// or hangs becomes an error naming the node and the tool.

export interface ToolContext {
  signal: AbortSignal;
  node: string;
}

export interface ToolImpl {
  description?: string;
  /** { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] } */
  parameters?: Record<string, unknown>;
  timeoutMs?: number;
  run(args: Record<string, unknown>, ctx: ToolContext): unknown;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Problems with `v` against `s`, each naming the argument path. */
export function checkArgs(v: unknown, s: Schema | undefined, path = 'arguments'): string[] {
  if (!s) return [];
  const out: string[] = [];
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    const ok = types.some((x) => x === t || (x === 'number' && t === 'integer'));
    if (!ok) return [`${path} must be ${types.join(' or ')}, got ${t === 'string' ? JSON.stringify(v) : t}`];
  }
  if (s.enum && !s.enum.includes(v))
    out.push(`${path} must be one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) out.push(`${path}.${r} is required`);
    for (const [k, sub] of Object.entries(s.properties ?? {}))
      if (k in o) out.push(...checkArgs(o[k], sub, `${path}.${k}`));
  }
  if (Array.isArray(v) && s.items) v.forEach((x, i) => out.push(...checkArgs(x, s.items, `${path}[${i}]`)));
  return out;
}

/**
 * Template values are node outputs (objects, vectors, hit lists): where the schema asks for a
 * string, use their text; for a number, a numeric string's value.
 */
export function coerceArgs(
  args: Record<string, unknown>,
  schema: Record<string, unknown> | undefined,
  show: (v: unknown) => string,
): Record<string, unknown> {
  const props = (schema as Schema | undefined)?.properties;
  if (!props) return args;
  const out = { ...args };
  for (const [k, s] of Object.entries(props)) {
    if (!(k in out)) continue;
    const v = out[k];
    if (s.type === 'string' && typeof v !== 'string') out[k] = show(v);
    else if (
      (s.type === 'number' || s.type === 'integer') &&
      typeof v === 'string' &&
      v.trim() !== '' &&
      Number.isFinite(Number(v))
    )
      out[k] = Number(v);
  }
  return out;
}

/** Call a tool with checked arguments under a timeout; errors name the node and the tool. */
export async function callTool(
  name: string,
  tool: ToolImpl,
  args: Record<string, unknown>,
  node: string,
  signal?: AbortSignal,
  timeoutMs?: number,
): Promise<unknown> {
  const problems = checkArgs(args, tool.parameters as Schema | undefined);
  if (problems.length)
    throw new Error(`node '${node}': tool '${name}' was called with bad arguments: ${problems.join('; ')}`);
  const limit = timeoutMs ?? tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort(new Error('timeout'));
      reject(new Error(`node '${node}': tool '${name}' did not answer within ${limit} ms (timeout)`));
    }, limit);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(new Error(`node '${node}': tool '${name}' was cancelled`));
    signal?.addEventListener('abort', () => reject(new Error(`node '${node}': tool '${name}' was cancelled`)), {
      once: true,
    });
  });
  try {
    const work = (async () => tool.run(args, { signal: ac.signal, node }))();
    return await Promise.race([work, timeout, aborted]).catch((e: unknown) => {
      const msg = (e as Error)?.message ?? String(e);
      if (msg.startsWith(`node '${node}'`)) throw e;
      throw new Error(`node '${node}': tool '${name}' failed: ${msg}`);
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

// ---------------------------------------------------------------------------------------------
// Built-in tools

/** Arithmetic without eval: + - * / % ^, parentheses, unary minus, decimals. */
export function calculate(expr: string): number {
  const s = expr.replace(/\s+/g, '');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot evaluate "${expr}": ${why}`);
  };
  const num = (): number => {
    const m = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?/i.exec(s.slice(i));
    if (!m) return fail(i < s.length ? `unexpected '${s[i]}' at ${i + 1}` : 'it ends too early');
    i += m[0].length;
    return Number(m[0]);
  };
  const atom = (): number => {
    if (s[i] === '(') {
      i++;
      const v = add();
      if (s[i] !== ')') fail(`missing ')'`);
      i++;
      return v;
    }
    if (s[i] === '-') {
      i++;
      return -atom();
    }
    if (s[i] === '+') {
      i++;
      return atom();
    }
    return num();
  };
  const pow = (): number => {
    const b = atom();
    if (s[i] === '^') {
      i++;
      return b ** pow();
    }
    return b;
  };
  const mul = (): number => {
    let v = pow();
    while (s[i] === '*' || s[i] === '/' || s[i] === '%') {
      const op = s[i++];
      const r = pow();
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };
  const add = (): number => {
    let v = mul();
    while (s[i] === '+' || s[i] === '-') {
      const op = s[i++];
      const r = mul();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  if (!s) fail('it is empty');
  const v = add();
  if (i < s.length) fail(`unexpected '${s[i]}' at ${i + 1}`);
  return v;
}

export const BUILTIN_TOOLS: Record<string, ToolImpl> = {
  calculator: {
    description: 'Evaluate an arithmetic expression (+ - * / % ^ and parentheses).',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    run: (a) => ({ expression: a.expression, result: calculate(String(a.expression)) }),
  },
  clock: {
    description: 'The current date and time (ISO 8601, UTC).',
    parameters: { type: 'object', properties: {} },
    run: () => ({ now: new Date().toISOString() }),
  },
  echo: {
    description: 'Return the arguments unchanged.',
    parameters: { type: 'object' },
    run: (a) => a,
  },
  word_count: {
    description: 'Count the words of a text.',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    run: (a) => ({ words: String(a.text).split(/\s+/).filter(Boolean).length }),
  },
};

// ---------------------------------------------------------------------------------------------
// Tool calls in model output

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * A tool call in generated text: <tool_call>{"name": …, "arguments": {…}}</tool_call> (Hermes,
 * Qwen), or the whole answer being such a JSON object.
 */
export function parseToolCall(text: string, known: string[]): ToolCall | undefined {
  const tagged = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/.exec(text);
  const candidates = tagged ? [tagged[1]!] : [text.trim()];
  for (const c of candidates) {
    if (!c.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(c) as Record<string, unknown>;
    } catch {
      continue;
    }
    const name = (o.name ?? o.tool) as unknown;
    if (typeof name !== 'string' || !known.includes(name)) continue;
    const args = o.arguments ?? o.parameters ?? {};
    return { name, arguments: (typeof args === 'string' ? JSON.parse(args) : args) as Record<string, unknown> };
  }
  return undefined;
}

/** System-prompt text that tells a model which tools it has and how to call them. */
export function toolsPrompt(tools: [string, ToolImpl][]): string {
  const list = tools.map(([name, t]) =>
    JSON.stringify({ name, description: t.description ?? '', parameters: t.parameters ?? { type: 'object' } }),
  );
  return (
    'You may call tools. To call one, answer only with ' +
    `<tool_call>{"name": "...", "arguments": {...}}</tool_call>.\nTools:\n${list.join('\n')}`
  );
}
