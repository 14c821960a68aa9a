// The Switchyard demo page: pick a model, see the devices, set the SLA, see the plan and the
// timeline, run, and download the trace. Everything runs in this tab (and on the offload server
// when one is configured); nothing is sent anywhere else.

import '../../src/index.js';
import examples, { agents } from 'virtual:examples';
import { randomFeeds } from '../../src/cli/random-inputs.js';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Plan } from '../../src/planner/plan.js';
import type { Policy } from '../../src/planner/problem.js';
import type { HeteroPrepared } from '../../src/runtime/auto-backend.js';
import { backendNames } from '../../src/runtime/backend.js';
import type { DeviceSpec } from '../../src/runtime/devices.js';
import type { RunReport } from '../../src/runtime/executor.js';
import { Session, type SessionOptions } from '../../src/runtime/session.js';
import { AgentPanel, type AgentRunSummary } from './agent-panel.js';
import { CATALOG, describeModel } from './catalog.js';
import { deviceColor } from './colors.js';
import { agentOf, type Config, config, params, type RunResult } from './config.js';
import { engineDevices, gpuBody, remoteBody, wasmBody } from './devices-panel.js';
import { bytes, clear, dollars, h, ms } from './dom.js';
import { el } from './elements.js';
import { card, layout, syncSlaKind } from './layout.js';
import { hideError, showError, status } from './messages.js';
import { numbers, outputCard } from './outputs.js';
import { drawPlanGraph } from './plan-graph.js';
import { type GpuProbe, probeGpu, probeRemote, probeWasm, type RemoteProbe } from './probe.js';
import { historyStore, profileStore } from './stores.js';
import { drawTimeline } from './timeline.js';

// ---------- state ----------
let modelBytes: Uint8Array | undefined;
let modelName = '';
/** The model the page last loaded successfully: a file that fails to load leaves it in place. */
let loadedModel: string | undefined;
const dropped = new Map<string, { name: string; bytes: Uint8Array }>();
let session: Session | undefined;
let hp: HeteroPrepared | undefined;
let view: { plan: Plan; report?: RunReport } | undefined;
let lastOutputs: Record<string, Tensor> | undefined;
let lastResult: RunResult | undefined;
let gpuProbe: GpuProbe | undefined;
let remoteProbe: RemoteProbe | undefined;
const wasmProbe = probeWasm();
let busy = false;
let prepareSeq = 0;

// ---------- model ----------
async function selectModel(): Promise<void> {
  hideError();
  syncSlaKind();
  if (agentOf(config.model)) {
    await selectAgent();
    return;
  }
  await agentPanel.dispose();
  clear(el.agentCard);
  try {
    let bytes: Uint8Array, name: string;
    const file = dropped.get(config.model);
    if (file) {
      bytes = file.bytes;
      name = file.name;
    } else {
      status(`loading ${config.model}…`, 'busy');
      const res = await fetch(`./models/${encodeURIComponent(config.model)}`);
      if (!res.ok) throw new Error(`model ${config.model}: HTTP ${res.status} ${res.statusText}`);
      bytes = new Uint8Array(await res.arrayBuffer());
      name = config.model;
    }
    const g = importOnnx(bytes.slice(), { source: name });
    modelBytes = bytes;
    modelName = name;
    loadedModel = config.model;
    clear(el.modelInfo, describeModel(g, bytes.byteLength, CATALOG[name]));
    await prepare();
  } catch (e) {
    // keep the model that works: put the picker back and drop the file that failed
    if (config.model.startsWith('dropped:')) {
      dropped.delete(config.model);
      el.modelSelect.querySelector(`option[value="${CSS.escape(config.model)}"]`)?.remove();
    }
    if (loadedModel && loadedModel !== config.model) {
      config.model = loadedModel;
      el.modelSelect.value = loadedModel;
    }
    showError(e);
  }
}

// ---------- agent graphs ----------
const agentPanel = new AgentPanel({
  status,
  progress: (done, total, step) => {
    el.progress.hidden = done >= total;
    el.progress.max = total;
    el.progress.value = done;
    status(`calibrating: ${step} (${done}/${total})`, 'busy');
  },
});

