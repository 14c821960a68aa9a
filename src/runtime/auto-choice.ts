// `auto` against the single devices. A plan that splits the graph over devices pays transfers and
// the turns of two devices for what the prediction says it saves; where one device alone is
// predicted within noise of the split, it takes that device. And what the runs measured wins over
// what was predicted: each placement the session ran keeps its measured run time, and when the
// running one measures slower than one measured before, the session goes back to the faster.

import {
  type Instance,
  makespan,
  type PassRecord,
  type Plan,
  replay,
  type Schedule,
  toPlan,
} from '../planner/index.js';

/** The placement of a plan as a key: task -> device for every placed task. */
export function placementKey(p: Plan): string {
  return p.assignments
    .filter((a) => !a.task.startsWith('@'))
    .map((a) => `${a.task}=${a.device}`)
    .sort()
    .join(';');
}

const devicesOf = (p: Plan) => new Set(p.assignments.filter((a) => !a.task.startsWith('@')).map((a) => a.device));

/**
 * The fresh plan's tasks all moved to device `d` where it can run them (the rest keep their
 * device: what only the host runs), in the fresh plan's order; undefined when nothing moves.
 */
function onOneDevice(inst: Instance, fresh: Plan, d: number): Schedule | undefined {
  const byTask = new Map(fresh.assignments.map((a) => [a.task, a]));
  const s: Schedule = { device: [], start: [], end: [] };
  for (let t = 0; t < inst.tasks.length; t++) {
    const a = byTask.get(inst.tasks[t]!);
    if (!a) return undefined;
    const own = inst.devices.indexOf(a.device);
    const movable = !inst.tasks[t]!.startsWith('@') && Number.isFinite(inst.cost[t]![d]!);
    s.device.push(movable ? d : own);
    s.start.push(a.startMs);
    s.end.push(a.endMs);
  }
  return s;
}

/**
 * The best single-device plan when it is predicted within `margin` (a fraction) of a fresh plan
 * that uses several devices, with a note saying so; else undefined. `allowed(device)`: the
 * devices the policy lets units go to.
 */
export function preferSingle(
  inst: Instance,
  fresh: Plan,
  passes: PassRecord[],
  margin: number,
  allowed: (device: string) => boolean,
): { plan: Plan; note: string } | undefined {
  if (devicesOf(fresh).size < 2) return undefined;
  let best: { s: Schedule; ms: number; device: string } | undefined;
  inst.devices.forEach((device, d) => {
    if (!allowed(device)) return;
    const one = onOneDevice(inst, fresh, d);
    if (!one) return;
    const s = replay(inst, one);
    const ms = makespan(s);
    if (Number.isFinite(ms) && (!best || ms < best.ms)) best = { s, ms, device };
  });
  if (!best || !(best.ms <= fresh.makespanMs * (1 + margin))) return undefined;
  const { s, ms, device } = best;
  const note =
    `one device: ${device} alone is predicted ${ms.toFixed(2)} ms, within ${Math.round(margin * 100)}% of the ` +
    `split's ${fresh.makespanMs.toFixed(2)} ms (no transfers, one device's turns)`;
  const feasible = inst.deadlineMs === undefined || ms <= inst.deadlineMs;
  const sol = { schedule: s, algorithm: `${fresh.algorithm} (one device)`, optimal: false, feasible, notes: [note] };
  return { plan: toPlan(inst, sol, passes), note };
}

/** Run times measured per placement this session (a running mean over its steady runs). */
export class MeasuredPlacements {
  private readonly byKey = new Map<string, { plan: Plan; ms: number; runs: number }>();

  /** A steady run of `plan`'s placement took `ms` (the caller's time). */
  record(plan: Plan, ms: number): void {
    const key = placementKey(plan);
    const m = this.byKey.get(key);
    if (!m) this.byKey.set(key, { plan, ms, runs: 1 });
    else Object.assign(m, { plan, ms: m.ms + (ms - m.ms) / Math.min(++m.runs, 8) });
  }

  /** The measured mean of a placement, after at least `minRuns` runs. */
  measured(plan: Plan, minRuns = 3): number | undefined {
    const m = this.byKey.get(placementKey(plan));
    return m && m.runs >= minRuns ? m.ms : undefined;
  }

  /** How `plan`'s placement measured against `running`'s when it measured slower ('3.1 ms against 2.0'). */
  slower(plan: Plan, running: Plan, minRuns = 3): string | undefined {
    const a = this.measured(plan, minRuns),
      b = this.measured(running, minRuns);
    return a !== undefined && b !== undefined && a >= b ? `${a.toFixed(2)} ms against ${b.toFixed(2)}` : undefined;
  }

  /** A placement measured faster than `plan`'s by more than `margin`, with its time; else undefined. */
  faster(plan: Plan, margin: number, minRuns = 3): { plan: Plan; ms: number } | undefined {
    const own = this.measured(plan, minRuns);
    if (own === undefined) return undefined;
    const key = placementKey(plan);
    let best: { plan: Plan; ms: number } | undefined;
    for (const [k, m] of this.byKey)
      if (k !== key && m.runs >= minRuns && m.ms < own * (1 - margin) && (!best || m.ms < best.ms)) best = m;
    return best;
  }
}
