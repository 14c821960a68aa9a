// When `auto` learns from a run. Learning (unit times into the history) and re-predicting the plan
// cost a caller a fraction of a millisecond per run, which dominates a small model's run. While the
// plan settles (an executor's first runs, after a re-plan) every run teaches; once a learned run
// changes nothing (no drift, the same placement) the gap to the next learned run doubles, up to
// `maxEvery`. When the runs' running mean (slow, so one noisy run does not count) moves more than
// `drift` from where it was at the last learned run, the run is learned from at once; a learned
// run that moves or drifts starts the schedule over.

export class LearnSchedule {
  private every = 1;
  private since = 0;
  /** Whether the last run due was one of a new executor's settling runs (they do not widen the gap). */
  private settling = true;
  /** Running mean of the executor's run times, and its value at the last learned run. */
  private meanMs?: number;
  private baselineMs?: number;

  constructor(
    /** Learn at once from a run this far (a fraction) off the recent runs' mean. */
    readonly drift = 0.3,
    /** Runs of a new executor that are always learned from. */
    readonly settleRuns = 3,
    /** The longest gap between learned runs. */
    readonly maxEvery = 32,
  ) {}

  /** Whether the gap between learned runs has grown past one (the plan is stable). */
  get settled(): boolean {
    return this.every > 1;
  }

  /**
   * Whether the executor's `run`-th run (1 = the first after its warm-up run), which took
   * `measuredMs`, is to be learned from: while the plan settles, on the schedule, or when the
   * runs' mean moved away from the last learned run's.
   */
  due(run: number, measuredMs: number): boolean {
    this.since++;
    const mean = (this.meanMs = this.meanMs === undefined ? measuredMs : 0.9 * this.meanMs + 0.1 * measuredMs);
    const base = this.baselineMs;
    this.settling = run <= this.settleRuns + 1;
    if (this.settling || this.since >= this.every || base === undefined) return true;
    return Math.abs(mean - base) > this.drift * Math.max(base, 1e-3);
  }

  /** A learned run: `stable` when it changed nothing (the gap doubles), else the schedule starts over. */
  learned(stable: boolean): void {
    this.since = 0;
    if (!this.settling || !stable) this.every = stable ? Math.min(this.maxEvery, this.every * 2) : 1;
    // a new placement runs at its own speed: its mean starts over
    if (!stable) this.meanMs = undefined;
    this.baselineMs = this.meanMs;
  }
}
