// Offload servers in the agent plan: each llm node a server serves with the same weights is tried
// both ways, kept off the chat route or with both phases there (the route keeps the KV cache on
// the server), and the better plan kept (feasibility first, then the objective).

import { type PassRecord, type Plan, type Problem, planProblem } from '../planner/index.js';
import type { ServedOption } from './nodes/kind.js';

export interface OffloadChoice {
  problem: Problem;
  plan: Plan;
  /** llm nodes that run through a server's chat route. */
  chat: Set<string>;
}

export function chooseOffload(
  problem: Problem,
  passes: PassRecord[],
  options: ServedOption[],
  notes: string[],
): OffloadChoice {
  let best: OffloadChoice = { problem, plan: planProblem(problem, {}, passes), chat: new Set<string>() };
  for (const o of options) {
    const tasks = best.problem.tasks.map((t) => {
      if (t.id === `${o.node}.prefill` && t.llm)
        return { ...t, llm: { ...t.llm, prefillMs: { [o.device]: o.prefillMs }, decodeMsPerToken: { [o.device]: 0 } } };
      if (t.id === `${o.node}.decode` && t.llm)
        return {
          ...t,
          llm: { ...t.llm, prefillMs: { [o.device]: 0 }, decodeMsPerToken: { [o.device]: o.perTokenMs } },
        };
      return t;
    });
    const problem2 = { ...best.problem, tasks };
    const plan2 = planProblem(problem2, {}, passes);
    const base = best.plan;
    const better =
      plan2.feasible !== base.feasible
        ? plan2.feasible
        : problem.policy?.objective === 'cost'
          ? plan2.cost < base.cost || (plan2.cost === base.cost && plan2.makespanMs < base.makespanMs)
          : plan2.makespanMs < base.makespanMs;
    const state = (p: Plan) =>
      `${p.makespanMs.toFixed(1)} ms${p.feasible ? '' : ' (infeasible)'}, $${p.cost.toExponential(2)}`;
    notes.push(
      `${o.node}: wholly on ${o.device} the plan takes ${state(plan2)}; otherwise ${state(base)}: ` +
        `${better ? `${o.device} it is` : 'stays off the server'}`,
    );
    if (better) best = { problem: problem2, plan: plan2, chat: new Set([...best.chat, o.node]) };
  }
  return best;
}
