// What a caller may hook into each decode step: a constraint that masks the logits before the draw
// and follows the chosen tokens (JSON output, forced tool names), and the log-probabilities of the
// chosen token and its most likely alternatives (OpenAI's logprobs).

export interface DecodeConstraint {
  /** Set the logits of tokens that may not come next to -Infinity (in place). */
  filter(logits: Float32Array): void;
  accept(id: number): void;
  /** The constrained output is complete: generation ends here. */
  readonly finished?: boolean;
}

/** log-softmax of the chosen id and of the k most likely (model's distribution, before any mask). */
export function logprobsOf(logits: Float32Array, id: number, k: number): { logprob: number; top: [number, number][] } {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > m) m = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - m);
  const lse = m + Math.log(sum);
  const top: [number, number][] = [];
  if (k > 0) {
    const ids: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      if (ids.length < k) {
        ids.push(i);
        ids.sort((a, b) => logits[b]! - logits[a]!);
      } else if (logits[i]! > logits[ids[k - 1]!]!) {
        ids[k - 1] = i;
        ids.sort((a, b) => logits[b]! - logits[a]!);
      }
    }
    for (const i of ids) top.push([i, logits[i]! - lse]);
  }
  return { logprob: logits[id]! - lse, top };
}
