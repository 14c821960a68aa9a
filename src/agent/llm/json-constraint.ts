// Structured output by constrained decoding: an incremental JSON recognizer, optionally held to a
// JSON schema, fed the text of each candidate token; tokens that would leave valid JSON (or the
// schema) are masked before sampling, and the end of the value ends generation. Supported schema
// words: type (object, array, string, number, integer, boolean, null, or a list of them),
// properties, required, additionalProperties, items, enum, const, anyOf/oneOf of such schemas
// (resolved by the first character). Other words (minLength, pattern, …) are not enforced; the
// caller rejects schemas that use them, so nothing is silently ignored.

export type JsonSchema = Record<string, unknown>;

const SUPPORTED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'description',
  'title',
  '$schema',
  'default',
  'examples',
  'strict',
]);

/** Words of a schema this recognizer cannot enforce (empty when it can enforce all). */
export function unsupportedSchemaWords(s: unknown, at = '$'): string[] {
  if (!s || typeof s !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(s as JsonSchema)) {
    if (!SUPPORTED.has(k)) out.push(`${at}.${k}`);
    if (k === 'properties' && v && typeof v === 'object')
      for (const [p, sub] of Object.entries(v)) out.push(...unsupportedSchemaWords(sub, `${at}.properties.${p}`));
    if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object'))
      out.push(...unsupportedSchemaWords(v, `${at}.${k}`));
    if ((k === 'anyOf' || k === 'oneOf') && Array.isArray(v))
      v.forEach((sub, i) => out.push(...unsupportedSchemaWords(sub, `${at}.${k}[${i}]`)));
  }
  return out;
}

type Kind = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
const ALL: Kind[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

function kindsOf(s: JsonSchema | undefined): Kind[] {
  if (!s) return ALL;
  if ('const' in s) return [jsonKind(s.const)];
  if (Array.isArray(s.enum)) return [...new Set((s.enum as unknown[]).map(jsonKind))];
  const t = s.type;
  if (typeof t === 'string') return [t as Kind];
  if (Array.isArray(t)) return t as Kind[];
  if (Array.isArray(s.anyOf ?? s.oneOf)) return [...new Set(((s.anyOf ?? s.oneOf) as JsonSchema[]).flatMap(kindsOf))];
  if (s.properties) return ['object'];
  return ALL;
}

function jsonKind(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as Kind;
}

/** The branch of an anyOf/oneOf that a value of this kind takes. */
function branchFor(s: JsonSchema | undefined, kind: Kind): JsonSchema | undefined {
  const alts = s && (s.anyOf ?? s.oneOf);
  if (!Array.isArray(alts)) return s;
  return (alts as JsonSchema[]).find(
    (a) => kindsOf(a).includes(kind) || (kind === 'integer' && kindsOf(a).includes('number')),
  );
}

/** String values a schema allows (enum / const of strings), or undefined for any string. */
function stringChoices(s: JsonSchema | undefined): string[] | undefined {
  if (!s) return undefined;
  if (typeof s.const === 'string') return [s.const];
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).filter((x): x is string => typeof x === 'string');
  return undefined;
}

type Frame =
  | { k: 'value'; s?: JsonSchema }
  | { k: 'object'; s?: JsonSchema; st: 'first' | 'key' | 'colon' | 'value' | 'next'; seen: string[]; key: string }
  | { k: 'array'; s?: JsonSchema; st: 'first' | 'value' | 'next' }
  | { k: 'string'; choices?: string[]; buf: string; esc: number; key: boolean }
  | { k: 'number'; buf: string; integer: boolean }
  | { k: 'literal'; rest: string };

const WS = new Set([' ', '\n', '\t', '\r']);

export class JsonState {
  constructor(
    private stack: Frame[],
    private ws = 0,
    private rootSchema?: JsonSchema,
  ) {}

  static start(schema?: JsonSchema, objectOnly = false): JsonState {
    return new JsonState([{ k: 'value', s: schema ?? (objectOnly ? { type: 'object' } : undefined) }], 0, schema);
  }

