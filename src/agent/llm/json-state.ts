// An incremental JSON recognizer, optionally held to a JSON schema (json-schema.ts): fed text a
// piece at a time (each candidate token's), it says whether the text so far can still become valid
// output and when the value is complete.

import { branchFor, type JsonSchema, type Kind, kindsOf, stringChoices } from './json-schema.js';

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
