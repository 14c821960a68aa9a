// Agent mode of the demo: load a bundled agent graph (examples/agent/rag.yaml, fetched from the
// page's origin), plan it over the devices the page has under a TTFT/TPOT (or deadline) policy,
// run it streaming the answer's tokens, and show per-node devices and times, TTFT/TPOT against
// the SLA and the planner's explanation. The library is the same one `switchyard agent` runs.

import { EXAMPLE_QUESTION } from '../../src/agent/example.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { agentTrace, explainAgent } from '../../src/agent/runtime/report.js';
import { AgentSession } from '../../src/agent/session.js';
import type { AgentPlan, AgentPolicy, AgentResult, NodeRecord } from '../../src/agent/types.js';
import { Estimator } from '../../src/cost/estimator.js';
import { KernelHistory } from '../../src/cost/history.js';
import type { DeviceEntry, DeviceSpec } from '../../src/runtime/devices.js';
import { nodeRecords, runCost, stat } from './agent-view.js';
import { clear, dollars, h, ms } from './dom.js';
import { historyStore, profileStore } from './stores.js';

export interface AgentSla {
  ttftMs?: number;
  tpotMs?: number;
  deadlineMs?: number;
  objective: 'latency' | 'cost';
}

/** What a run gives the page's test hooks: the answer, how it streamed, where each node ran. */
export interface AgentRunSummary {
  text: string;
  tokenEvents: number;
  /** Answer length in characters after each token event, in order. */
  streamed: number[];
  records: NodeRecord[];
  ttftMs?: number;
  tpotMs?: number;
  totalMs: number;
  sla: { ttftMs?: number; tpotMs?: number; deadlineMs?: number };
  met: { ttft?: boolean; tpot?: boolean; deadline?: boolean };
  placement: Record<string, { device?: string; prefill?: string; decode?: string }>;
  devices: { id: string; kind: string }[];
  inputs: Record<string, string>;
  warnings: string[];
}

interface Hooks {
  status(text: string, kind?: 'info' | 'busy' | 'ok'): void;
  progress(done: number, total: number, step: string): void;
}

export class AgentPanel {
  readonly question = h('textarea', { id: 'agent-question', rows: 3, spellcheck: 'false', 'aria-label': 'question' });
  readonly answer = h('pre', { id: 'agent-answer', class: 'agent-answer', 'aria-live': 'polite' });
  readonly root: HTMLElement;
  private readonly info = h('div', { class: 'agent-info' });
  private readonly summary = h('div', { class: 'summary agent-summary' });
  private readonly nodes = h('div', { class: 'agent-nodes' });
  private readonly explain = h('pre', { class: 'agent-explain' });
  private session?: AgentSession;
  private ap?: AgentPlan;
  private lastRun?: { result: AgentResult; ap: AgentPlan };
  private sla: AgentSla = { objective: 'latency' };
  last?: AgentRunSummary;
  busy = false;

  constructor(private readonly hooks: Hooks) {
    this.question.value = EXAMPLE_QUESTION;
    this.root = h(
      'div',
      { class: 'agent-panel' },
      this.info,
      h(
        'label',
        { class: 'label', for: 'agent-question' },
        "Question (the graph's input; it is private: only the PII filter reads it)",
      ),
      this.question,
      h('div', { class: 'label' }, 'Answer (streamed tokens)'),
      this.answer,
      this.summary,
      this.nodes,
      h('details', { class: 'agent-explain-box' }, h('summary', {}, 'Plan explanation (explainAgent)'), this.explain),
    );
  }

  get loaded(): boolean {
    return !!this.session;
  }
  get plan(): AgentPlan | undefined {
    return this.ap;
  }
  private get entries(): DeviceEntry[] {
    return this.session?.entries ?? [];
  }

  /** Load the graph at `url` over these device specs (the host is always added). */
  async load(url: string, specs: DeviceSpec[], sla: AgentSla): Promise<void> {
    await this.dispose();
    this.sla = sla;
    const t0 = performance.now();
    this.hooks.status('finding devices for the agent…', 'busy');
    // discovery, loading, lowering, planning and learning are the session's, as in `switchyard agent`
    const chat = new URLSearchParams(location.search).get('chat'); // ?chat=hf:org/name: a real chat model
    this.session = await AgentSession.open(url, {
      ...(chat ? { models: { chat: await loadLlm(chat) } } : {}),
      discover: { devices: specs, calibration: 'cache', profiles: profileStore, onProgress: this.hooks.progress },
      onProgress: (l) => this.hooks.status(l, 'busy'),
      estimator: new Estimator(new KernelHistory(historyStore)),
      policy: this.policy(),
    });
    this.renderInfo(url);
    this.replan(sla);
    clear(this.answer);
    clear(this.nodes, h('p', { class: 'muted' }, 'Press Run: the answer streams here token by token.'));
    const on = this.entries.map((e) => e.device.id).join(', ');
    this.hooks.status(`agent loaded in ${ms(performance.now() - t0)} on ${on}`, 'ok');
  }

