// Structured output by constrained decoding: the JSON recognizer (json-state.ts), optionally held
// to a JSON schema (json-schema.ts), fed the text of each candidate token; tokens that would leave
// valid JSON (or the schema) are masked before sampling, and the end of the value ends generation.

import type { JsonSchema } from './json-schema.js';
import { JsonState } from './json-state.js';

export { type JsonSchema, unsupportedSchemaWords } from './json-schema.js';
export { JsonState };

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
