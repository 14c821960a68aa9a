// Admission and queueing of runs. A run comes with a deadline (ms from arrival); the scheduler
// predicts when it would finish (queued work ahead of it spread over the workers, plus its own
// estimate) and refuses at once when that is past the deadline, so the client can fall back while
// there is still time. The queue is bounded (429 with Retry-After when full); a run whose deadline
// passes while it waits is dropped before it computes.

import { ProtocolError } from '../protocol/errors.js';

interface Waiter {
  estimateMs: number;
  deadlineAt: number;
  start: () => void;
  fail: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class Scheduler {
  private queue: Waiter[] = [];
  private runningEst: { estimateMs: number; startedAt: number }[] = [];
  draining = false;
  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {}

  get depth(): number {
    return this.queue.length;
  }
  get running(): number {
    return this.runningEst.length;
  }

  /** Time until a run sent now could start, ms. */
  waitMs(now = performance.now()): number {
    if (this.runningEst.length + this.queue.length < this.concurrency) return 0;
    const left = this.runningEst.map((r) => Math.max(0, r.estimateMs - (now - r.startedAt)));
    const queued = this.queue.reduce((a, w) => a + w.estimateMs, 0);
    const free = this.concurrency - this.runningEst.length;
    if (free > 0 && this.queue.length < free) return 0;
    return (left.reduce((a, b) => a + b, 0) + queued) / this.concurrency;
  }

  /** Refuse now, before the body is read, if the run cannot make its deadline or the queue is full. */
  check(estimateMs: number, deadlineMs: number, elapsedMs = 0): void {
    if (this.draining)
      throw new ProtocolError('shutting_down', 'server is shutting down; send the run elsewhere', { retryAfterS: 5 });
    const mustWait = this.runningEst.length + this.queue.length >= this.concurrency;
    if (mustWait && this.queue.length >= this.maxQueue) {
      throw new ProtocolError('queue_full', `run queue is full (${this.maxQueue} waiting, ${this.running} running)`, {
        retryAfterS: Math.max(1, Math.ceil(this.waitMs() / 1000)),
      });
    }
    const wait = this.waitMs();
    const predicted = elapsedMs + wait + estimateMs;
    if (predicted > deadlineMs) {
      throw new ProtocolError(
        'deadline_unmeetable',
        `cannot finish within the ${deadlineMs} ms deadline: predicted ${Math.round(predicted)} ms (queue wait ` +
          `${Math.round(wait)} ms + run ${Math.round(estimateMs)} ms)`,
        { retryAfterS: Math.max(1, Math.ceil(wait / 1000)), predictedMs: Math.round(predicted) },
      );
    }
  }

  /** Wait for a free worker; `release` must be called when the run ends. */
  acquire(estimateMs: number, deadlineAt: number): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const entry = { estimateMs, startedAt: 0 };
      const start = () => {
        entry.startedAt = performance.now();
        this.runningEst.push(entry);
        let done = false;
        resolve(() => {
          if (done) return;
          done = true;
          this.runningEst.splice(this.runningEst.indexOf(entry), 1);
          this.pump();
        });
      };
      if (this.runningEst.length < this.concurrency && !this.queue.length) {
        start();
        return;
      }
      const w: Waiter = { estimateMs, deadlineAt, start, fail: reject };
      const left = deadlineAt - performance.now();
      w.timer = setTimeout(
        () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(
            new ProtocolError(
              'deadline_exceeded',
              'deadline passed while the run waited in the queue; it was not computed',
              { retryAfterS: Math.max(1, Math.ceil(this.waitMs() / 1000)) },
            ),
          );
        },
        Math.max(0, left),
      );
      this.queue.push(w);
    });
  }

  private pump(): void {
    while (this.runningEst.length < this.concurrency && this.queue.length) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      w.start();
    }
  }

  /** Resolves when nothing is queued or running. */
  async idle(pollMs = 20): Promise<void> {
    while (this.queue.length || this.runningEst.length) await new Promise((r) => setTimeout(r, pollMs));
  }
}
