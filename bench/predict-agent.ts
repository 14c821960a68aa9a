// bench:predict's agent rows: the example agent (examples/agent/rag.yaml: PII filter, embedding,
// HNSW retrieval, a tool call, a streamed LLM answer) run in one process on the local devices
// (no offload server), per device set: the first run (the engines compile their step graphs and
// upload their weights) and the steady runs after it, predicted by planAgent beside measured.

import { join } from 'node:path';
import { prepareExampleModels } from '../src/agent/example.js';
import { AgentSession } from '../src/agent/session.js';
import { Estimator } from '../src/cost/estimator.js';
import { KernelHistory, MemoryStore } from '../src/cost/history.js';
import type { DeviceSpec } from '../src/runtime/devices.js';
import { stores } from '../src/runtime/node-stores.js';
import type { Row } from './predict-report.js';

const QUESTION = 'Hi, I am jane@example.com. My parcel weighs 3 kg and goes to zone B. How much is shipping?';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function runAgent(
  root: string,
  name: string,
  specs: DeviceSpec[],
  runs: number,
  say: (s: string) => void,
): Promise<Row> {
  const file = join(root, 'examples/agent/rag.yaml');
  await prepareExampleModels(file, say);
  // the session discovers, loads, lowers once, plans, runs and learns (no re-plan: one prediction per run)
  const session = await AgentSession.open(file, {
    discover: { devices: specs, calibration: 'cache', profiles: stores().profiles },
    dropSoftwareAdapters: false,
    estimator: new Estimator(new KernelHistory(new MemoryStore(), 0.3, 'pessimistic')),
  });
  const inputs = { question: QUESTION };
  try {
    const predicted: number[] = [],
      measured: number[] = [];
    let first: { pred: number; ms: number; steady: number } | undefined;
    let ranOn = '';
    for (let i = 0; i < runs; i++) {
      const ap = session.replan();
      ranOn = [
        ...new Set(
          [...ap.placement.values()].flatMap((p) => [p.device, p.prefill, p.decode]).filter((d): d is string => !!d),
        ),
      ].join('+');
      const run = session.run({ inputs, replan: false });
      for await (const _ of run) {
        /* drain the stream */
      }
      const result = await run.result;
      // this run's prediction: the plan's makespan (first-run costs included where a graph is cold)
      if (i === 0) first = { pred: ap.plan.makespanMs, ms: result.totalMs, steady: ap.steadyMs };
      else {
        predicted.push(ap.plan.makespanMs);
        measured.push(result.totalMs);
      }
    }
    return {
      workload: 'agent (rag.yaml)',
      config: name,
      devices: ranOn,
      firstPredMs: first!.pred,
      firstMs: first!.ms,
      coldSteadyMs: first!.steady,
      steadyPredMs: median(predicted),
      steadyMs: median(measured),
      runs,
      replans: 0,
      spread: Math.max(...measured) / Math.max(1e-9, Math.min(...measured)),
    };
  } finally {
    await session.dispose();
  }
}

export async function agentRows(root: string, say: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  // as `switchyard agent` plans it here: a software WebGPU adapter is left out of auto
  for (const [name, specs] of [['auto', [{ kind: 'reference' }, { kind: 'wasm' }]]] as [string, DeviceSpec[]][]) {
    say(`bench:predict: the example agent on ${name}`);
    try {
      rows.push(await runAgent(root, name, specs, 4, say));
    } catch (e) {
      rows.push({
        workload: 'agent (rag.yaml)',
        config: name,
        devices: '-',
        error: (e as Error).message.split('\n')[0]!.slice(0, 120),
      });
    }
  }
  return rows;
}