function agentSla() {
  const tokens = config.slaKind === 'tokens';
  return {
    objective: config.objective,
    ttftMs: tokens ? config.ttftMs : undefined,
    tpotMs: tokens ? config.tpotMs : undefined,
    deadlineMs: config.useDeadline ? config.deadlineMs : undefined,
  };
}

async function selectAgent(): Promise<void> {
  const a = agentOf(config.model)!;
  const seq = ++prepareSeq;
  el.runBtn.disabled = true;
  el.traceBtn.disabled = true;
  const old = session;
  session = undefined;
  hp = undefined;
  view = undefined;
  await old?.release().catch(() => undefined);
  clear(el.summary);
  clear(
    el.modelInfo,
    h(
      'p',
      { class: 'small' },
      `Agent graph ${a.file}: ` + 'filter → embed → retrieve, a tool, and a streamed LLM answer.',
    ),
  );
  clear(
    el.agentCard,
    card(
      'Agent graph',
      agentPanel.root,
      h('span', { class: 'muted small' }, 'plan · stream · per-node devices and times'),
    ),
  );
  try {
    await agentPanel.load(new URL(`./${a.file}`, location.href).href, deviceSpecs(), agentSla());
    if (seq !== prepareSeq) return;
    loadedModel = config.model;
    el.runBtn.disabled = false;
    if (params.get('autorun') === '1' && seq === 1) await run();
  } catch (e) {
    if (seq !== prepareSeq) return;
    el.progress.hidden = true;
    showError(e);
  }
}

