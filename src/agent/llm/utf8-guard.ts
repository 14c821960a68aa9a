// Valid UTF-8 out of any model. Byte-level vocabularies hold tokens that are parts of a character
// (a lead byte, continuation bytes); a trained model strings them into whole characters, a seeded
// or confused one may not, and the text then shows U+FFFD. The guard follows the output's bytes
// through UTF-8's automaton and masks, at each step, the tokens whose bytes cannot continue the
// output validly (a continuation byte with no lead, a lead byte where a continuation is owed,
// overlong forms and surrogates), so every reply decodes cleanly. A trained model's choice is
// almost never masked; streaming still holds back a character split across tokens (engine.ts).

import type { DecodeConstraint } from './decode-hooks.js';

/** States: 0 between characters; 1-3 continuation bytes owed; 4-7 a second byte in a narrow range. */
const STATES = 8;
const INVALID = -1;

function step(state: number, b: number): number {
  switch (state) {
    case 0:
      if (b < 0x80) return 0;
      if (b >= 0xc2 && b <= 0xdf) return 1;
      if (b === 0xe0) return 4;
      if (b === 0xed) return 5;
      if (b >= 0xe1 && b <= 0xef) return 2;
      if (b === 0xf0) return 6;
      if (b >= 0xf1 && b <= 0xf3) return 3;
      if (b === 0xf4) return 7;
      return INVALID;
    case 1:
    case 2:
    case 3:
      return b >= 0x80 && b <= 0xbf ? state - 1 : INVALID;
    case 4: // E0: A0-BF (no overlong three-byte forms)
      return b >= 0xa0 && b <= 0xbf ? 1 : INVALID;
    case 5: // ED: 80-9F (no surrogates)
      return b >= 0x80 && b <= 0x9f ? 1 : INVALID;
    case 6: // F0: 90-BF (no overlong four-byte forms)
      return b >= 0x90 && b <= 0xbf ? 2 : INVALID;
    default: // F4: 80-8F (nothing above U+10FFFF)
      return b >= 0x80 && b <= 0x8f ? 2 : INVALID;
  }
}

/** Per start state: the state after each token's bytes (INVALID when they break UTF-8). */
export class Utf8Table {
  readonly next: Int8Array;
  /** Tokens that break UTF-8 between characters (few: those opening with a continuation byte). */
  readonly badAtBoundary: Int32Array;
  /** Per state owing bytes: the tokens that may come next (few: those opening with continuations). */
  readonly allowedInside: Int32Array[];
  constructor(readonly bytes: Uint8Array[]) {
    const V = bytes.length;
    this.next = new Int8Array(STATES * V);
    for (let id = 0; id < V; id++) {
      const b = bytes[id]!;
      for (let s = 0; s < STATES; s++) {
        // a token without bytes (a special marker, end of turn) only fits between characters
        let t = b.length ? s : s === 0 ? 0 : INVALID;
        for (let i = 0; i < b.length && t !== INVALID; i++) t = step(t, b[i]!);
        this.next[s * V + id] = t;
      }
    }
    const pick = (s: number, valid: boolean) => {
      const ids: number[] = [];
      for (let id = 0; id < V; id++) if ((this.next[s * V + id] !== INVALID) === valid) ids.push(id);
      return Int32Array.from(ids);
    };
    this.badAtBoundary = pick(0, false);
    this.allowedInside = Array.from({ length: STATES }, (_, s) => (s === 0 ? new Int32Array(0) : pick(s, true)));
  }
  get vocabSize(): number {
    return this.bytes.length;
  }
}

/** Masks the tokens that would make the output invalid UTF-8; follows the chosen ones. */
export class Utf8Guard implements DecodeConstraint {
  private state = 0;
  constructor(private readonly table: Utf8Table) {}

  /** Between characters (nothing owed): the text so far decodes without a replacement character. */
  get atBoundary(): boolean {
    return this.state === 0;
  }

  filter(logits: Float32Array): void {
    const V = Math.min(logits.length, this.table.vocabSize);
    if (this.state === 0) {
      const bad = this.table.badAtBoundary;
      const saved = new Float32Array(bad.length);
      let left = false;
      for (let k = 0; k < bad.length; k++) {
        const id = bad[k]!;
        if (id >= V) continue;
        saved[k] = logits[id]!;
        logits[id] = -Infinity;
      }
      for (let i = 0; i < logits.length && !left; i++) left = logits[i]! > -Infinity;
      // nothing valid left (another constraint allowed only these): leave the choice as it was
      if (!left) for (let k = 0; k < bad.length; k++) if (bad[k]! < V) logits[bad[k]!] = saved[k]!;
      return;
    }
    const ok = this.table.allowedInside[this.state]!;
    const kept = new Float32Array(ok.length);
    let left = false;
    for (let k = 0; k < ok.length; k++) {
      kept[k] = ok[k]! < V ? logits[ok[k]!]! : -Infinity;
      left ||= kept[k]! > -Infinity;
    }
    if (!left) return;
    logits.fill(-Infinity);
    for (let k = 0; k < ok.length; k++) if (ok[k]! < V) logits[ok[k]!] = kept[k]!;
  }

  accept(id: number): void {
    const V = this.table.vocabSize;
    const t = id >= 0 && id < V ? this.table.next[this.state * V + id]! : INVALID;
    // a token outside the guard's choice (forced, resumed): start over at the next boundary
    this.state = t === INVALID ? 0 : t;
  }
}

/** Both constraints at once: the caller's (JSON, tool names) first, then the UTF-8 guard. */
export function withGuard(c: DecodeConstraint | undefined, guard: Utf8Guard | undefined): DecodeConstraint | undefined {
  if (!guard) return c;
  if (!c) return guard;
  return {
    filter(logits) {
      c.filter(logits);
      guard.filter(logits);
    },
    accept(id) {
      c.accept(id);
      guard.accept(id);
    },
    get finished() {
      return c.finished;
    },
  };
}
