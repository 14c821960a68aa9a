// A trace-driven simulator of LLM servers with continuous batching, on the same serving model and
// routing rule as the live router (serving.ts): requests arrive at their trace times, a policy
// picks a server from the same state the router sees (in flight, slots, predicted time left),
// and each server runs steps as the step loop does - a decode step of every decoding sequence
// (TPOT at that batch size), then one prefill (TTFT of that prompt) when one waits - with at most
// `slots` sequences admitted. Out: per request TTFT and TPOT, SLA attainment and the fleet's cost
// (each server's price over the time it had work), to set beside a measured run.

import { llmTpotAt, llmTtftMs } from '../../protocol/llm.js';
import { choose, type Policy, predictServing, type ServingAsk, type ServingFigures } from './serving.js';

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
}

export function simulate(
  servers: SimServer[],
  trace: TraceRequest[],
  policy: Policy,
): { results: SimResult[]; costUsd: number; makespanMs: number } {
  const srv: Srv[] = servers.map((s) => ({ s, queue: [], active: [], stepEnd: 0, busyMs: 0 }));
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
    done++;
  };
  for (let guard = 0; done < trace.length && guard < 10_000_000; guard++) {
    // the next event: an arrival or a step's end
    const nextArrival = next < order.length ? trace[order[next]!]!.atMs : Infinity;
    const nextStep = Math.min(...srv.map((v) => (v.step ? v.stepEnd : Infinity)));
    const now = Math.min(nextArrival, nextStep);
    for (const v of srv) if (inflight(v)) v.busyMs += now - t;
    t = now;
    if (nextArrival <= nextStep) {
      const i = order[next++]!,
        r = trace[i]!;
      const cs = srv.map((v) => {
        const left = v.active.map((q) => Math.max(0, q.predictedMs - (t - q.startedAt)));
        return {
          figures: v.s.figures,
          pricePerHour: v.s.pricePerHour,
          state: {
            inflight: inflight(v),
            slots: v.s.slots,
            meanLeftMs: left.length ? left.reduce((a, b) => a + b, 0) / left.length : 0,
            prefilling: v.queue.length + v.active.filter((q) => !q.prefilled).length,
          },
        };
      });
      const k = choose(policy, cs, r, turn++);
      const p = predictServing(cs[k]!.figures, cs[k]!.state, r, cs[k]!.pricePerHour);
      srv[k]!.queue.push({ req: i, tokensLeft: r.maxTokens, prefilled: false, startedAt: t, predictedMs: p.totalMs });
    } else {
      for (const v of srv) {
        if (!v.step || v.stepEnd > t) continue;
        for (const q of v.step.seqs) {
          if (v.step.kind === 'prefill') {
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
      const waiting = v.active.find((q) => !q.prefilled);
      const decoding = v.active.filter((q) => q.prefilled);
      const kind =
        waiting && (!decoding.length || v.lastKind === 'decode') ? 'prefill' : decoding.length ? 'decode' : undefined;
      if (!kind) continue;
      const ms =
        kind === 'prefill'
          ? llmTtftMs(v.s.figures, Math.max(1, trace[waiting!.req]!.promptTokens))
          : llmTpotAt(v.s.figures, decoding.length);
      v.step = { kind, seqs: kind === 'prefill' ? [waiting!] : decoding };
      v.stepEnd = t + Math.max(ms, 1e-3);
    }
  }
  const costUsd = srv.reduce((a, v) => a + (v.s.pricePerHour / 3_600_000) * v.busyMs, 0);
  return { results, costUsd, makespanMs: t };
}
