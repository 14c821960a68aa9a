// What an offload server says about the language models it serves (GET /v1/info `llms`, and the
// `switchyard` field of GET /v1/models entries): enough for a client to know that the server holds
// the very model it would run locally (the fingerprint) and to predict TTFT and TPOT there from
// what the server measured, not from a roofline guess. The same estimate is the server's own
// admission check against a request's deadline.

import { z } from 'zod';

export const LlmInfoSchema = z.object({
  /** The name chat requests use (`model`). */
  id: z.string(),
  /** SHA-256 over the config, tokenizer and weights as loaded (modelFingerprint): same model, same answer. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  arch: z.string(),
  params: z.number(),
  contextLength: z.number().int(),
  /** KV cache positions of one generation (prompt + new tokens at most). */
  capacity: z.number().int(),
  weightBytes: z.number(),
  /** The server device that computes it ('wasm', 'webgpu', 'cpu'). */
  device: z.string(),
  /**
   * Time to the first token (prefill + first sample), ms, for a prompt of each bucket length:
   * prompts are padded to the smallest bucket that fits; longer ones run in chunks of the largest.
   */
  prefill: z.object({
    buckets: z.array(z.number().int().positive()).min(1),
    ms: z.array(z.number().nonnegative()).min(1),
  }),
  /** Time per output token after the first, ms. */
  tpotMs: z.number().nonnegative(),
  /**
   * Continuous batching, when the server runs it: concurrent sequences at most (`slots`), the
   * paged KV cache's block size and blocks, and the measured TPOT at each decode batch size.
   */
  batching: z
    .object({
      slots: z.number().int().positive(),
      blockSize: z.number().int().positive(),
      blocks: z.number().int().positive(),
      sizes: z.array(z.number().int().positive()).min(1),
      tpotMs: z.array(z.number().nonnegative()).min(1),
    })
    .optional(),
  /**
   * Conversations whose prompt's KV blocks the server keeps for prefix reuse, most recent last: the
   * conversationHash of a message list and its tokens (a request that starts with those messages
   * prefills only the rest there, while the pool has not needed the blocks).
   */
  prefixes: z.array(z.object({ hash: z.string(), tokens: z.number().int().nonnegative() })).optional(),
  /** Completions served so far (0: the figures come from the measurement at load). */
  runs: z.number().int(),
  source: z.string(),
});
export type LlmInfo = z.infer<typeof LlmInfoSchema>;

/** TTFT of a prompt of `n` tokens, ms, from the bucket timings (chunks of the largest bucket, then the rest). */
export function llmTtftMs(info: Pick<LlmInfo, 'prefill'>, n: number): number {
  const { buckets, ms } = info.prefill;
  const max = buckets[buckets.length - 1]!;
  const at = (k: number) => ms[buckets.findIndex((b) => b >= k)] ?? ms[ms.length - 1]!;
  const full = Math.floor(Math.max(0, n - 1) / max);
  return full * ms[ms.length - 1]! + at(n - full * max);
}

/** Time of a whole completion: TTFT, then `maxTokens - 1` decode steps. */
export function llmEstimateMs(
  info: Pick<LlmInfo, 'prefill' | 'tpotMs'>,
  promptTokens: number,
  maxTokens: number,
): number {
  return llmTtftMs(info, Math.max(1, promptTokens)) + Math.max(0, maxTokens - 1) * info.tpotMs;
}

/** Request headers: a completion's time-to-first-token and time-per-output-token targets, ms. */
export const TTFT_HEADER = 'switchyard-ttft-ms';
export const TPOT_HEADER = 'switchyard-tpot-ms';

/** TPOT at a decode batch of `b` sequences, ms: the measured sizes interpolated (past the last, its slope). */
export function llmTpotAt(info: Pick<LlmInfo, 'tpotMs' | 'batching'>, b: number): number {
  const m = info.batching;
  if (!m || b <= 1) return m ? Math.max(m.tpotMs[0]!, 0) : info.tpotMs;
  const { sizes, tpotMs } = m;
  let i = sizes.findIndex((s) => s >= b);
  if (i === 0) return tpotMs[0]!;
  if (i < 0) i = sizes.length - 1;
  if (i === 0) return tpotMs[0]!;
  const [s0, s1, t0, t1] = [sizes[i - 1]!, sizes[i]!, tpotMs[i - 1]!, tpotMs[i]!];
  return Math.max(0, t0 + ((t1 - t0) * (b - s0)) / (s1 - s0));
}

/** A hash of a chat's messages (role and content) that servers advertise and routers match, tokenizer-free. */
export function conversationHash(messages: readonly { role?: unknown; content?: unknown }[]): string {
  const text = JSON.stringify(messages.map((m) => [m.role ?? '', m.content ?? '']));
  let a = 0x811c9dc5,
    b = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x85ebca6b);
    b ^= b >>> 13;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
