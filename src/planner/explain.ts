// Plans that explain themselves: a reason per placement (what the task costs where it is, what
// the alternatives would have cost, which constraints ruled devices out) and the critical path.

import { allowed, commMs, type Instance, taskCost } from './instance.js';
import { type Schedule, Timeline } from './schedule.js';

const f1 = (x: number) =>
  Number.isFinite(x)
    ? Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 1 || x === 0
        ? x.toFixed(1)
        : x.toPrecision(2)
    : 'inf';
const usd = (x: number) => `$${x < 0.01 ? x.toExponential(2) : x.toFixed(4)}`;

/** Tasks on the longest chain of the schedule: walk back from the last finisher through whatever delayed each start. */
export function criticalPath(inst: Instance, s: Schedule): number[] {
  const n = inst.tasks.length;
  if (!n) return [];
  let t = s.end.reduce((bi, e, i) => (e > s.end[bi]! ? i : bi), 0);
  const path = [t];
  for (let guard = 0; guard < n; guard++) {
    const st = s.start[t]!;
    if (st <= 1e-9) break;
    const data = inst.pred[t]!.find(
      (p) => Math.abs(s.end[p.t]! + commMs(inst, p.bytes, s.device[p.t]!, s.device[t]!) - st) < 1e-6,
    );
    const prevOnDev = data
      ? undefined
      : s.end.findIndex(
          (e, u) => u !== t && inst.lane[s.device[u]!] === inst.lane[s.device[t]!] && Math.abs(e - st) < 1e-6,
        );
    const next = data?.t ?? (prevOnDev !== undefined && prevOnDev >= 0 ? prevOnDev : undefined);
    if (next === undefined) break;
    path.push(next);
    t = next;
  }
  return path.reverse();
}

/** Finish time if task t alone moved to device d, into the first gap of d's schedule that fits. */
function finishIfMoved(
  inst: Instance,
  s: Schedule,
  t: number,
  d: number,
): { finish: number; inMs: number; waited: boolean } {
  let ready = 0,
    inMs = 0;
  for (const p of inst.pred[t]!) {
    const c = commMs(inst, p.bytes, s.device[p.t]!, d);
    ready = Math.max(ready, s.end[p.t]! + c);
    inMs = Math.max(inMs, c);
  }
  const tl = new Timeline();
  s.device.forEach((x, u) => {
    if (inst.lane[x] === inst.lane[d] && u !== t) tl.insert(s.start[u]!, s.end[u]!);
  });
  const st = tl.earliest(ready, inst.cost[t]![d]!);
  return { finish: st + inst.cost[t]![d]!, inMs, waited: st > ready + 1e-9 };
}

const PREFIX: [RegExp, string][] = [
  [/^exact/, 'part of an optimal schedule (branch and bound)'],
  [/^mincut \(exact/, 'side of the minimum cut (optimal for this chain)'],
  [/^mincut \(price/, 'side of the minimum cut of price + lambda x time that meets the deadline'],
  [/^mincut/, 'side of the minimum cut of work + transfers'],
  [/^cheapest/, 'cheapest device, and the deadline still holds'],
  [/cost-reduction$/, 'moved to the cheapest device that keeps the deadline'],
  [/^peft/, 'lowest finish time plus optimistic remaining cost (PEFT)'],
  [/^heft/, 'earliest finish time (HEFT, gap insertion)'],
];

export function explain(inst: Instance, s: Schedule, algorithm: string): string[] {
  const prefix = PREFIX.find(([re]) => re.test(algorithm))?.[1] ?? algorithm;
  const byCost = inst.objective === 'cost';
  return inst.tasks.map((name, t) => {
    const d = s.device[t]!;
    const parts = [prefix];
    const run = inst.cost[t]![d]!;
    parts.push(`runs ${f1(run)} ms here, ends at ${f1(s.end[t]!)} ms${byCost ? `, ${usd(taskCost(inst, t, d))}` : ''}`);
    const alts = allowed(inst, t).filter((x) => x !== d);
    if (!alts.length) parts.push('the only device that can run it');
    for (const x of alts) {
      const m = finishIfMoved(inst, s, t, x);
      const mates = inst.devices.filter((_, e) => e !== x && inst.lane[e] === inst.lane[x]);
      const wait = !m.waited
        ? ''
        : mates.length
          ? `, waits for its turn (shares a resource with ${mates.join(', ')})`
          : ', waits for the device';
      parts.push(
        `${inst.devices[x]}: ${f1(inst.cost[t]![x]!)} ` +
          `ms${m.inMs > 0 ? ` + ${f1(m.inMs)} ms transfer in` : ''}${wait}, would end at ${f1(m.finish)} ` +
          `ms${byCost ? `, ${usd(taskCost(inst, t, x))}` : ''}`,
      );
    }
    for (const e of inst.excluded.filter((e) => e.task === name)) parts.push(`not ${e.device}: ${e.reason}`);
    return parts.join('; ');
  });
}
