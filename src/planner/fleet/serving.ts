// The serving cost model the fleet router and the trace simulator share: what a completion sent
// to one LLM server would see (wait for a slot, TTFT, TPOT in the batch it joins) and what it
// costs there, from the server's measured figures (GET /v1/info: TTFT per prompt bucket, TPOT per
// decode batch size, slots) and its price. A continuously batched server shares its time among
// the sequences of a step, so a request's share of the price is its time divided by the batch.

import { type LlmInfo, llmTpotAt, llmTtftMs } from '../../protocol/llm.js';

export type ServingFigures = Pick<LlmInfo, 'prefill' | 'tpotMs' | 'batching'> & Partial<Pick<LlmInfo, 'prefixes'>>;

export interface ServingAsk {
  promptTokens: number;
  maxTokens: number;
  ttftMs?: number;
  tpotMs?: number;
}

export interface ServerState {
  /** Completions running or queued on the server now. */
  inflight: number;
  slots: number;
  /** Mean time a running completion there still needs, ms (the wait for a slot when all are busy). */
  meanLeftMs: number;
  /** Completions there that have no first token yet: their prefills run first, one per step. */
  prefilling?: number;
}

export interface ServingPrediction {
  waitMs: number;
  ttftMs: number;
  tpotMs: number;
  totalMs: number;
  batch: number;
  costUsd: number;
  meets: boolean;
}

export function predictServing(
  f: ServingFigures,
  s: ServerState,
  ask: ServingAsk,
  pricePerHour: number,
  /** Prompt tokens the server holds in its prefix cache: only the rest is prefilled. */
  cachedTokens = 0,
): ServingPrediction {
  const over = s.inflight + 1 - s.slots;
  // when every slot is busy, one frees about every meanLeft / slots ms
  const waitMs = over > 0 ? (over * s.meanLeftMs) / s.slots : 0;
  const batch = Math.min(s.slots, s.inflight + 1);
  const prefillMs = llmTtftMs(f, Math.max(1, ask.promptTokens - cachedTokens));
  // the step loop runs a newcomer's prefill between decode steps: over this stream's life about
  // as many sequences join as run beside it, each adding a prefill (this prompt's, as an estimate)
  const joins = ask.maxTokens > 1 ? ((batch - 1) * prefillMs) / ask.maxTokens : 0;
  const tpotMs = llmTpotAt(f, batch) + joins;
  const ahead = Math.min(s.prefilling ?? 0, s.slots - 1) * (prefillMs + llmTpotAt(f, batch));
  const ttftMs = waitMs + ahead + prefillMs + (batch > 1 ? llmTpotAt(f, batch) : 0);
  const runMs = ttftMs - waitMs + Math.max(0, ask.maxTokens - 1) * tpotMs;
  const totalMs = waitMs + runMs;
  const costUsd = (pricePerHour / 3_600_000) * (runMs / batch);
  const meets =
    (ask.ttftMs === undefined || ttftMs <= ask.ttftMs) &&
    (ask.tpotMs === undefined || ask.maxTokens <= 1 || tpotMs <= ask.tpotMs);
  return { waitMs, ttftMs, tpotMs, totalMs, batch, costUsd, meets };
}

export type Policy = 'round-robin' | 'least-loaded' | 'router';

export interface Candidate {
  figures: ServingFigures;
  state: ServerState;
  pricePerHour: number;
  /** Prompt tokens of this request the server holds cached (prefix reuse). */
  cachedTokens?: number;
}

/**
 * Pick a server for one completion: round-robin (turn by turn), least-loaded (fewest in flight per
 * slot), or the router: the cheapest server predicted to meet the SLA, and when none does, the one
 * that misses it by the least (a later TTFT or TPOT, relative to the target).
 */
export function choose(policy: Policy, cs: Candidate[], ask: ServingAsk, turn: number): number {
  if (policy === 'round-robin') return turn % cs.length;
  if (policy === 'least-loaded') {
    let best = 0;
    cs.forEach((c, i) => {
      if (c.state.inflight / c.state.slots < cs[best]!.state.inflight / cs[best]!.state.slots) best = i;
    });
    return best;
  }
  const p = cs.map((c) => predictServing(c.figures, c.state, ask, c.pricePerHour, c.cachedTokens));
  const ok = p.map((x, i) => [x, i] as const).filter(([x]) => x.meets);
  if (ok.length) return ok.reduce((a, b) => (b[0].costUsd < a[0].costUsd ? b : a))[1];
  const miss = (x: ServingPrediction) =>
    Math.max(ask.ttftMs ? x.ttftMs / ask.ttftMs : 0, ask.tpotMs ? x.tpotMs / ask.tpotMs : 0);
  let best = 0;
  p.forEach((x, i) => {
    if (miss(x) < miss(p[best]!)) best = i;
  });
  return best;
}
