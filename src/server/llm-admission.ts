// Admission of chat completions onto a continuously batched LLM worker. A completion comes with a
// deadline for the whole answer and, optionally, TTFT and TPOT targets (headers); from the
// model's measured figures (prefill per bucket, TPOT per decode batch size) and what is running
// now, the server predicts when its first token would come and how fast the rest would follow,
// and refuses at once - before the body is turned into work - when a target cannot be met:
//   - 429 queue_full: every slot is busy and the queue is full;
//   - 429 slo_unmeetable: at this load its TTFT or TPOT target would be missed, or admitting it
//     would push the batch past the TPOT target of a completion already running (retry later or
//     elsewhere: Retry-After says when a slot should free);
//   - 503 deadline_unmeetable: the whole answer cannot arrive in time.
// Admitted completions wait for one of the worker's slots (bounded queue); one whose deadline
// passes while it waits is dropped before it computes.

import { ProtocolError } from '../protocol/errors.js';
import { type LlmInfo, llmTpotAt, llmTtftMs } from '../protocol/llm.js';

export interface LlmAsk {
  model: string;
  promptTokens: number;
  maxTokens: number;
  /** Whole answer, ms from arrival. */
  deadlineMs: number;
  ttftMs?: number;
  tpotMs?: number;
}

export interface LlmPrediction {
  waitMs: number;
  ttftMs: number;
  tpotMs: number;
  totalMs: number;
  batch: number;
}

interface Running {
  ask: LlmAsk;
  startedAt: number;
  prediction: LlmPrediction;
}
interface Waiter {
  ask: LlmAsk;
  start(): void;
  timer?: ReturnType<typeof setTimeout>;
}