  clone(): JsonState {
    return new JsonState(
      this.stack.map((f) => ('seen' in f ? { ...f, seen: [...f.seen] } : { ...f })),
      this.ws,
      this.rootSchema,
    );
  }

  /** The value is complete: only the end (or trailing whitespace) may follow. */
  get complete(): boolean {
    if (!this.stack.length) return true;
    const f = this.stack[0]!;
    return this.stack.length === 1 && f.k === 'number' && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(f.buf);
  }

  /** Nothing more may follow but whitespace (a number at the top level is never ended: it may go on). */
  get ended(): boolean {
    return this.stack.length === 0;
  }

  /** Feed text; false (and a spoiled state) when it leaves valid output. */
  feed(text: string): boolean {
    for (const ch of text) if (!this.char(ch)) return false;
    return true;
  }

  private allowedKeys(f: Extract<Frame, { k: 'object' }>): string[] | undefined {
    const props = f.s?.properties as Record<string, unknown> | undefined;
    if (!props || f.s?.additionalProperties === true || typeof f.s?.additionalProperties === 'object') return undefined;
    return Object.keys(props).filter((k) => !f.seen.includes(k));
  }

  private canClose(f: Extract<Frame, { k: 'object' }>): boolean {
    const req = (f.s?.required as string[] | undefined) ?? [];
    return req.every((r) => f.seen.includes(r));
  }

  private startValue(ch: string, s: JsonSchema | undefined): boolean {
    const kinds = kindsOf(s);
    const has = (k: Kind) => kinds.includes(k);
    if (ch === '{' && has('object')) {
      this.stack.push({ k: 'object', s: branchFor(s, 'object'), st: 'first', seen: [], key: '' });
      return true;
    }
    if (ch === '[' && has('array')) {
      this.stack.push({ k: 'array', s: branchFor(s, 'array'), st: 'first' });
      return true;
    }
    if (ch === '"' && has('string')) {
      this.stack.push({ k: 'string', choices: stringChoices(branchFor(s, 'string')), buf: '', esc: 0, key: false });
      return true;
    }
    if ((ch === '-' || (ch >= '0' && ch <= '9')) && (has('number') || has('integer'))) {
      this.stack.push({ k: 'number', buf: ch, integer: !has('number') });
      return true;
    }
    if (ch === 't' && has('boolean') && s?.const !== false && !(Array.isArray(s?.enum) && !s!.enum.includes(true))) {
      this.stack.push({ k: 'literal', rest: 'rue' });
      return true;
    }
    if (ch === 'f' && has('boolean') && s?.const !== true && !(Array.isArray(s?.enum) && !s!.enum.includes(false))) {
      this.stack.push({ k: 'literal', rest: 'alse' });
      return true;
    }
    if (ch === 'n' && has('null')) {
      this.stack.push({ k: 'literal', rest: 'ull' });
      return true;
    }
    return false;
  }

  /** A value ended: the frame below moves on. */
  private valueDone(): void {
    const p = this.stack[this.stack.length - 1];
    if (p?.k === 'object') p.st = 'next';
    else if (p?.k === 'array') p.st = 'next';
  }

