// Running the prepared model (seeded random inputs) or the agent graph, and downloading the trace.

import { randomFeeds } from '../../src/cli/random-inputs.js';
import type { AgentRunSummary } from './agent-panel.js';
import { agentOf, config, type RunResult } from './config.js';
import { clear, h, ms } from './dom.js';
import { el } from './elements.js';
import { hideError, status } from './messages.js';
import { numbers, outputCard } from './outputs.js';
import { render } from './render.js';
import { agentPanel, state } from './state.js';

export async function run(): Promise<RunResult | AgentRunSummary> {
  if (agentOf(config.model)) return runAgent();
  const { session, hp } = state;
  if (!session || !hp) throw new Error('no model is ready to run (pick a model first)');
  if (state.busy) throw new Error('a run is already in progress');
  state.busy = true;
  el.runBtn.disabled = true;
  hideError();
  status('running…', 'busy');
  try {
    const feeds = randomFeeds(session.graph, config.seed);
    const t0 = performance.now();
    const outs = await session.run(feeds);
    const wallMs = performance.now() - t0;
    state.lastOutputs = outs;
    const report = hp.lastReport!;
    const plan = hp.lastRunPlan ?? hp.plan;
    state.view = { plan, report };
    const used = [...new Set(report.units.map((u) => u.device))];
    status(
      `ran in ${ms(wallMs)} on ${used.join(' + ') || 'the host'}` +
        (report.fallbacks.length ? ` — ${report.fallbacks.length} fallback(s)` : ''),
      'ok',
    );
    el.traceBtn.disabled = !session.trace;
    render();
    clear(
      el.outputs,
      Object.entries(outs).map(([n, t]) => outputCard(n, t)),
    );
    state.lastResult = {
      outputs: Object.fromEntries(
        Object.entries(outs).map(([n, t]) => [n, { type: t.type, dims: [...t.dims], data: numbers(t) }]),
      ),
      devicesUsed: used,
      report,
      plan,
      fallbacks: report.fallbacks,
      notes: [...hp.notes],
      wallMs,
    };
    return state.lastResult;
  } finally {
    state.busy = false;
    el.runBtn.disabled = !state.session;
  }
}

async function runAgent(): Promise<AgentRunSummary> {
  if (state.busy) throw new Error('a run is already in progress');
  state.busy = true;
  el.runBtn.disabled = true;
  hideError();
  try {
    const r = await agentPanel.run();
    el.traceBtn.disabled = false;
    return r;
  } finally {
    state.busy = false;
    el.runBtn.disabled = !agentPanel.loaded;
  }
}

export function downloadTrace(): void {
  const agent = agentOf(config.model);
  const json = agent ? agentPanel.trace() : state.session?.trace?.toJSON();
  if (!json) return;
  const blob = new Blob([JSON.stringify(json)], { type: 'application/json' });
  const a = h('a', {
    href: URL.createObjectURL(blob),
    download: `switchyard-${agent ? `agent-${agent.id}` : state.modelName.replace(/\.onnx$/, '')}-trace.json`,
  });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}
