// The serving cost model the fleet router and the trace simulator share: what a completion sent
// to one LLM server would see (wait for a slot, TTFT, TPOT in the batch it joins) and what it
// costs there, from the server's measured figures (GET /v1/info: TTFT per prompt bucket, TPOT per
// decode batch size, slots) and its price. A continuously batched server shares its time among
// the sequences of a step, so a request's share of the price is its time divided by the batch.

import { type LlmInfo, llmTpotAt, llmTtftMs } from '../../protocol/llm.js';

export type ServingFigures = Pick<LlmInfo, 'prefill' | 'tpotMs' | 'batching'> &
  Partial<Pick<LlmInfo, 'prefixes' | 'capacity'>>;

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
  /**
   * The completions in flight there, oldest first (the first `slots` hold the slots, the rest wait in
   * order), with their progress: when given, the wait for a slot is worked out from what each still
   * has to do, not from `meanLeftMs`.
   */
  queue?: InFlight[];
  /** Measured TPOT there over the predicted one (streams the caller saw end; 1 when none yet). */
  tpotScale?: number;
}

/** A completion in flight on a server, as the router sees it through the stream it proxies. */
export interface InFlight {
  promptTokens: number;
  /** Tokens it may still produce (max_tokens less those streamed). */
  tokensLeft: number;
  /** Its first token came (its prefill is done). */
  prefilled: boolean;
}

/** Time a completion in flight still needs on a server decoding `batch` sequences, ms. */
export function remainingMs(f: ServingFigures, batch: number, q: InFlight, tpotScale = 1): number {
  const tpot = llmTpotAt(f, batch) * tpotScale;
  return q.prefilled
    ? Math.max(0, q.tokensLeft) * tpot
    : llmTtftMs(f, Math.max(1, q.promptTokens)) + Math.max(0, q.tokensLeft - 1) * tpot;
}

/**
 * When a newcomer gets a slot: the running completions free theirs as they end, and the ones
 * waiting ahead take them in order (each then runs for its whole remaining time).
 */
function slotWaitMs(f: ServingFigures, s: ServerState, queue: InFlight[]): number {
  const batch = Math.min(s.slots, queue.length + 1);
  const free = queue.slice(0, s.slots).map((q) => remainingMs(f, batch, q, s.tpotScale));
  if (free.length < s.slots) return 0;
  for (const q of queue.slice(s.slots)) {
    free.sort((a, b) => a - b);
    free[0] = free[0]! + remainingMs(f, batch, q, s.tpotScale);
  }
  return Math.min(...free);
}

export interface ServingPrediction {
  waitMs: number;
  ttftMs: number;
  tpotMs: number;
  totalMs: number;
  batch: number;
  costUsd: number;
  meets: boolean;
  /** The prompt and its answer fit the server's KV capacity (when it publishes one). */
  fits: boolean;
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
  // when every slot is busy, one frees about every meanLeft / slots ms (without the queue's progress)
  const waitMs = s.queue ? slotWaitMs(f, s, s.queue) : over > 0 ? (over * s.meanLeftMs) / s.slots : 0;
  const batch = Math.min(s.slots, s.inflight + 1);
  const prefillMs = llmTtftMs(f, Math.max(1, ask.promptTokens - cachedTokens));
  // the step loop runs a newcomer's prefill between decode steps: over this stream's life about
  // as many sequences join as run beside it, each adding a prefill (this prompt's, as an estimate)
  const joins = ask.maxTokens > 1 ? ((batch - 1) * prefillMs) / ask.maxTokens : 0;
  const tpotMs = (llmTpotAt(f, batch) + joins) * (s.tpotScale ?? 1);
  const ahead = Math.min(s.prefilling ?? 0, s.slots - 1) * (prefillMs + llmTpotAt(f, batch));
  const ttftMs = waitMs + ahead + prefillMs + (batch > 1 ? llmTpotAt(f, batch) : 0);
  const runMs = ttftMs - waitMs + Math.max(0, ask.maxTokens - 1) * tpotMs;
  const totalMs = waitMs + runMs;
  const costUsd = (pricePerHour / 3_600_000) * (runMs / batch);
  const fits = f.capacity === undefined || ask.promptTokens + ask.maxTokens <= f.capacity;
  const meets =
    fits &&
    (ask.ttftMs === undefined || ttftMs <= ask.ttftMs) &&
    (ask.tpotMs === undefined || ask.maxTokens <= 1 || tpotMs <= ask.tpotMs);
  return { waitMs, ttftMs, tpotMs, totalMs, batch, costUsd, meets, fits };
}

/**
 * Fold one finished stream into a server's TPOT scale (measured over predicted, a moving average,
 * kept within 0.5-4): what the figures miss on that server (prefills between steps, a busy host).
 */
export function learnTpotScale(scale: number, measuredMs: number, predictedMs: number): number {
  if (!(measuredMs > 0 && predictedMs > 0)) return scale;
  return Math.min(4, Math.max(0.5, 0.7 * scale + (0.3 * measuredMs) / predictedMs));
}

/** The router's choice keeps predicted TTFT and TPOT within this share of the targets when it can. */
export const SLACK = 0.75;

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
 * slot), or the router: the cheapest server predicted to meet the SLA with SLACK to spare, else the
 * one with the most slack or the least miss (a later TTFT or TPOT, relative to the target).
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
  // a server whose KV cache cannot hold the request only when none can
  const miss = (x: ServingPrediction) =>
    (x.fits ? 0 : 1e9) + Math.max(ask.ttftMs ? x.ttftMs / ask.ttftMs : 0, ask.tpotMs ? x.tpotMs / ask.tpotMs : 0);
  // the cheapest that meets the targets with slack to spare (predictions err by a step or two on a
  // busy host); else the one that meets them with the most slack; else the least miss
  const slack = cs.length > 1 ? SLACK : 1;
  const sure = p.map((x, i) => [x, i] as const).filter(([x]) => x.meets && miss(x) <= slack);
  if (sure.length) return sure.reduce((a, b) => (b[0].costUsd < a[0].costUsd ? b : a))[1];
  let best = 0;
  p.forEach((x, i) => {
    if (miss(x) < miss(p[best]!)) best = i;
  });
  return best;
}
