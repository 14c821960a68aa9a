// The options of `backend: 'auto'` and what a session can show about a heterogeneous run.

import type { ProgressFn } from '../cost/calibrate/calibrator.js';
import type { HistoryStore } from '../cost/history.js';
import type { Plan, Policy } from '../planner/index.js';
import type { BackendOptions, PreparedModel } from './backend.js';
import type { DeviceEntry, DeviceSpec, ProfileSource } from './devices.js';
import type { PlacedUnit, RunReport } from './executor.js';
import type { TraceRecorder } from './trace.js';

export interface AutoOptions extends BackendOptions {
  devices?: DeviceSpec[];
  policy?: Policy;
  /** Record a Chrome trace of every run (session.trace). */
  trace?: boolean;
  /** Re-plan when a unit's measured time (running mean) is off the prediction by more than this factor (default 2). */
  driftFactor?: number;
  /**
   * Once the plan is stable, a run is learned from (and the plan re-predicted) on a schedule, or at
   * once when the run's time is off the plan's by more than this fraction (default 0.3).
   */
  relearnDrift?: number;
  /** 'schedule' (default): as relearnDrift says; 'run': learn from and re-predict after every run (for comparison). */
  learnEvery?: 'schedule' | 'run';
  /**
   * A re-plan moves units only when the new plan is predicted faster than the running placement
   * (re-predicted from the history) by this fraction (default 0.1).
   */
  keepMargin?: number;
  /**
   * 'model' (default): devices that share a resource (measured at discovery) are planned as
   * taking turns, and run that way; 'ignore': planned and run as if separate (for comparison).
   */
  contention?: 'model' | 'ignore';
  calibration?: 'cache' | 'never';
  profiles?: ProfileSource;
  history?: HistoryStore;
  /** Calibration progress (a device measured for the first time), for a progress bar. */
  onProgress?: ProgressFn;
}

/** What the session can show about a heterogeneous run. */
export interface HeteroPrepared extends PreparedModel {
  /** The plan the next run will use. */
  readonly plan: Plan;
  /** The plan the last run used (before any re-plan it caused). */
  readonly lastRunPlan?: Plan;
  readonly devices: DeviceEntry[];
  readonly lastReport?: RunReport;
  /**
   * The current executor's first run as measured: compiling its units (at create or re-plan) and
   * the first run itself, ms; undefined until it ran.
   */
  readonly firstRun?: { compileMs: number; runMs: number; ms: number; report: RunReport; plan: Plan };
  /** Runs of the current executor after its first (the last 20): the steady state as measured. */
  readonly steadyReports: readonly RunReport[];
  readonly trace?: TraceRecorder;
  readonly notes: string[];
  readonly replans: number;
  /**
   * The units of the current plan with their nodes and boundary values (for drawing the plan);
   * the runtime runs a same-device chain of them as one unit (RunReport units list their tasks).
   */
  readonly placed: readonly PlacedUnit[];
  /** The policy the current plan was made for. */
  readonly policy: Policy | undefined;
  /** Plan again for a new policy (an SLA or objective changed), with the same devices and history. */
  setPolicy(policy: Policy): Promise<Plan>;
}