async function loadDropped(f: File): Promise<void> {
  if (!/\.onnx$/i.test(f.name)) {
    showError(new Error(`${f.name}: not an .onnx file (this page imports ONNX models)`));
    return;
  }
  const id = `dropped:${f.name}:${f.size}`;
  dropped.set(id, { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  el.modelSelect.querySelector(`option[value="${CSS.escape(id)}"]`)?.remove();
  el.modelSelect.append(h('option', { value: id, 'data-dropped': true }, `${f.name} (dropped, ${bytes(f.size)})`));
  el.modelSelect.value = id;
  config.model = id;
  await selectModel();
}

// ---------- session ----------
function policy(): Policy {
  const allow = (['wasm', 'webgpu', 'remote'] as const).filter((k) => config.devices[k]);
  return {
    objective: config.objective,
    ...(config.useDeadline ? { deadlineMs: config.deadlineMs } : {}),
    ...(config.exclusive ? { allow: [...allow] } : {}),
  };
}

function deviceSpecs(): DeviceSpec[] {
  const specs: DeviceSpec[] = [];
  if (config.devices.webgpu) specs.push({ kind: 'webgpu' });
  if (config.devices.wasm) specs.push({ kind: 'wasm', threads: wasmProbe.threads });
  if (config.devices.remote && config.remoteUrl)
    specs.push({ kind: 'remote', url: config.remoteUrl, token: config.token || undefined });
  return specs;
}

async function prepare(): Promise<void> {
  if (agentOf(config.model)) {
    await selectAgent();
    return;
  }
  if (!modelBytes) return;
  const seq = ++prepareSeq;
  hideError();
  el.runBtn.disabled = true;
  const old = session;
  session = undefined;
  hp = undefined;
  view = undefined;
  lastOutputs = undefined;
  await old?.release().catch(() => undefined);
  status('finding devices and planning…', 'busy');
  const t0 = performance.now();
  try {
    const options: SessionOptions = {
      backend: 'auto',
      devices: deviceSpecs(),
      policy: policy(),
      trace: true,
      profiles: profileStore,
      history: historyStore,
      onProgress: (done: number, total: number, step: string) => {
        el.progress.hidden = false;
        el.progress.max = total;
        el.progress.value = done;
        status(`calibrating: ${step} (${done}/${total})`, 'busy');
      },
    };
    const s = await Session.create(modelBytes.slice(), options);
    if (seq !== prepareSeq) {
      await s.release();
      return;
    }
    session = s;
    hp = s.hetero!;
    view = { plan: hp.plan };
    el.progress.hidden = true;
    status(`planned in ${ms(performance.now() - t0)} on ${hp.devices.map((d) => d.device.id).join(', ')}`, 'ok');
    el.runBtn.disabled = false;
    el.traceBtn.disabled = true;
    clear(
      el.outputs,
      h(
        'p',
        { class: 'muted' },
        `Inputs are seeded random tensors (seed ${config.seed}) of the model's input shapes. Press Run.`,
      ),
    );
    render();
    if (params.get('autorun') === '1' && seq === 1) await run();
  } catch (e) {
    if (seq !== prepareSeq) return;
    el.progress.hidden = true;
    clear(el.graph);
    clear(el.timeline);
    clear(el.units);
    clear(el.summary);
    showError(e);
  }
}

let replanTimer: ReturnType<typeof setTimeout> | undefined;
function replanSoon(): void {
  clearTimeout(replanTimer);
  replanTimer = setTimeout(() => void replan(), 120);
}

async function replan(): Promise<void> {
  if (agentPanel.loaded) {
    hideError();
    try {
      const ap = agentPanel.replan(agentSla())!;
      status(
        `re-planned: ${ap.plan.feasible ? 'feasible' : `infeasible (${ap.plan.reason})`}; ` +
          `TTFT ${config.slaKind === 'tokens' ? ms(config.ttftMs) : 'graph default'}, ` +
          `TPOT ${config.slaKind === 'tokens' ? ms(config.tpotMs) : 'graph default'}`,
        'ok',
      );
    } catch (e) {
      showError(e);
    }
    return;
  }
  if (!hp) return;
  hideError();
  const t0 = performance.now();
  try {
    await hp.setPolicy(policy());
    view = { plan: hp.plan };
    status(
      `re-planned in ${ms(performance.now() - t0)}: ${config.objective}` +
        (config.useDeadline ? `, deadline ${ms(config.deadlineMs)}` : ''),
      'ok',
    );
    render();
  } catch (e) {
    showError(e);
  }
}

async function run(): Promise<RunResult | AgentRunSummary> {
  if (agentOf(config.model)) return runAgent();
  if (!session || !hp) throw new Error('no model is ready to run (pick a model first)');
  if (busy) throw new Error('a run is already in progress');
  busy = true;
  el.runBtn.disabled = true;
  hideError();
  status('running…', 'busy');
  try {
    const feeds = randomFeeds(session.graph, config.seed);
    const t0 = performance.now();
    const outs = await session.run(feeds);
    const wallMs = performance.now() - t0;
    lastOutputs = outs;
    const report = hp.lastReport!;
    const plan = hp.lastRunPlan ?? hp.plan;
    view = { plan, report };
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
    lastResult = {
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
    return lastResult;
  } finally {
    busy = false;
    el.runBtn.disabled = !session;
  }
}

async function runAgent(): Promise<AgentRunSummary> {
  if (busy) throw new Error('a run is already in progress');
  busy = true;
  el.runBtn.disabled = true;
  hideError();
  try {
    const r = await agentPanel.run();
    el.traceBtn.disabled = false;
    return r;
  } finally {
    busy = false;
    el.runBtn.disabled = !agentPanel.loaded;
  }
}

function downloadTrace(): void {
  const agent = agentOf(config.model);
  const json = agent ? agentPanel.trace() : session?.trace?.toJSON();
  if (!json) return;
  const blob = new Blob([JSON.stringify(json)], { type: 'application/json' });
  const a = h('a', {
    href: URL.createObjectURL(blob),
    download: `switchyard-${agent ? `agent-${agent.id}` : modelName.replace(/\.onnx$/, '')}-trace.json`,
  });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

// ---------- rendering ----------
function measuredCost(r: RunReport): number {
  const price = new Map(hp!.devices.map((d) => [d.device.id, d.profile.pricePerHour.value]));
  return r.units.reduce((a, u) => a + ((u.endMs - u.startMs) * (price.get(u.device) ?? 0)) / 3.6e6, 0);
}

function stat(label: string, value: string, cls = '', title?: string): HTMLElement {
  return h(
    'div',
    { class: `stat ${cls}`, title },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
  );
}

function steadyMedian(): string | undefined {
  // what a caller waits for (the steady prediction is learned from the same figure)
  const xs = (hp?.steadyReports ?? []).map((r) => r.callerMs ?? r.totalMs).sort((a, b) => a - b);
  return xs.length ? ms(xs[xs.length >> 1]!) : undefined;
}

function render(): void {
  if (!hp || !view || !session) return;
  const { plan, report } = view;
  const met =
    plan.deadlineMs === undefined ? undefined : (report ? report.totalMs : plan.makespanMs) <= plan.deadlineMs;
  clear(
    el.summary,
    // first run (compile, upload and first use included) and steady state, each predicted beside measured
    stat(
      'predicted first / steady',
      `${plan.firstRun ? ms(hp.firstRun?.plan.firstRun?.ms ?? plan.firstRun.ms) : '–'} / ` +
        ms(plan.steadyMs ?? plan.makespanMs),
      '',
      `planner: ${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}`,
    ),
    stat(
      'measured first / steady',
      `${hp.firstRun ? ms(hp.firstRun.ms) : '–'} / ` +
        (steadyMedian() ?? (report && hp.firstRun?.report !== report ? ms(report.totalMs) : '–')),
      '',
      'first: compiling the units + the first run; steady: median of the runs after it',
    ),
    stat('cost (plan)', dollars(plan.cost), '', 'device-seconds × price per hour, as planned'),
    stat('cost (run)', report ? dollars(measuredCost(report)) : '–'),
    stat(
      'deadline',
      plan.deadlineMs === undefined ? 'none' : ms(plan.deadlineMs),
      met === undefined ? '' : met ? 'good' : 'bad',
      met === undefined ? '' : met ? 'met' : 'missed',
    ),
    stat(
      'plan',
      plan.feasible ? (plan.objective === 'cost' ? 'cheapest' : 'fastest') : 'infeasible',
      plan.feasible ? '' : 'bad',
      plan.reason ?? `${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}`,
    ),
    stat(
      'transfers',
      report
        ? report.transfers.length
          ? `${report.transfers.length} · ${bytes(report.transfers.reduce((a, t) => a + t.bytes, 0))}`
          : 'none'
        : plan.transfers.length
          ? `${plan.transfers.length} planned`
          : 'none',
    ),
    stat('fallbacks', report ? String(report.fallbacks.length) : '–', report?.fallbacks.length ? 'bad' : ''),
  );
  const kinds = hp.devices.map((d) => ({ id: d.device.id, kind: d.device.kind }));
  drawPlanGraph(
    el.graph,
    {
      ...hp,
      plan,
      placed: hp.placed,
      devices: hp.devices,
      lastRunPlan: report ? plan : undefined,
      lastReport: report,
    } as HeteroPrepared,
    hp.devices.find((d) => d.device.kind === 'reference')?.device.id ?? 'cpu',
    session.graph.outputs,
  );
  drawTimeline(el.timeline, plan, report, kinds);
  const measured = new Map((report?.units ?? []).map((u) => [u.unit, u]));
  clear(
    el.units,
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['unit', 'device', 'planned', 'measured', 'why'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        plan.assignments
          .filter((a) => !a.task.startsWith('@'))
          .map((a) => {
            const m = measured.get(a.task);
            const kind = kinds.find((k) => k.id === a.device)?.kind;
            return h(
              'tr',
              { 'data-unit': a.task },
              h('td', {}, h('code', {}, a.task)),
              h(
                'td',
                {},
                h('i', { class: 'dot', style: `background:${deviceColor(a.device, kind)}` }),
                a.device,
                m && m.device !== a.device ? h('span', { class: 'badge no' }, `ran on ${m.device}`) : null,
              ),
              h('td', { class: 'num' }, ms(a.endMs - a.startMs)),
              h('td', { class: 'num' }, m ? ms(m.endMs - m.startMs) : '–'),
              h('td', { class: 'why-cell' }, a.reason),
            );
          }),
      ),
    ),
    report?.fallbacks.length
      ? h(
          'ul',
          { class: 'notes bad' },
          report.fallbacks.map((f) => h('li', {}, `fallback: ${f.unit} ${f.from} → ${f.to}: ${f.reason}`)),
        )
      : null,
    hp.plan !== plan
      ? h(
          'p',
          { class: 'muted small' },
          `The next run uses a new plan (${hp.notes[hp.notes.length - 1] ?? 're-planned'}).`,
        )
      : null,
  );
  clear(el.engine, engineDevices(hp.devices, hp.notes));
}

async function refreshRemote(): Promise<void> {
  if (!config.remoteUrl) {
    remoteProbe = undefined;
    clear(el.devRemote, remoteBody(undefined));
    return;
  }
  clear(el.devRemote, h('div', { class: 'muted' }, `asking ${config.remoteUrl}…`));
  remoteProbe = await probeRemote(config.remoteUrl, config.token);
  clear(el.devRemote, remoteBody(remoteProbe, config.devices.remote));
}

// ---------- start ----------
window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

async function start(): Promise<void> {
  layout({
    prepare,
    replanSoon,
    selectModel,
    run,
    downloadTrace,
    loadDropped,
    refreshRemote,
    remoteProbe: () => remoteProbe,
    wasmProbe,
  });
  for (const e of examples)
    el.modelSelect.append(
      h(
        'option',
        { value: e.file, selected: e.file === config.model },
        `${CATALOG[e.file]?.title ?? e.file} (${bytes(e.bytes)})`,
      ),
    );
  for (const a of agents)
    el.modelSelect.append(
      h(
        'option',
        { value: `agent:${a.id}`, selected: `agent:${a.id}` === config.model },
        `${a.id === 'rag' ? 'RAG agent' : a.id} (example agent graph)`,
      ),
    );
  if (params.get('question') !== null) agentPanel.question.value = params.get('question')!;
  clear(el.devWasm, wasmBody(wasmProbe));
  clear(el.devGpu, gpuBody(undefined));
  const missing = (['wasm', 'webgpu', 'remote'] as const).filter((k) => !backendNames().includes(k));
  if (missing.length) status(`this build has no ${missing.join(', ')} backend yet`, 'info');
  await Promise.all([
    probeGpu().then((p) => {
      gpuProbe = p;
      clear(el.devGpu, gpuBody(p));
    }),
    refreshRemote(),
  ]);
  if (!examples.length && !agentOf(config.model)) {
    showError(new Error('no example models were bundled: run `node dist/scripts/make-examples.js`'));
    return;
  }
  await selectModel();
}

// hooks for the end-to-end tests (and the console): configure, run, read results
declare global {
  interface Window {
    demo: unknown;
  }
}
window.demo = {
  ready: false,
  async configure(c: Partial<Config>) {
    Object.assign(config, c, c.devices ? { devices: { ...config.devices, ...c.devices } } : {});
    for (const k of ['wasm', 'webgpu', 'remote'] as const)
      (document.getElementById(`use-${k}`) as HTMLInputElement).checked = config.devices[k];
    el.remoteUrl.value = config.remoteUrl;
    el.token.value = config.token;
    el.modelSelect.value = config.model;
    el.useDeadline.checked = config.useDeadline;
    el.deadlineNum.value = String(config.deadlineMs);
    (document.querySelector(`input[name=objective][value=${config.objective}]`) as HTMLInputElement).checked = true;
    el.ttft.value = String(config.ttftMs);
    el.tpot.value = String(config.tpotMs);
    syncSlaKind();
    if (c.remoteUrl !== undefined || c.token !== undefined) await refreshRemote();
    if (c.model !== undefined) await selectModel();
    else await prepare();
    if (!el.error.hidden) throw new Error(el.error.textContent ?? 'error');
  },
  run: () => run(),
  replan: async (p: Partial<Config>) => {
    Object.assign(config, p);
    await replan();
    return hp?.plan;
  },
  get result() {
    return lastResult;
  },
  /** The last agent run: answer, token events, per-node records, TTFT/TPOT against the SLA. */
  get agent() {
    return agentPanel.last;
  },
  get agentPlan() {
    const ap = agentPanel.plan;
    return (
      ap && {
        feasible: ap.plan.feasible,
        reason: ap.plan.reason,
        placement: Object.fromEntries(ap.placement),
        llm: Object.fromEntries(ap.llm),
      }
    );
  },
  get busy() {
    return busy;
  },
  get plan() {
    return hp?.plan;
  },
  get devices() {
    return hp?.devices.map((d) => ({ id: d.device.id, kind: d.device.kind, profile: d.profile }));
  },
  get notes() {
    return hp?.notes;
  },
  get probes() {
    return { gpu: gpuProbe, wasm: wasmProbe, remote: remoteProbe };
  },
  get error() {
    return el.error.hidden ? undefined : el.error.textContent;
  },
  get outputs() {
    return lastOutputs && Object.keys(lastOutputs);
  },
};

start().then(
  () => {
    (window.demo as { ready: boolean }).ready = true;
  },
  (e) => {
    showError(e);
    (window.demo as { ready: boolean }).ready = true;
  },
);
