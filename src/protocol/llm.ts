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
  prefill: z.object({ buckets: z.array(z.number().int().positive()).min(1), ms: z.array(z.number().nonnegative()).min(1) }),
  /** Time per output token after the first, ms. */
  tpotMs: z.number().nonnegative(),
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
export function llmEstimateMs(info: Pick<LlmInfo, 'prefill' | 'tpotMs'>, promptTokens: number, maxTokens: number): number {
  return llmTtftMs(info, Math.max(1, promptTokens)) + Math.max(0, maxTokens - 1) * info.tpotMs;
}