const retryS = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class LlmAdmission {
  draining = false;
  private runningSet: Running[] = [];
  private queue: Waiter[] = [];

  constructor(
    readonly slots: number,
    readonly maxQueue: number,
    private info: (model: string) => LlmInfo | undefined,
  ) {}

  get depth(): number {
    return this.queue.length;
  }
  get running(): number {
    return this.runningSet.length;
  }
  get concurrency(): number {
    return this.slots;
  }

  /** Time left of a running completion, ms, at its predicted pace. */
  private leftMs(r: Running, now: number): number {
    return Math.max(0, r.prediction.totalMs - (now - r.startedAt));
  }

  /** Time until a completion sent now would get a slot, ms. */
  waitMs(now = performance.now()): number {
    const ahead = this.queue.length;
    if (this.runningSet.length + ahead < this.slots) return 0;
    // slots free in the order the running ones finish; the queue ahead takes the first ones
    const ends = this.runningSet.map((r) => this.leftMs(r, now)).sort((a, b) => a - b);
    const k = this.runningSet.length + ahead - this.slots;
    return ends[Math.min(k, ends.length - 1)] ?? 0;
  }

  /** What a completion sent now would see: its wait, TTFT, TPOT and total, at the batch it joins. */
  predict(ask: LlmAsk, now = performance.now()): LlmPrediction {
    const info = this.info(ask.model);
    if (!info) return { waitMs: 0, ttftMs: 0, tpotMs: 0, totalMs: 0, batch: 1 };
    const waitMs = this.waitMs(now);
    const batch = Math.min(this.slots, this.runningSet.length + this.queue.length + 1);
    const tpotMs = llmTpotAt(info, batch);
    // while it prefills, the running batch shares the steps: one decode step more per prefill chunk
    const ttftMs = waitMs + llmTtftMs(info, Math.max(1, ask.promptTokens)) + (batch > 1 ? tpotMs : 0);
    return { waitMs, ttftMs, tpotMs, totalMs: ttftMs + Math.max(0, ask.maxTokens - 1) * tpotMs, batch };
  }

  /** Refuse now if the completion cannot meet its targets or would break a running one's. */
  check(ask: LlmAsk, elapsedMs = 0): LlmPrediction {
    if (this.draining)
      throw new ProtocolError('shutting_down', 'server is shutting down; send the completion elsewhere', {
        retryAfterS: 5,
      });
    const full = this.runningSet.length + this.queue.length >= this.slots;
    if (full && this.queue.length >= this.maxQueue) {
      throw new ProtocolError(
        'queue_full',
        `completion queue is full (${this.queue.length} waiting, ${this.running} running in ${this.slots} slots)`,
        { retryAfterS: retryS(this.waitMs()) },
      );
    }
    const p = this.predict(ask);
    const r = (x: number) => Math.round(x);
    const info = this.info(ask.model);
    if (ask.ttftMs !== undefined && elapsedMs + p.ttftMs > ask.ttftMs) {
      throw new ProtocolError(
        'slo_unmeetable',
        `cannot send the first token within ${ask.ttftMs} ms: predicted ${r(elapsedMs + p.ttftMs)} ms (wait ` +
          `${r(p.waitMs)} ms for a slot + prefill)`,
        { retryAfterS: retryS(p.waitMs), predictedTtftMs: r(elapsedMs + p.ttftMs) },
      );
    }
    if (ask.tpotMs !== undefined && ask.maxTokens > 1 && p.tpotMs > ask.tpotMs) {
      const alone = info ? llmTpotAt(info, 1) : 0;
      const code = alone > ask.tpotMs ? 'deadline_unmeetable' : 'slo_unmeetable';
      throw new ProtocolError(
        code,
        `cannot keep ${ask.tpotMs} ms per token: predicted ${p.tpotMs.toFixed(1)} ms in a batch of ${p.batch} (alone ` +
          `${alone.toFixed(1)} ms)`,
        { retryAfterS: retryS(this.waitMs()), predictedTpotMs: Math.round(p.tpotMs * 10) / 10 },
      );
    }
    // joining the batch slows every running completion: refuse if one of them would miss its TPOT
    const victim = this.runningSet.find((x) => x.ask.tpotMs !== undefined && p.tpotMs > x.ask.tpotMs);
    if (victim) {
      throw new ProtocolError(
        'slo_unmeetable',
        `admitting it would slow a running completion past its ${victim.ask.tpotMs} ms per token (a batch of ` +
          `${p.batch}: ${p.tpotMs.toFixed(1)} ms)`,
        { retryAfterS: retryS(this.leftMs(victim, performance.now())) },
      );
    }
    if (elapsedMs + p.totalMs > ask.deadlineMs) {
      throw new ProtocolError(
        'deadline_unmeetable',
        `cannot finish within the ${ask.deadlineMs} ms deadline: predicted ${r(elapsedMs + p.totalMs)} ms (queue ` +
          `wait ${r(p.waitMs)} ms + TTFT + ${ask.maxTokens - 1} tokens at ${p.tpotMs.toFixed(1)} ms)`,
        { retryAfterS: retryS(p.waitMs), predictedMs: r(elapsedMs + p.totalMs) },
      );
    }
    return p;
  }

  /**
   * Wait for a slot; `release` must be called when the completion ends. A completion whose client
   * leaves while it waits (`signal`) leaves the queue at once.
   */
  acquire(ask: LlmAsk, deadlineAt: number, signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('the client closed the connection while the completion waited'));
        return;
      }
      const start = () => {
        // predicted from its start: it no longer waits
        const p = this.predict(ask);
        const prediction = { ...p, waitMs: 0, ttftMs: p.ttftMs - p.waitMs, totalMs: p.totalMs - p.waitMs };
        const entry: Running = { ask, startedAt: performance.now(), prediction };
        this.runningSet.push(entry);
        let done = false;
        resolve(() => {
          if (done) return;
          done = true;
          this.runningSet.splice(this.runningSet.indexOf(entry), 1);
          this.pump();
        });
      };
      if (this.runningSet.length < this.slots && !this.queue.length) {
        start();
        return;
      }
      const w: Waiter = { ask, start };
      w.timer = setTimeout(
        () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(
            new ProtocolError(
              'deadline_exceeded',
              'deadline passed while the completion waited for a slot; it was not computed',
              { retryAfterS: retryS(this.waitMs()) },
            ),
          );
        },
        Math.max(0, deadlineAt - performance.now()),
      );
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(w);
          if (i < 0) return;
          this.queue.splice(i, 1);
          clearTimeout(w.timer);
          reject(new Error('the client closed the connection while the completion waited'));
        },
        { once: true },
      );
      this.queue.push(w);
    });
  }

  private pump(): void {
    while (this.runningSet.length < this.slots && this.queue.length) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      w.start();
    }
  }

  async idle(pollMs = 20): Promise<void> {
    while (this.queue.length || this.runningSet.length) await new Promise((r) => setTimeout(r, pollMs));
  }
}
