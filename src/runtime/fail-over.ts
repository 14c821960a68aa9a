// The executor's failure policy: which errors move a unit to another device, which device takes it,
// how long a failed device is skipped, and the log of every switch.

import { type Device, DeviceError } from '../backends/device.js';
import type { Node } from '../ir/graph.js';
import type { PlacedUnit } from '../planner/units.js';
import type { ExecutorOptions } from './executor-options.js';
import type { Fallback, RunReport } from './run-report.js';
import type { TraceRecorder } from './trace.js';

const label = (n: Node) => n.name || `${n.op}→${n.outputs.find((o) => o)?.name ?? '?'}`;

export class FailOver {
  /** Device -> time (ms since the epoch) before which it is skipped (retryAfterMs). */
  private readonly downUntil = new Map<string, number>();
  /** Fallback switches so far (the last 100). */
  readonly log: Fallback[] = [];

  constructor(
    private readonly devices: Map<string, Device>,
    private readonly options: ExecutorOptions,
  ) {}

  canRun(dev: string, nodes: Node[]): true | string {
    const d = this.devices.get(dev);
    if (!d) return `${dev} is not available`;
    for (const n of nodes) {
      const ok = d.supports(n);
      if (ok !== true) return ok;
    }
    return true;
  }

  failsOver(e: unknown): boolean {
    return e instanceof DeviceError || (this.options.failOver === 'any' && e instanceof Error);
  }

  usable(dev: string, failed: Set<string>): boolean {
    if (this.options.retryAfterMs === undefined) return !failed.has(dev);
    return Date.now() >= (this.downUntil.get(dev) ?? 0);
  }

  /** Record a failure of `from` for unit p and return the device to use instead. */
  fail(
    p: PlacedUnit,
    step: number,
    from: string,
    phase: Fallback['phase'],
    e: unknown,
    failed: Set<string>,
    report?: RunReport,
    trace?: TraceRecorder,
  ): string {
    const err = e as Error & { code?: unknown; retryAfterS?: unknown };
    failed.add(from);
    const retry = typeof err.retryAfterS === 'number' ? err.retryAfterS * 1000 : (this.options.retryAfterMs ?? 0);
    this.downUntil.set(from, Date.now() + retry);
    const to = this.options.fallbackOrder?.find(
      (d) => d !== from && !failed.has(d) && this.canRun(d, p.unit.nodes) === true,
    );
    if (!to)
      throw new DeviceError(`unit '${p.id}' failed on ${from} (${err.message}) and no other device can run it`, from, {
        cause: e,
      });
    const f: Fallback = {
      unit: p.id,
      from,
      to,
      reason: err?.message ?? String(e),
      phase,
      step,
      nodes: p.unit.nodes.map(label),
      time: Date.now(),
      ...(typeof err.code === 'string' ? { code: err.code } : {}),
    };
    this.log.push(f);
    if (this.log.length > 100) this.log.shift();
    report?.fallbacks.push(f);
    trace?.instant(from, `fallback: ${p.id} → ${to}`, { reason: f.reason, ...(f.code ? { code: f.code } : {}) });
    this.options.onFallback?.(f);
    return to;
  }
}
