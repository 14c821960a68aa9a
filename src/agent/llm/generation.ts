// What a generation takes and gives: the model, the engine's and a generation's options, token
// events, the final numbers, and the Generation iterator (engine.ts re-exports all of it).

import type { Device } from '../../backends/device.js';
import type { LlmConfig } from './config.js';
import type { DecodeConstraint } from './decode-hooks.js';
import type { KvRows } from './kv-blob.js';
import type { SamplingOptions } from './sampling.js';
import type { TextTokenizer } from './tokenizer.js';
import type { ModelWeights } from './weights.js';

/** A tool call parsed out of a chat turn (arguments as the model wrote them; `valid`: they parse as JSON). */
export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
  valid: boolean;
}
/** One token's log-probability in OpenAI's shape, with its most likely alternatives. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** Defaults from generation_config.json, applied where a request leaves a setting out. */
export interface GenerationDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
  eosTokenIds?: number[];
}

export interface LlmModel {
  name: string;
  generation?: GenerationDefaults;
  config: LlmConfig;
  weights: ModelWeights;
  tokenizer?: TextTokenizer;
  /** Where it was loaded from, for messages. */
  source: string;
}

export interface EngineOptions {
  /** Device that runs prefill. */
  prefill: Device;
  /** Device that runs decode; the prefill device when omitted. */
  decode?: Device;
  /** KV cache positions (the longest prompt + output a generation may reach); default min(context, 1024). */
  capacity?: number;
  /** Prefill chunk lengths; a prompt is padded to the smallest that fits, longer ones are chunked. */
  buckets?: number[];
}

export interface GenerateOptions extends SamplingOptions {
  /** New tokens at most (default 64). */
  maxTokens?: number;
  /** Strings that end generation (not included in the text). */
  stop?: string[];
  /** Token ids that end generation, besides the tokenizer's end-of-sequence ids. */
  stopTokens?: number[];
  /** Keep going past end-of-sequence tokens (benchmarks). */
  ignoreEos?: boolean;
  signal?: AbortSignal;
  /** Agent node name, used in errors. */
  node?: string;
  /** Add the tokenizer's special tokens (BOS) when encoding a text prompt. */
  addSpecialTokens?: boolean;
  /** Devices for this generation's phases (default: the engine's placement). */
  prefill?: Device;
  decode?: Device;
  /**
   * Continue a generation whose first tokens were made elsewhere (a server that failed mid-stream):
   * they are prefilled after the prompt, the sampler skips their random draws (so a seeded run
   * gives the tokens an uninterrupted one would), max_tokens counts them, and only new text streams
   * (`emittedText` is what the consumer already has).
   */
  resume?: { tokens: number[]; emittedText?: string };
  /**
   * The prompt's KV cache computed elsewhere (a prefill server's hand-off, kv-blob.ts): loaded into
   * this generation's cache instead of prefilling those positions; `resume` then carries the
   * token the prefill server sampled, which is decoded from here.
   */
  kv?: KvRows;
  /** Masks logits before each draw and follows the chosen tokens (constrained decoding: JSON, tool names). */
  constraint?: DecodeConstraint;
  /** Log-probabilities of each chosen token and of the `logprobs` most likely ones (0: the chosen only). */
  logprobs?: number;
  /**
   * Mask tokens that would make the text invalid UTF-8 (utf8-guard.ts): chat text is always valid,
   * even from a seeded model. Off by default, so token-level runs match other engines token for token.
   */
  validUtf8?: boolean;
}

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
  /** Mean decode batch it shared its steps with (continuous batching), itself included. */
  batchRows?: number;
}

/** An async iterator of tokens with the final numbers in `result` once iteration ends. */
export class Generation implements AsyncIterable<TokenEvent> {
  readonly result: Promise<GenerationResult>;
  private resolve!: (r: GenerationResult) => void;
  private reject!: (e: unknown) => void;
  private started = false;
  constructor(private readonly body: (done: (r: GenerationResult) => void) => AsyncGenerator<TokenEvent>) {
    this.result = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
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
    for await (const _ of this) {
      /* drain */
    }
    return this.result;
  }
}
