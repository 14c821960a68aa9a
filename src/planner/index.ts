// The planner: placement and scheduling over device profiles. Imports ir and cost only.

export { bruteForce } from './brute-force.js';
export { exactSearch } from './exact.js';
export { planGantt } from './format/gantt.js';
export { planSvg } from './format/svg.js';
export { planText } from './format/text.js';
export { type GraphPlanOptions, graphProblem, SHARED_BELOW, sharedGroups } from './from-graph.js';
export { heft } from './heft.js';
export * from './instance.js';
export { isTwoDeviceChain, minCutSplit } from './mincut.js';
export { peft } from './peft.js';
export {
  type Assignment,
  type FirstRunPrediction,
  type PassRecord,
  type Plan,
  planInstance,
  type Transfer,
  toPlan,
} from './plan.js';
export * from './problem.js';
export { randomProblem } from './random-dag.js';
export * from './schedule.js';
export { replay, type SimOptions, type SimResult, simulate } from './simulate.js';
export { ALGORITHMS, type Algorithm, type Solution, type SolveOptions, solve } from './solve.js';
export { type BuildOptions, buildInstance, PlanInputError } from './validate.js';

import { type PassRecord, type Plan, planInstance } from './plan.js';
import type { Problem } from './problem.js';
import type { SolveOptions } from './solve.js';
import { type BuildOptions, buildInstance } from './validate.js';

/** Validate and plan an abstract problem in one call. */
export function planProblem(p: Problem, o: BuildOptions & SolveOptions = {}, passes: PassRecord[] = []): Plan {
  const inst = buildInstance(p, o);
  const pre: PassRecord[] = inst.excluded.length
    ? [{ name: 'constraints', notes: inst.excluded.map((e) => `${e.task}: not ${e.device}: ${e.reason}`) }]
    : [];
  return planInstance(inst, o, [...passes, ...pre]);
}
