// Learning from a run: measured node times go into the cost model's history per task and device
// (llm nodes per phase, through the chat route apart from engine steps), first runs apart from
// steady ones, so the next plan (or the re-plan in a loop) prices each device by what it did.

import type { Estimator } from '../cost/estimator.js';
import { signer } from './plan-context.js';
import type { AgentPlan, NodeRecord } from './types.js';

/** Feed measured node times back into the cost model's history (per node and device). */
export function learnFromRun(estimator: Estimator, ap: AgentPlan, records: NodeRecord[]): void {
  const sig = signer(ap.graph);
  const predicted = new Map(ap.plan.assignments.map((a) => [a.task, a.endMs - a.startMs]));
  // a run that compiled the model's graph is a first run: it is kept apart from the steady ones
  const firstOf = (task: string, device: string) => (ap.firstRun.cold.get(task)?.device === device ? '.first' : '');
  /** How far a cold task's extra (measured less its predicted steady part) was from the predicted extra. */
  const learnCold = (task: string, device: string, measuredMs: number) => {
    const c = ap.firstRun.cold.get(task);
    if (!c || c.device !== device) return;
    const steady = (predicted.get(task) ?? 0) - c.ms;
    const ratio = estimator.history.firstRunRatio(device);
    estimator.history.recordFirstRun(device, measuredMs - steady, c.ms / ratio);
  };
  for (const r of records) {
    if (r.status !== 'ok') continue;
    if (r.llm) {
      // a run that moved from a server to a local engine mid-way measured neither device alone
      if (r.llm.fallback) continue;
      const ttft = r.llm.ttftMs;
      // decode is planned for max_tokens; scale the measured time per token to it
      const steps = Math.max(
        1,
        ((ap.lowered.nodesOf.get(r.node)?.[1]?.attrs.max_tokens?.value as number | undefined) ?? 2) - 1,
      );
      const decode = r.llm.tpotMs * steps;
      const via = r.llm.route === 'chat' ? '.chat' : '';
      const pre = `${r.node}.prefill`,
        dec = `${r.node}.decode`;
      estimator.history.record(
        sig(`${pre}${via}${firstOf(pre, r.llm.prefillDevice)}`),
        r.llm.prefillDevice,
        ttft,
        predicted.get(pre) ?? ttft,
      );
      if (r.llm.tokens > 1)
        estimator.history.record(
          sig(`${dec}${via}${firstOf(dec, r.llm.decodeDevice)}`),
          r.llm.decodeDevice,
          decode,
          predicted.get(dec) ?? decode,
        );
      learnCold(pre, r.llm.prefillDevice, ttft);
      if (r.llm.tokens > 1) learnCold(dec, r.llm.decodeDevice, decode);
    } else {
      const ms = r.endMs - r.startMs;
      estimator.history.record(sig(`${r.node}${firstOf(r.node, r.device)}`), r.device, ms, predicted.get(r.node) ?? ms);
      learnCold(r.node, r.device, ms);
    }
  }
}
