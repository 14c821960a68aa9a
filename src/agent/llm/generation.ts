// A generation as its consumer sees it: an async iterator of tokens, and the final numbers (text,
// finish reason, TTFT/TPOT, devices, and for chat turns the parsed reply) once iteration ends.

import type { ChatToolCall, TokenLogprob } from './chat.js';

export interface TokenEvent {
  id: number;
  /** Text this token adds (may be empty inside a multi-byte character or a possible stop string). */
  text: string;
  index: number;
  /** Milliseconds since generate() was called. */
  atMs: number;
  /** With the logprobs option: this token's log-probability and the most likely alternatives [id, logprob]. */
  logprob?: number;
  top?: [number, number][];
}

export interface GenerationResult {
  text: string;
  tokens: number[];
  promptTokens: number;
  finishReason: 'stop' | 'length' | 'abort';
  /** Time to first token (prefill + first sample). */
  ttftMs: number;
  /** Mean time per output token after the first. */
  tpotMs: number;
  prefillMs: number;
  decodeMs: number;
  transferMs: number;
  transferBytes: number;
  prefillDevice: string;
  decodeDevice: string;
  /** Why the generation moved from a remote device to a local engine, when it did. */
  fallback?: string;
  /** Chat turns (chat.ts): the reply without its tool calls, the calls, per-token log-probabilities. */
  content?: string | null;
  toolCalls?: ChatToolCall[];
  logprobs?: TokenLogprob[];
}

/** An async iterator of tokens with the final numbers in `result` once iteration ends. */
export class Generation implements AsyncIterable<TokenEvent> {
  readonly result: Promise<GenerationResult>;
  private resolve!: (r: GenerationResult) => void;
  private reject!: (e: unknown) => void;
  private started = false;
  constructor(private readonly body: (done: (r: GenerationResult) => void) => AsyncGenerator<TokenEvent>) {
    this.result = new Promise((res, rej) => { this.resolve = res; this.reject = rej; });
    this.result.catch(() => {}); // errors surface through iteration
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<TokenEvent> {
    if (this.started) throw new Error('a generation can be iterated once');
    this.started = true;
    try {
      yield* this.body(this.resolve);
    } catch (e) {
      this.reject(e);
      throw e;
    }
  }
  /** Run to the end without streaming. */
  async collect(): Promise<GenerationResult> {
    for await (const _ of this) { /* drain */ }
    return this.result;
  }
}

