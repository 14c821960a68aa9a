// A trace-driven simulator of LLM servers with continuous batching, on the same serving model and
// routing rule as the live router (serving.ts): requests arrive at their trace times, a policy
// picks a server from the same state the router sees (each completion in flight with its progress,
// slots, the server's TPOT scale learned from the streams that ended there), and each server runs
// steps as the step loop does - a decode step of every decoding sequence (the measured TPOT at
// that batch size), then one prefill step when one waits: a chunk of at most the largest prompt
// bucket, the waiting prompts of the same chunk length together (as StepLoop.takePrefills), timed
// as a prefill of that many tokens - with at most `slots` sequences admitted. Out: per request
// TTFT and TPOT, SLA attainment and the fleet's cost (each server's price over the time it had
// work), to set beside a measured run.

import { llmTpotAt, llmTtftMs } from '../../protocol/llm.js';
import {
  choose,
  learnTpotScale,
  type Policy,
  predictServing,
  type ServingAsk,
  type ServingFigures,
} from './serving.js';

export interface SimServer {
  name: string;
  figures: ServingFigures;
  slots: number;
  pricePerHour: number;
}
export interface TraceRequest extends ServingAsk {
  atMs: number;
}
export interface SimResult {
  ttftMs: number;
  tpotMs: number;
  server: number;
  meets: boolean;
}

interface Seq {
  req: number;
  tokensLeft: number;
  /** Prompt tokens not prefilled yet (chunks of at most the largest bucket). */
  promptLeft: number;
  predictedTpotMs: number;
  firstAt?: number;
  lastAt?: number;
  prefilled: boolean;
  startedAt: number;
  predictedMs: number;
}
interface Srv {
  s: SimServer;
  queue: Seq[];
  active: Seq[];
  stepEnd: number;
  step?: { kind: 'prefill' | 'decode'; seqs: Seq[] };
  lastKind?: 'prefill' | 'decode';
  busyMs: number;
  tpotScale: number;
}

/** Padded batch of n rows (a power of two), as the step loop compiles them. */
const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** The next prefill step: the first waiting prompt's chunk and the others of that chunk length. */
function prefillStep(f: ServingFigures, waiting: Seq[], slots: number): { seqs: Seq[]; ms: number } {
  const buckets = f.prefill.buckets,
    max = buckets[buckets.length - 1]!;
  const chunk = (q: Seq) => {
    const n = Math.min(q.promptLeft, max);
    return buckets.find((b) => b >= n) ?? max;
  };
  const n = chunk(waiting[0]!);
  const seqs = waiting.filter((q) => chunk(q) === n).slice(0, slots);
  while (seqs.length > 1 && pow2(seqs.length) * n > max) seqs.pop();
  return { seqs, ms: llmTtftMs(f, pow2(seqs.length) * n) };
}

