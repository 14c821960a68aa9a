// What an Executor is told at construction (fallback order, lanes, yielding, resident weights) and
// per run (a trace, outputs left on a device).

import type { Fallback, ResidentWeights } from './run-report.js';
import type { TraceRecorder } from './trace.js';

export interface ExecutorOptions {
  /** Devices to try, in order, when a unit's device fails (none: the failure surfaces). */
  fallbackOrder?: string[];
  /** The device whose memory is the host's (the reference interpreter): moving data there is free. */
  hostDevice?: string;
  /**
   * Device id -> lane: devices on one lane share a resource (the same CPU cores) and run one unit
   * at a time between them, as the plan assumed; by default each device is its own lane.
   */
  lanes?: ReadonlyMap<string, string>;
  /** 'device' (default): only a DeviceError moves work; 'any': every error of a device does (a server). */
  failOver?: 'device' | 'any';
  /**
   * After a failure, skip the device for this long in later runs too, ms (a Retry-After wins);
   * undefined: skip it for the rest of the run only (the caller re-plans).
   */
  retryAfterMs?: number;
  onFallback?: (f: Fallback) => void;
  /**
   * Time each unit to the end of its device's work (a GPU returns from run once work is queued);
   * default true. A single-device run has nothing to time against and lets the queue run on.
   */
  timeUnits?: boolean;
  /** Weight stores per device id, to share resident constants between executors. */
  resident?: Map<string, ResidentWeights>;
  /**
   * Main-thread devices give the event loop a turn every this many ms ('spread', the default: 1 ms,
   * only when units sit on several devices, so others' completions are not held up; 'never').
   */
  yieldEveryMs?: number | 'spread' | 'never';
}

export interface RunOptions {
  trace?: TraceRecorder;
  /** Leave the outputs on this device and return them (owned by the caller) instead of host tensors. */
  keepOn?: string;
}
