// What a run of a placed plan takes (feeds, some already on a device) and reports (unit and
// transfer times, fallbacks), and the weights kept resident on each device between runs.

import type { Device, DeviceTensor } from '../backends/device.js';
import { Tensor } from '../ir/tensor.js';
import { OptionalValue, type RunValue, TensorSequence } from '../ir/values.js';

export interface UnitTiming {
  unit: string;
  device: string;
  startMs: number;
  endMs: number;
  predictedMs: number;
  tasks?: string[];
}
export interface TransferTiming {
  value: string;
  from: string;
  to: string;
  bytes: number;
  startMs: number;
  endMs: number;
}

/** One switch of a unit from a failing device to another. */
export interface Fallback {
  unit: string;
  from: string;
  to: string;
  reason: string;
  phase: 'compile' | 'run' | 'download';
  /** Index of the unit in the placed plan. */
  step: number;
  /** The unit's nodes (names, or op names where unnamed). */
  nodes: string[];
  /** ms since the epoch */
  time: number;
  /** Error code where the device gave one (a server's JSON error code, 'timeout', ...). */
  code?: string;
}

export interface RunReport {
  /** The executor's run, ms. */
  totalMs: number;
  /**
   * Backend 'auto': the run as its caller waited for it, ms (the executor's run, then learning
   * from it and re-predicting the plan): what `plan.steadyMs` predicts.
   */
  callerMs?: number;
  units: UnitTiming[];
  transfers: TransferTiming[];
  fallbacks: Fallback[];
}

/** Constants uploaded to a device once and kept there, shared by every executor given the same store. */
export class ResidentWeights {
  private readonly map = new Map<Tensor, Promise<DeviceTensor>>();
  constructor(readonly device: Device) {}
  get(t: Tensor): Promise<DeviceTensor> {
    let d = this.map.get(t);
    if (!d) {
      d = this.device.upload(t);
      this.map.set(t, d);
    }
    return d;
  }
  get bytes(): number {
    let b = 0;
    for (const t of this.map.keys()) b += t.byteLength;
    return b;
  }
  release(): void {
    for (const p of this.map.values())
      p.then(
        (t) => {
          try {
            this.device.release(t);
          } catch {
            /* gone */
          }
        },
        () => {},
      );
    this.map.clear();
  }
}

/** A feed already resident on a device (borrowed: the executor never frees it). */
export interface ResidentFeed {
  device: string;
  tensor: DeviceTensor;
}
export type Feed = RunValue | ResidentFeed;

export const isResident = (f: Feed): f is ResidentFeed =>
  !(f instanceof Tensor || f instanceof TensorSequence || f instanceof OptionalValue);