  private char(ch: string): boolean {
    const f = this.stack[this.stack.length - 1];
    if (!f) return WS.has(ch) && this.gap(ch, 0);
    const blank = WS.has(ch);
    if (f.k !== 'string' && f.k !== 'number' && f.k !== 'literal') {
      if (blank) return this.gap(ch, this.stack.length);
      this.ws = 0;
    }
    switch (f.k) {
      case 'value':
        this.stack.pop(); // replaced by the value that starts here
        return this.startValue(ch, f.s);
      case 'literal':
        if (ch !== f.rest[0]) return false;
        f.rest = f.rest.slice(1);
        if (!f.rest) {
          this.stack.pop();
          this.valueDone();
        }
        return true;
      case 'number': {
        const next = f.buf + ch;
        const re = f.integer ? /^-?(0|[1-9]\d*)?$/ : /^-?(0|[1-9]\d*)?(\.\d*)?([eE][+-]?\d*)?$/;
        if (re.test(next) && !(f.buf === '0' && /\d/.test(ch)) && !(f.buf === '-0' && /\d/.test(ch))) {
          f.buf = next;
          return true;
        }
        if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(f.buf)) return false;
        this.stack.pop();
        this.valueDone();
        return this.char(ch);
      }
      case 'string': {
        if (f.esc === 1) {
          if (ch === 'u') {
            f.esc = 2;
            return true;
          }
          if (!'"\\/bfnrt'.includes(ch)) return false;
          f.esc = 0;
          return this.stringChar(f, ch === '"' || ch === '\\' || ch === '/' ? ch : (JSON.parse(`"\\${ch}"`) as string));
        }
        if (f.esc >= 2) {
          if (!/[0-9a-fA-F]/.test(ch)) return false;
          f.esc = f.esc === 5 ? 0 : f.esc + 1;
          return true;
        }
        if (ch === '\\') {
          if (f.choices) return false;
          f.esc = 1;
          return true;
        } // enum values are written plainly
        if (ch === '"') {
          if (f.choices && !f.choices.includes(f.buf)) return false;
          this.stack.pop();
          const p = this.stack[this.stack.length - 1];
          if (f.key && p?.k === 'object') {
            p.key = f.buf;
            p.seen.push(f.buf);
            p.st = 'colon';
            return true;
          }
          this.valueDone();
          return true;
        }
        if (ch.charCodeAt(0) < 0x20) return false;
        return this.stringChar(f, ch);
      }
      case 'object':
        if (f.st === 'first' || f.st === 'key') {
          if (ch === '}' && f.st === 'first' && this.canClose(f)) {
            this.stack.pop();
            this.valueDone();
            return true;
          }
          if (ch !== '"') return false;
          const keys = this.allowedKeys(f);
          if (keys && !keys.length) return false;
          this.stack.push({ k: 'string', choices: keys, buf: '', esc: 0, key: true });
          return true;
        }
        if (f.st === 'colon') {
          if (ch !== ':') return false;
          f.st = 'value';
          const props = f.s?.properties as Record<string, JsonSchema> | undefined;
          const extra =
            typeof f.s?.additionalProperties === 'object' ? (f.s.additionalProperties as JsonSchema) : undefined;
          this.stack.push({ k: 'value', s: props?.[f.key] ?? extra });
          return true;
        }
        if (f.st === 'next') {
          if (ch === '}' && this.canClose(f)) {
            this.stack.pop();
            this.valueDone();
            return true;
          }
          if (ch === ',') {
            const keys = this.allowedKeys(f);
            if (keys && !keys.length) return false;
            f.st = 'key';
            return true;
          }
          return false;
        }
        return false;
      case 'array':
        if (f.st === 'first' && ch === ']') {
          this.stack.pop();
          this.valueDone();
          return true;
        }
        if (f.st === 'next') {
          if (ch === ']') {
            this.stack.pop();
            this.valueDone();
            return true;
          }
          if (ch === ',') {
            f.st = 'value';
            this.stack.push({ k: 'value', s: f.s?.items as JsonSchema | undefined });
            return true;
          }
          return false;
        }
        f.st = 'value';
        this.stack.push({ k: 'value', s: f.s?.items as JsonSchema | undefined });
        return this.char(ch);
    }
  }

  /**
   * Whitespace between tokens as pretty-printers write it: at most one newline, then an indent of
   * up to 2 spaces per level (or one space after a colon or comma); no tabs, no runs of blank lines.
   * ws counts spaces, +1000 once a newline was seen.
   */
  private gap(ch: string, depth: number): boolean {
    if (ch === '\n') {
      if (this.ws !== 0) return false;
      this.ws = 1000;
      return true;
    }
    if (ch !== ' ') return false;
    const spaces = this.ws % 1000;
    if (spaces >= Math.max(1, 2 * depth)) return false;
    this.ws++;
    return true;
  }

  private stringChar(f: Extract<Frame, { k: 'string' }>, decoded: string): boolean {
    f.buf += decoded;
    return !f.choices || f.choices.some((c) => c.startsWith(f.buf));
  }
}

