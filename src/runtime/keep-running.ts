// Re-plan hysteresis. When runs drift from their predictions the runtime plans again, with the
// history's measured times for the devices it ran on and calibrated guesses for the rest. A guess
// for a device that never ran the graph tends to be optimistic, so a fresh plan can look better
// than the running placement without being better. This replays the running placement on the
// new instance (the same costs the new plan was made with) and keeps it unless the new plan beats
// it by the margin.

import {
  type Instance,
  makespan,
  type PassRecord,
  type Plan,
  replay,
  type Schedule,
  toPlan,
} from '../planner/index.js';

/**
 * The running plan's placement and order as a schedule on `inst`; undefined when it does not fit
 * (other units, a device gone).
 */
function scheduleOf(inst: Instance, running: Plan): Schedule | undefined {
  const byTask = new Map(running.assignments.map((a) => [a.task, a]));
  const s: Schedule = { device: [], start: [], end: [] };
  for (let t = 0; t < inst.tasks.length; t++) {
    const a = byTask.get(inst.tasks[t]!);
    const d = a ? inst.devices.indexOf(a.device) : -1;
    if (!a || d < 0 || !Number.isFinite(inst.cost[t]![d]!)) return undefined;
    s.device.push(d);
    s.start.push(a.startMs);
    s.end.push(a.endMs);
  }
  return s;
}

/**
 * The running placement, re-predicted, when the fresh plan does not beat it by `margin`, or when
 * it would move a unit that was measured where it runs onto a device where that unit was never
 * measured (`measured(task, device)`, when given): a guess does not replace a measurement unless
 * the guess is `guessFactor` times better (default: never), as when the measured placement turned
 * out many times slower than planned; else undefined.
 */
export function keepRunning(
  inst: Instance,
  running: Plan,
  fresh: Plan,
  passes: PassRecord[],
  margin: number,
  measured?: (task: string, device: string) => boolean,
  guessFactor = Infinity,
): { plan: Plan; note: string } | undefined {
  const cur = scheduleOf(inst, running);
  if (!cur) return undefined;
  const again = replay(inst, cur);
  const curMs = makespan(again);
  const was = new Map(running.assignments.map((a) => [a.task, a.device]));
  const moved = fresh.assignments.filter((a) => !a.task.startsWith('@') && was.get(a.task) !== a.device);
  const guessed =
    measured && !(fresh.makespanMs * guessFactor < curMs)
      ? moved.filter((a) => measured(a.task, was.get(a.task)!) && !measured(a.task, a.device))
      : [];
  if (!moved.length || (!guessed.length && fresh.makespanMs < curMs * (1 - margin))) return undefined;
  const feasible = inst.deadlineMs === undefined || curMs <= inst.deadlineMs;
  const note = guessed.length
    ? `kept the running placement (${curMs.toFixed(2)} ms re-predicted from the runs): the new plan ` +
      `(${fresh.makespanMs.toFixed(2)} ms) would move ${movesOf(guessed)}, ` +
      `measured where ${guessed.length > 1 ? 'they run' : 'it runs'} and never measured there`
    : `kept the running placement: ${curMs.toFixed(2)} ms re-predicted from the runs; the new plan's ` +
      `${fresh.makespanMs.toFixed(2)} ms is not ${Math.round(margin * 100)}% better`;
  const plan = toPlan(
    inst,
    {
      schedule: again,
      algorithm: running.algorithm.endsWith('(kept)') ? running.algorithm : `${running.algorithm} (kept)`,
      optimal: false,
      feasible,
      notes: [note],
    },
    passes,
  );
  return { plan, note };
}

/** The running placement and order re-predicted on `inst` (what the runs taught), or undefined when it does not fit. */
export function repredict(inst: Instance, running: Plan, passes: PassRecord[]): Plan | undefined {
  const cur = scheduleOf(inst, running);
  if (!cur) return undefined;
  const again = replay(inst, cur);
  const feasible = inst.deadlineMs === undefined || makespan(again) <= inst.deadlineMs;
  return toPlan(
    inst,
    {
      schedule: again,
      algorithm: running.algorithm,
      optimal: false,
      feasible,
      notes: ['re-predicted from the runs, same placement'],
    },
    passes,
  );
}

/** 'a to cpu, b to cpu and 2 more' */
function movesOf(moves: { task: string; device: string }[]): string {
  const listed = moves
    .slice(0, 3)
    .map((a) => `${a.task} to ${a.device}`)
    .join(', ');
  return moves.length > 3 ? `${listed} and ${moves.length - 3} more` : listed;
}
