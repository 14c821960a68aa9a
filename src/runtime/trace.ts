// Run traces in Chrome's trace-event JSON (opens in Perfetto and chrome://tracing): one track per
// device, one for transfers, and the plan's predicted intervals on tracks of their own.

export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'M';
  ts: number; // µs
  dur?: number; // µs
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
  s?: 'g' | 'p' | 't';
}

const MEASURED = 1,
  PREDICTED = 2;

export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  private tracks = new Map<string, number>();
  private readonly origin = performance.now();

  /** Milliseconds since the recorder started. */
  now(): number {
    return performance.now() - this.origin;
  }

  private tid(track: string, pid: number): number {
    const key = `${pid}:${track}`;
    let t = this.tracks.get(key);
    if (t === undefined) {
      t = this.tracks.size + 1;
      this.tracks.set(key, t);
      this.events.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid: t, args: { name: track } });
    }
    return t;
  }

  /** A measured interval on a track (a device, 'transfers'), times in ms since start. */
  span(track: string, name: string, startMs: number, endMs: number, args?: Record<string, unknown>, cat = 'run'): void {
    this.events.push({
      name,
      cat,
      ph: 'X',
      ts: startMs * 1000,
      dur: Math.max(0, endMs - startMs) * 1000,
      pid: MEASURED,
      tid: this.tid(track, MEASURED),
      args,
    });
  }

  /** The plan's prediction for an interval, offset to when the run started. */
  predicted(track: string, name: string, startMs: number, endMs: number, args?: Record<string, unknown>): void {
    this.events.push({
      name,
      cat: 'plan',
      ph: 'X',
      ts: startMs * 1000,
      dur: Math.max(0, endMs - startMs) * 1000,
      pid: PREDICTED,
      tid: this.tid(track, PREDICTED),
      args,
    });
  }

  /** A moment worth marking: a fallback, a re-plan. */
  instant(track: string, name: string, args?: Record<string, unknown>): void {
    this.events.push({
      name,
      cat: 'event',
      ph: 'i',
      s: 'g',
      ts: this.now() * 1000,
      pid: MEASURED,
      tid: this.tid(track, MEASURED),
      args,
    });
  }

  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms' } {
    const meta: TraceEvent[] = [
      {
        name: 'process_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: MEASURED,
        tid: 0,
        args: { name: 'Switchyard: measured' },
      },
      {
        name: 'process_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: PREDICTED,
        tid: 0,
        args: { name: 'Switchyard: plan (predicted)' },
      },
    ];
    return { traceEvents: [...meta, ...this.events], displayTimeUnit: 'ms' };
  }
}
