// The text a generation streams as its tokens come: the whole output decoded again each step (a
// token's text depends on its neighbours), cut at the first stop string, and held back while it
// ends inside a character (a byte-level token holding part of one decodes to U+FFFD until the rest
// arrives) or could still turn into a stop string.

import type { TextTokenizer } from './tokenizer.js';

export class TextStream {
  /** The output's text so far (stop string cut off). */
  text: string;
  /** Characters of `text` already streamed. */
  private emitted: number;
  private readonly holdBack: number;
  constructor(
    private readonly tok: TextTokenizer,
    private readonly stops: string[],
    prior: number[] = [],
    emittedText?: string,
  ) {
    this.holdBack = stops.reduce((m, s) => Math.max(m, s.length - 1), 0);
    this.text = prior.length ? tok.decode(prior) : '';
    this.emitted = Math.min(this.text.length, emittedText?.length ?? this.text.length);
  }

  /** After a token joined `out`: the text that may stream now, and whether a stop string ended it. */
  push(out: number[]): { delta: string; stopped: boolean } {
    let text = this.tok.decode(out);
    let cut = Infinity;
    for (const s of this.stops) {
      const i = text.indexOf(s);
      if (i >= 0 && i < cut) cut = i;
    }
    const stopped = cut !== Infinity;
    if (stopped) text = text.slice(0, cut);
    this.text = text;
    const safe = stopped
      ? text.length
      : text.endsWith('\uFFFD')
        ? this.emitted
        : Math.max(this.emitted, text.length - this.holdBack);
    const delta = text.slice(this.emitted, safe);
    this.emitted = Math.max(this.emitted, safe);
    return { delta, stopped };
  }

  /** Everything not streamed yet (the output is complete). */
  flush(): string {
    const rest = this.text.slice(this.emitted);
    this.emitted = this.text.length;
    return rest;
  }

  /** Drop a character cut off by the end of the output (max_tokens inside it). */
  dropPartial(): void {
    if (this.text.endsWith('\uFFFD')) this.text = this.text.slice(0, -1);
    this.emitted = Math.min(this.emitted, this.text.length);
  }
}