export function simulate(
  servers: SimServer[],
  trace: TraceRequest[],
  policy: Policy,
): { results: SimResult[]; costUsd: number; makespanMs: number } {
  const srv: Srv[] = servers.map((s) => ({ s, queue: [], active: [], stepEnd: 0, busyMs: 0, tpotScale: 1 }));
  const results: SimResult[] = trace.map(() => ({ ttftMs: NaN, tpotMs: NaN, server: -1, meets: false }));
  const order = trace.map((_, i) => i).sort((a, b) => trace[a]!.atMs - trace[b]!.atMs);
  let next = 0,
    done = 0,
    t = 0,
    turn = 0;
  const inflight = (v: Srv) => v.queue.length + v.active.length;
  const finish = (v: Srv, q: Seq) => {
    const r = trace[q.req]!;
    const tpot =
      r.maxTokens > 1 && q.lastAt !== undefined && q.firstAt !== undefined
        ? (q.lastAt - q.firstAt) / (r.maxTokens - 1)
        : 0;
    const ttft = q.firstAt! - r.atMs;
    results[q.req] = {
      ttftMs: ttft,
      tpotMs: tpot,
      server: srv.indexOf(v),
      meets:
        (r.ttftMs === undefined || ttft <= r.ttftMs) &&
        (r.tpotMs === undefined || r.maxTokens <= 1 || tpot <= r.tpotMs),
    };
    v.active.splice(v.active.indexOf(q), 1);
    if (r.maxTokens >= 3) v.tpotScale = learnTpotScale(v.tpotScale, tpot, q.predictedTpotMs);
    done++;
  };
  for (let guard = 0; done < trace.length && guard < 10_000_000; guard++) {
    // the next event: an arrival or a step's end
    const nextArrival = next < order.length ? trace[order[next]!]!.atMs : Infinity;
    const nextStep = Math.min(...srv.map((v) => (v.step ? v.stepEnd : Infinity)));
    const now = Math.min(nextArrival, nextStep);
    for (const v of srv) if (inflight(v)) v.busyMs += now - t;
    t = now;
    // arrivals at the same time are routed one by one and then share the servers' next steps
    if (nextArrival <= nextStep)
      for (; next < order.length && trace[order[next]!]!.atMs <= now; ) {
        const i = order[next++]!,
          r = trace[i]!;
        // what the router sees: each completion in flight, oldest first, with the tokens it still owes
        const cs = srv.map((v) => {
          const all = [...v.active, ...v.queue];
          const left = all.map((q) => Math.max(0, q.predictedMs - (t - q.startedAt)));
          return {
            figures: v.s.figures,
            pricePerHour: v.s.pricePerHour,
            state: {
              inflight: inflight(v),
              slots: v.s.slots,
              meanLeftMs: left.length ? left.reduce((a, b) => a + b, 0) / left.length : 0,
              prefilling: all.filter((q) => !q.prefilled).length,
              queue: all.map((q) => ({
                promptTokens: trace[q.req]!.promptTokens,
                tokensLeft: q.tokensLeft,
                prefilled: q.prefilled,
              })),
              tpotScale: v.tpotScale,
            },
          };
        });
        const k = choose(policy, cs, r, turn++);
        const p = predictServing(cs[k]!.figures, cs[k]!.state, r, cs[k]!.pricePerHour);
        srv[k]!.queue.push({
          req: i,
          tokensLeft: r.maxTokens,
          promptLeft: Math.max(1, r.promptTokens),
          predictedTpotMs: p.tpotMs,
          prefilled: false,
          startedAt: t,
          predictedMs: p.totalMs,
        });
      }
    else {
      for (const v of srv) {
        if (!v.step || v.stepEnd > t) continue;
        for (const q of v.step.seqs) {
          if (v.step.kind === 'prefill') {
            const max = v.s.figures.prefill.buckets[v.s.figures.prefill.buckets.length - 1]!;
            q.promptLeft -= Math.min(q.promptLeft, max);
            if (q.promptLeft > 0) continue; // more chunks to go: no token yet
            q.prefilled = true;
            q.firstAt = t;
            q.lastAt = t;
            q.tokensLeft--;
          } else {
            q.lastAt = t;
            q.tokensLeft--;
          }
          if (q.tokensLeft <= 0) finish(v, q);
        }
        v.lastKind = v.step.kind;
        v.step = undefined;
      }
    }
    // idle servers admit and start their next step
    for (const v of srv) {
      if (v.step) continue;
      while (v.queue.length && v.active.length < v.s.slots) v.active.push(v.queue.shift()!);
      const waiting = v.active.filter((q) => !q.prefilled);
      const decoding = v.active.filter((q) => q.prefilled);
      const kind =
        waiting.length && (!decoding.length || v.lastKind === 'decode')
          ? 'prefill'
          : decoding.length
            ? 'decode'
            : undefined;
      if (!kind) continue;
      const step =
        kind === 'prefill'
          ? prefillStep(v.s.figures, waiting, v.s.slots)
          : { seqs: decoding, ms: llmTpotAt(v.s.figures, decoding.length) };
      v.step = { kind, seqs: step.seqs };
      v.stepEnd = t + Math.max(step.ms, 1e-3);
    }
  }
  const costUsd = srv.reduce((a, v) => a + (v.s.pricePerHour / 3_600_000) * v.busyMs, 0);
  return { results, costUsd, makespanMs: t };
}