/**
 * A logits filter for the engine: masks every token whose text would leave valid output, keeping
 * at most `keep` of the most likely valid ones among the 2,048 most likely tokens (or the first
 * valid one beyond them): exact for greedy decoding; sampling is truncated to those candidates,
 * since a full scan of a large vocabulary per step costs more than decoding it. End-of-sequence ids are allowed only
 * once the value is complete, and are the only choice then.
 */
export class JsonConstraint {
  private state: JsonState;
  constructor(
    private readonly tokenText: (id: number) => string,
    private readonly stopIds: number[],
    schema?: JsonSchema,
    objectOnly = false,
    private readonly keep = 40,
  ) {
    this.state = JsonState.start(schema, objectOnly);
  }

  get complete(): boolean {
    return this.state.complete;
  }
  /** The value has ended: generation stops here. */
  get finished(): boolean {
    return this.state.ended;
  }

  /** Take a chosen token into the state. */
  accept(id: number): void {
    if (this.stopIds.includes(id)) return;
    if (!this.state.feed(this.tokenText(id)))
      throw new Error(`constrained decoding: token ${id} (${JSON.stringify(this.tokenText(id))}) was not allowed`);
  }

  /** Mask logits in place. */
  filter(logits: Float32Array): void {
    if (this.state.complete && this.stopIds.length) {
      const best = this.stopIds.reduce((a, b) => (logits[b]! > logits[a]! ? b : a));
      logits.fill(-Infinity);
      logits[best] = 0;
      return;
    }
    const head = topIds(logits, HEAD);
    let allowed = this.valid(head, this.keep);
    // valid tokens may be rare among the likely ones (after '{'): look where they can be, by first character
    if (!allowed.length) allowed = this.valid(this.byFirstChar(logits), 1);
    if (!allowed.length) throw new Error('constrained decoding: no token of the vocabulary continues the JSON');
    const kept = allowed.map((i) => logits[i]!);
    logits.fill(-Infinity);
    allowed.forEach((id, j) => {
      logits[id] = kept[j]!;
    });
  }

  private valid(ids: Iterable<number>, keep: number): number[] {
    const out: number[] = [];
    for (const id of ids) {
      if (this.stopIds.includes(id)) continue;
      const t = this.tokenText(id);
      if (!t || t.includes('\uFFFD')) continue; // partial UTF-8 bytes cannot be checked as text
      if (this.state.clone().feed(t)) {
        out.push(id);
        if (out.length >= keep) break;
      }
    }
    return out;
  }

  /** Tokens whose first character the state accepts, most likely first. */
  private byFirstChar(logits: Float32Array): number[] {
    const index = this.index ?? (this.index = firstCharIndex(this.tokenText, logits.length));
    const ids: number[] = [];
    for (const [ch, list] of index) if (this.state.clone().feed(ch)) for (const id of list) ids.push(id);
    return ids.sort((a, b) => logits[b]! - logits[a]!);
  }
  private index?: Map<string, number[]>;
}

/** Token ids by the first character of their text, built once per tokenText function. */
const indexes = new WeakMap<(id: number) => string, Map<string, number[]>>();
function firstCharIndex(tokenText: (id: number) => string, vocab: number): Map<string, number[]> {
  let m = indexes.get(tokenText);
  if (m) return m;
  m = new Map();
  for (let id = 0; id < vocab; id++) {
    const t = tokenText(id);
    if (!t || t.includes('\uFFFD')) continue;
    const ch = String.fromCodePoint(t.codePointAt(0)!);
    let l = m.get(ch);
    if (!l) {
      l = [];
      m.set(ch, l);
    }
    l.push(id);
  }
  indexes.set(tokenText, m);
  return m;
}

/** The k most likely ids, most likely first (a sorted copy of the logits gives the cut). */
function topIds(logits: Float32Array, k: number): number[] {
  const n = logits.length;
  const cut = n > 2 * k ? Float32Array.from(logits).sort()[n - k]! : -Infinity;
  const head: number[] = [];
  for (let i = 0; i < n; i++) if (logits[i]! >= cut) head.push(i);
  return head.sort((a, b) => logits[b]! - logits[a]!);
}

const HEAD = 2048;