  private policy(): AgentPolicy {
    return {
      objective: this.sla.objective,
      ttftMs: this.sla.ttftMs,
      tpotMs: this.sla.tpotMs,
      deadlineMs: this.sla.deadlineMs,
    };
  }

  /** Targets the run is judged by: the page's, else the graph's own `sla:`. */
  private targets() {
    const g = this.session?.graph.spec.sla ?? {};
    return {
      ttftMs: this.sla.ttftMs ?? g.ttftMs,
      tpotMs: this.sla.tpotMs ?? g.tpotMs,
      deadlineMs: this.sla.deadlineMs ?? g.deadlineMs,
    };
  }

  /** Plan again under a new SLA (planning an agent is cheap: the session lowered it once). */
  replan(sla: AgentSla): AgentPlan | undefined {
    this.sla = sla;
    if (!this.session) return undefined;
    this.ap = this.session.replan(this.policy());
    this.renderPlan();
    return this.ap;
  }

  async run(): Promise<AgentRunSummary> {
    const session = this.session;
    if (!session || !this.ap) throw new Error('no agent graph is loaded (pick one first)');
    if (this.busy) throw new Error('a run is already in progress');
    this.busy = true;
    const ap = this.ap;
    const inputName = Object.keys(session.graph.spec.inputs ?? {})[0];
    const inputs: Record<string, string> = inputName ? { [inputName]: this.question.value } : {};
    const output = session.graph.outputs[0];
    clear(this.answer);
    const streamed: number[] = [];
    let text = '';
    try {
      // as the tool loop unrolls, what was measured so far re-plans the rest (the session does it)
      const run = session.run({ inputs });
      for await (const e of run) {
        if (e.type === 'token' && e.node === output) {
          text += e.text;
          this.answer.textContent = text;
          streamed.push(text.length);
          this.hooks.status(`streaming: ${streamed.length} tokens`, 'busy');
        } else if (e.type === 'node-start') {
          this.hooks.status(`running ${e.node} (${e.kind}) on ${e.device}…`, 'busy');
        } else if (e.type === 'loop') {
          this.answer.append(
            h('span', { class: 'muted' }, `\n[tool loop ${e.from} → ${e.to}, iteration ${e.iteration}]\n`),
          );
        }
      }
      const result = await run.result;
      if (!streamed.length) this.answer.textContent = result.text;
      this.last = this.summarize(result, ap, inputs, streamed);
      this.lastRun = { result, ap };
      this.renderResult(result, ap);
      this.hooks.status(`answered in ${ms(result.totalMs)}: ${streamed.length} tokens streamed`, 'ok');
      return this.last;
    } finally {
      this.busy = false;
    }
  }

  private summarize(
    r: AgentResult,
    ap: AgentPlan,
    inputs: Record<string, string>,
    streamed: number[],
  ): AgentRunSummary {
    const t = this.targets();
    const ok = (v: number | undefined, target: number | undefined) =>
      v === undefined || target === undefined ? undefined : v <= target;
    return {
      text: r.text,
      tokenEvents: streamed.length,
      streamed,
      records: r.records,
      ttftMs: r.ttftMs,
      tpotMs: r.tpotMs,
      totalMs: r.totalMs,
      sla: t,
      met: { ttft: ok(r.ttftMs, t.ttftMs), tpot: ok(r.tpotMs, t.tpotMs), deadline: ok(r.totalMs, t.deadlineMs) },
      placement: Object.fromEntries(
        [...ap.placement].map(([k, p]) => [k, { device: p.device, prefill: p.prefill, decode: p.decode }]),
      ),
      devices: this.entries.map((e) => ({ id: e.device.id, kind: e.device.kind })),
      inputs,
      warnings: r.warnings,
    };
  }

