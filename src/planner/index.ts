// The planner: placement and scheduling over device profiles. Imports ir and cost only.

export * from './problem.js';
export * from './instance.js';
export { buildInstance, PlanInputError, type BuildOptions } from './validate.js';
export * from './schedule.js';
export { heft } from './heft.js';
export { peft } from './peft.js';
export { exactSearch } from './exact.js';
export { bruteForce } from './brute-force.js';
export { minCutSplit, isTwoDeviceChain } from './mincut.js';
export { solve, ALGORITHMS, type Algorithm, type SolveOptions, type Solution } from './solve.js';
export { toPlan, planInstance, type Plan, type FirstRunPrediction, type Assignment, type Transfer, type PassRecord } from './plan.js';
export { simulate, replay, type SimOptions, type SimResult } from './simulate.js';
export { graphProblem, sharedGroups, SHARED_BELOW, type GraphPlanOptions } from './from-graph.js';
export { randomProblem } from './random-dag.js';
export { planText } from './format/text.js';
export { planGantt } from './format/gantt.js';
export { planSvg } from './format/svg.js';

import { buildInstance, type BuildOptions } from './validate.js';
import { planInstance, type Plan, type PassRecord } from './plan.js';
import type { Problem } from './problem.js';
import type { SolveOptions } from './solve.js';

/** Validate and plan an abstract problem in one call. */
export function planProblem(p: Problem, o: BuildOptions & SolveOptions = {}, passes: PassRecord[] = []): Plan {
  const inst = buildInstance(p, o);
  const pre: PassRecord[] = inst.excluded.length ? [{ name: 'constraints', notes: inst.excluded.map((e) => `${e.task}: not ${e.device}: ${e.reason}`) }] : [];
  return planInstance(inst, o, [...passes, ...pre]);
}