  // ---------- rendering ----------
  private renderInfo(url: string): void {
    const g = this.session!.graph.spec;
    const tools = Object.entries(g.tools ?? {}).map(
      ([name, t]) =>
        `${name}: ` +
        (t.builtin ? `built-in '${t.builtin}'` : `ES module ${t.module}, imported by the page from its origin`),
    );
    clear(
      this.info,
      h(
        'p',
        { class: 'small' },
        g.description ?? '',
        ' ',
        h('a', { href: url, target: '_blank', rel: 'noopener' }, url.replace(/^.*\//, '')),
      ),
      h(
        'p',
        { class: 'muted small' },
        "The example's models are seeded random weights (nothing is downloaded), so the answer text is noise; " +
          'what to watch is the pipeline: PII redaction, retrieval, the tool, placement per device, ' +
          'TTFT/TPOT against the SLA.',
      ),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, 'nodes'),
        h('dd', {}, [...this.session!.graph.nodes].map(([id, n]) => `${id} (${n.kind})`).join(', ')),
        h('dt', {}, 'tools'),
        h('dd', {}, tools.join('; ') || 'none'),
        h('dt', {}, 'devices'),
        h('dd', {}, this.entries.map((e) => `${e.device.id} (${e.device.kind})`).join(', ')),
        h('dt', {}, 'graph SLA'),
        h(
          'dd',
          {},
          g.sla
            ? Object.entries(g.sla)
                .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v} ms`)
                .join(', ')
            : 'none',
        ),
      ),
      this.session!.notes.length
        ? h(
            'ul',
            { class: 'notes' },
            this.session!.notes.map((n) => h('li', {}, n)),
          )
        : null,
    );
  }

  private renderPlan(): void {
    const ap = this.ap!;
    const t = this.targets();
    const predicted = [...ap.llm.values()][0];
    clear(
      this.summary,
      stat(
        'plan',
        ap.plan.feasible ? 'feasible' : 'infeasible',
        ap.plan.feasible ? '' : 'bad',
        ap.plan.reason ?? ap.plan.algorithm,
      ),
      stat(
        'predicted this run / steady',
        `${ms(ap.plan.makespanMs)} / ${ms(ap.steadyMs)}`,
        '',
        'this run compiles what is not compiled yet (first run); steady: all compiled',
      ),
      stat(
        'TTFT target',
        t.ttftMs === undefined ? 'none' : ms(t.ttftMs),
        '',
        predicted ? `predicted ${ms(predicted.ttftMs)}` : undefined,
      ),
      stat(
        'TPOT target',
        t.tpotMs === undefined ? 'none' : ms(t.tpotMs),
        '',
        predicted ? `predicted ${ms(predicted.tpotMs)}` : undefined,
      ),
      stat(
        'placement',
        [...ap.placement]
          .map(([k, p]) => `${k}@${p.device ?? (p.prefill === p.decode ? p.prefill : `${p.prefill}/${p.decode}`)}`)
          .join(' '),
      ),
    );
    this.explain.textContent = explainAgent(ap, undefined);
  }

  private renderResult(r: AgentResult, ap: AgentPlan): void {
    const t = this.targets();
    const judged = (label: string, v: number | undefined, target: number | undefined) => {
      const met = v === undefined || target === undefined ? undefined : v <= target;
      return stat(
        label,
        ms(v),
        met === undefined ? '' : met ? 'good' : 'bad',
        target === undefined ? 'no target' : `target ${ms(target)}: ${met ? 'met' : 'missed'}`,
      );
    };
    const slaMet = [
      [r.ttftMs, t.ttftMs],
      [r.tpotMs, t.tpotMs],
      [r.totalMs, t.deadlineMs],
    ].filter(([v, x]) => v !== undefined && x !== undefined);
    const allMet = slaMet.every(([v, x]) => v! <= x!);
    clear(
      this.summary,
      judged('TTFT', r.ttftMs, t.ttftMs),
      judged('TPOT', r.tpotMs, t.tpotMs),
      judged('total', r.totalMs, t.deadlineMs),
      stat(
        'SLA',
        slaMet.length ? (allMet ? 'met' : 'missed') : 'none',
        slaMet.length ? (allMet ? 'good' : 'bad') : '',
        'TTFT, TPOT and deadline targets that apply',
      ),
      stat(
        'cost',
        dollars(runCost(r, this.entries)),
        '',
        "device-seconds × each device's price per hour (devices in this tab are priced at 0)",
      ),
      stat(
        'plan',
        ap.plan.feasible ? 'feasible' : 'infeasible',
        ap.plan.feasible ? '' : 'bad',
        ap.plan.reason ?? ap.plan.algorithm,
      ),
    );
    clear(this.nodes, ...nodeRecords(r, this.entries));
    this.explain.textContent = explainAgent(ap, r);
  }

  /** The last run as a Chrome trace (one track per device, the plan beside it), for Perfetto. */
  trace(): ReturnType<typeof agentTrace> | undefined {
    return this.lastRun && agentTrace(this.lastRun.result, this.lastRun.ap);
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.ap = undefined;
    this.last = undefined;
    this.lastRun = undefined;
    await session?.dispose();
  }
}
