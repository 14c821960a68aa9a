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
import { engineDevices, gpuBody, remoteBody, wasmBody } from './devices-panel.js';
import { bytes, clear, dollars, h, ms } from './dom.js';
import { numbers, outputCard } from './outputs.js';
import { drawPlanGraph } from './plan-graph.js';
import { type GpuProbe, probeGpu, probeRemote, probeWasm, type RemoteProbe } from './probe.js';
import { forgetMachine, historyStore, profileStore } from './stores.js';
import { drawTimeline } from './timeline.js';

type Kind = 'wasm' | 'webgpu' | 'remote';

interface Config {
  model: string;
  devices: Record<Kind, boolean>;
  remoteUrl: string;
  token: string;
  deadlineMs: number;
  useDeadline: boolean;
  objective: 'latency' | 'cost';
  seed: number;
  /** Agent graphs: which SLA the TTFT/TPOT inputs set, and their targets. */
  slaKind: 'deadline' | 'tokens';
  ttftMs: number;
  tpotMs: number;
}

interface RunResult {
  outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
  devicesUsed: string[];
  report: RunReport;
  plan: Plan;
  fallbacks: { unit: string; from: string; to: string; reason: string }[];
  notes: string[];
  wallMs: number;
}

const params = new URLSearchParams(location.search);
const env = import.meta.env as Record<string, string | undefined>;
const config: Config = {
  model:
    params.get('model') ??
    (examples.some((e) => e.file === 'two-tower.onnx') ? 'two-tower.onnx' : (examples[0]?.file ?? '')),
  devices: {
    wasm: params.has('devices') ? params.get('devices')!.split(',').includes('wasm') : true,
    webgpu: params.has('devices') ? params.get('devices')!.split(',').includes('webgpu') : true,
    remote: params.has('devices')
      ? params.get('devices')!.split(',').includes('remote')
      : !!(params.get('remote') ?? env.VITE_SWITCHYARD_REMOTE),
  },
  remoteUrl: params.get('remote') ?? env.VITE_SWITCHYARD_REMOTE ?? 'http://127.0.0.1:8787',
  token: params.get('token') ?? env.VITE_SWITCHYARD_TOKEN ?? '',
  deadlineMs: Number(params.get('deadline') ?? 50),
  useDeadline: params.has('deadline') || params.get('objective') === 'cost',
  objective: params.get('objective') === 'cost' ? 'cost' : 'latency',
  seed: Number(params.get('seed') ?? 1),
  slaKind:
    params.has('ttft') || params.has('tpot') || (params.get('model') ?? '').startsWith('agent:')
      ? 'tokens'
      : 'deadline',
  ttftMs: Number(params.get('ttft') ?? 3000),
  tpotMs: Number(params.get('tpot') ?? 250),
};
/** Picker values of agent graphs are 'agent:<id>' ('agent:rag' is examples/agent/rag.yaml). */
const agentOf = (model: string) =>
  model.startsWith('agent:') ? agents.find((a) => `agent:${a.id}` === model) : undefined;

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

// ---------- layout ----------
const el = {
  status: h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }),
  error: h('div', { class: 'error', role: 'alert', hidden: true }),
  modelSelect: h('select', { id: 'model', 'aria-label': 'model' }),
  modelInfo: h('div', { class: 'model-info' }),
  drop: h('label', { class: 'drop', tabindex: 0 }),
  devGpu: h('div', {}),
  devWasm: h('div', {}),
  devRemote: h('div', {}),
  remoteUrl: h('input', { type: 'url', id: 'remote-url', value: config.remoteUrl, spellcheck: 'false' }),
  token: h('input', {
    type: 'password',
    id: 'remote-token',
    value: config.token,
    placeholder: 'bearer token',
    autocomplete: 'off',
  }),
  deadline: h('input', { type: 'range', id: 'deadline', min: 1, max: 500, step: 1, value: config.deadlineMs }),
  deadlineNum: h('input', { type: 'number', id: 'deadline-ms', min: 0.1, step: 0.1, value: config.deadlineMs }),
  useDeadline: h('input', { type: 'checkbox', id: 'use-deadline', checked: config.useDeadline }),
  ttft: h('input', {
    type: 'number',
    id: 'ttft-ms',
    min: 1,
    step: 1,
    value: config.ttftMs,
    'aria-label': 'TTFT target (ms)',
  }),
  tpot: h('input', {
    type: 'number',
    id: 'tpot-ms',
    min: 0.1,
    step: 0.1,
    value: config.tpotMs,
    'aria-label': 'TPOT target (ms)',
  }),
  tokenSla: h('div', { class: 'token-sla', hidden: true }),
  slaTokens: h('input', { type: 'radio', name: 'sla', value: 'tokens', disabled: true }),
  slaDeadline: h('input', { type: 'radio', name: 'sla', value: 'deadline', checked: true }),
  agentCard: h('div', {}),
  runBtn: h('button', { id: 'run', class: 'primary', disabled: true }, 'Run'),
  traceBtn: h(
    'button',
    { id: 'trace', disabled: true, title: 'Chrome trace-event JSON: open it in ui.perfetto.dev' },
    'Download trace',
  ),
  summary: h('div', { class: 'summary' }),
  graph: h('div', { class: 'graph-host' }),
  timeline: h('div', { class: 'timeline-host' }),
  outputs: h('div', { class: 'outputs' }),
  units: h('div', { class: 'units' }),
  engine: h('div', {}),
  progress: h('progress', { max: 1, value: 0, hidden: true }),
};

function card(title: string, body: Node, extra?: Node): HTMLElement {
  return h('section', { class: 'card' }, h('header', {}, h('h2', {}, title), extra ?? null), body);
}

function deviceToggle(kind: Kind | 'cpu', title: string, body: HTMLElement, extra?: Node): HTMLElement {
  const color = deviceColor(kind === 'cpu' ? 'cpu' : kind, kind === 'cpu' ? 'reference' : kind);
  const box =
    kind === 'cpu'
      ? h('input', {
          type: 'checkbox',
          checked: true,
          disabled: true,
          title: 'the host always takes part: inputs arrive and outputs leave here',
        })
      : h('input', {
          type: 'checkbox',
          id: `use-${kind}`,
          checked: config.devices[kind],
          onchange: (e: Event) => {
            config.devices[kind] = (e.target as HTMLInputElement).checked;
            if (kind === 'remote') clear(el.devRemote, remoteBody(remoteProbe, config.devices.remote));
            void prepare();
          },
        });
  return h(
    'div',
    { class: 'device', 'data-kind': kind },
    h(
      'label',
      { class: 'device-head' },
      box,
      h('i', { class: 'dot', style: `background:${color}` }),
      h('b', {}, title),
    ),
    body,
    extra ?? null,
  );
}

function layout(): void {
  const objective = h(
    'div',
    { class: 'segmented', role: 'radiogroup', 'aria-label': 'objective' },
    (['latency', 'cost'] as const).map((o) =>
      h(
        'label',
        {},
        h('input', {
          type: 'radio',
          name: 'objective',
          value: o,
          checked: config.objective === o,
          onchange: () => {
            config.objective = o;
            if (o === 'cost') {
              config.useDeadline = true;
              el.useDeadline.checked = true;
            }
            replanSoon();
          },
        }),
        h('span', {}, o === 'latency' ? 'Fastest' : 'Cheapest within SLA'),
      ),
    ),
  );
  const slaMode = h(
    'div',
    { class: 'segmented small', role: 'radiogroup', 'aria-label': 'SLA kind' },
    h('label', {}, el.slaDeadline, h('span', {}, 'Deadline')),
    h(
      'label',
      {
        id: 'sla-tokens-label',
        title: 'TTFT/TPOT targets apply to the LLM nodes of agent graphs: pick an agent graph',
      },
      el.slaTokens,
      h('span', {}, 'TTFT / TPOT'),
    ),
  );
  for (const r of [el.slaDeadline, el.slaTokens])
    r.addEventListener('change', () => {
      config.slaKind = el.slaTokens.checked ? 'tokens' : 'deadline';
      syncSlaKind();
      replanSoon();
    });
  clear(
    el.tokenSla,
    h('label', { class: 'num-input' }, 'TTFT ', el.ttft, 'ms'),
    h('label', { class: 'num-input' }, 'TPOT ', el.tpot, 'ms'),
  );
  el.ttft.addEventListener('change', () => {
    const v = Number(el.ttft.value);
    if (v > 0) {
      config.ttftMs = v;
      replanSoon();
    }
  });
  el.tpot.addEventListener('change', () => {
    const v = Number(el.tpot.value);
    if (v > 0) {
      config.tpotMs = v;
      replanSoon();
    }
  });
  const syncDeadline = (v: number) => {
    config.deadlineMs = v;
    el.deadline.value = String(Math.min(Number(el.deadline.max), v));
    el.deadlineNum.value = String(v);
    if (!config.useDeadline) {
      config.useDeadline = true;
      el.useDeadline.checked = true;
    }
    replanSoon();
  };
  el.deadline.addEventListener('input', () => syncDeadline(Number(el.deadline.value)));
  el.deadlineNum.addEventListener('change', () => {
    const v = Number(el.deadlineNum.value);
    if (v > 0) syncDeadline(v);
  });
  el.useDeadline.addEventListener('change', () => {
    config.useDeadline = el.useDeadline.checked;
    if (!config.useDeadline && config.objective === 'cost') {
      config.objective = 'latency';
      (document.querySelector('input[name=objective][value=latency]') as HTMLInputElement).checked = true;
    }
    replanSoon();
  });
  el.modelSelect.addEventListener('change', () => {
    config.model = el.modelSelect.value;
    void selectModel();
  });
  el.runBtn.addEventListener('click', () => {
    void run().catch(showError);
  });
  el.traceBtn.addEventListener('click', downloadTrace);
  const applyRemote = () => {
    config.remoteUrl = el.remoteUrl.value.trim();
    config.token = el.token.value;
    void refreshRemote().then(() => {
      if (config.devices.remote) void prepare();
    });
  };
  el.remoteUrl.addEventListener('change', applyRemote);
  el.token.addEventListener('change', applyRemote);

  const fileInput = h('input', {
    type: 'file',
    accept: '.onnx',
    hidden: true,
    onchange: (e: Event) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f) void loadDropped(f);
    },
  });
  clear(
    el.drop,
    fileInput,
    h('span', {}, 'Drop an ', h('code', {}, '.onnx'), ' file here or ', h('u', {}, 'choose one')),
  );
  el.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.drop.classList.add('over');
  });
  el.drop.addEventListener('dragleave', () => el.drop.classList.remove('over'));
  el.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    el.drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void loadDropped(f);
  });

  const sidebar = h(
    'aside',
    { class: 'sidebar' },
    card('Model', h('div', {}, el.modelSelect, el.drop, el.modelInfo)),
    card(
      'Devices',
      h(
        'div',
        { class: 'devices' },
        deviceToggle(
          'cpu',
          'JavaScript (host)',
          h(
            'div',
            { class: 'muted small' },
            'reference interpreter on the main thread: the host, and the fallback of last resort',
          ),
        ),
        deviceToggle('webgpu', 'WebGPU', el.devGpu),
        deviceToggle('wasm', 'WASM SIMD', el.devWasm),
        deviceToggle(
          'remote',
          'Offload server',
          el.devRemote,
          h('div', { class: 'remote-fields' }, el.remoteUrl, el.token),
        ),
      ),
    ),
    card(
      'Service level',
      h(
        'div',
        { class: 'sla' },
        slaMode,
        h('label', { class: 'check' }, el.useDeadline, 'End-to-end deadline'),
        h('div', { class: 'deadline-row' }, el.deadline, h('span', { class: 'num-input' }, el.deadlineNum, 'ms')),
        el.tokenSla,
        h('div', { class: 'label' }, 'Objective'),
        objective,
        h(
          'p',
          { class: 'muted small' },
          'Changing the SLA re-plans at once, with the same devices and what they have measured so far.',
        ),
      ),
    ),
  );
  const main = h(
    'main',
    { class: 'content' },
    h('div', { class: 'toolbar' }, el.runBtn, el.traceBtn, el.progress, el.status),
    el.error,
    el.summary,
    onnxOnly(
      card(
        'Plan',
        el.graph,
        h(
          'span',
          { class: 'muted small' },
          'units coloured by device · red dashed edges are transfers · hover for the reason',
        ),
      ),
    ),
    onnxOnly(
      card('Timeline', el.timeline, h('span', { class: 'muted small' }, 'per device: planned above, measured below')),
    ),
    onnxOnly(h('div', { class: 'two-col' }, card('Outputs', el.outputs), card('Placement', el.units))),
    el.agentCard,
    onnxOnly(
      card(
        'Devices the planner sees',
        el.engine,
        h(
          'button',
          {
            class: 'link small',
            onclick: () => {
              forgetMachine();
              void prepare();
            },
            title: 'drop cached calibration and measured kernel times',
          },
          'forget this machine',
        ),
      ),
    ),
  );
  const header = h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, logo()),
      h('b', {}, 'Switchyard'),
      h('span', { class: 'tag' }, 'plan · place · run across WebGPU, WASM and remote accelerators'),
    ),
    h(
      'div',
      { class: 'env' },
      h(
        'span',
        {
          class: `badge ${wasmProbe.isolated ? 'ok' : 'warn'}`,
          id: 'isolation',
          title: 'COOP/COEP: SharedArrayBuffer for WASM threads',
        },
        wasmProbe.isolated ? 'cross-origin isolated' : 'not isolated',
      ),
      h('span', { class: 'badge' }, `${wasmProbe.cores} cores`),
      h('a', { href: 'https://ui.perfetto.dev', target: '_blank', rel: 'noopener' }, 'Perfetto ↗'),
    ),
  );
  clear(document.getElementById('app')!, header, h('div', { class: 'layout' }, sidebar, main));
}

/** Cards of the ONNX mode, hidden while an agent graph is picked. */
function onnxOnly(e: HTMLElement): HTMLElement {
  e.classList.add('onnx-only');
  return e;
}

/** TTFT/TPOT only mean something for agent graphs: enable them (and show their inputs) there. */
function syncSlaKind(): void {
  const agent = !!agentOf(config.model);
  el.slaTokens.disabled = !agent;
  document.getElementById('sla-tokens-label')!.title = agent
    ? 'targets for the LLM nodes: time to first token and time per output token'
    : 'TTFT/TPOT targets apply to the LLM nodes of agent graphs: pick an agent graph';
  if (!agent && config.slaKind === 'tokens') config.slaKind = 'deadline';
  el.slaTokens.checked = config.slaKind === 'tokens';
  el.slaDeadline.checked = config.slaKind === 'deadline';
  el.tokenSla.hidden = config.slaKind !== 'tokens';
  document.body.classList.toggle('agent-mode', agent);
}

function logo(): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 16');
  svg.setAttribute('width', '24');
  svg.setAttribute('height', '16');
  svg.innerHTML =
    '<path d="M1 13 H9 L15 3 H23 M9 13 H23" stroke="#60a5fa" stroke-width="2.2" fill="none" stroke-linecap="round" stroke-linejoin="round"/>';
  return svg;
}

// ---------- messages ----------
function status(text: string, kind: 'info' | 'busy' | 'ok' = 'info'): void {
  el.status.className = `status ${kind}`;
  el.status.textContent = text;
}

function readable(e: unknown): { title: string; detail: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const m = err.message || String(err);
  const first = m.split('\n')[0]!;
  let title = 'Something went wrong';
  if (/no plan|infeasible|deadline|exceeds (TTFT|TPOT)|misses (TTFT|TPOT)/i.test(m))
    title = 'No plan meets this service level';
  else if (/\.ya?ml\b|agent graph|tool '|node '/i.test(m)) title = 'The agent graph failed';
  else if (/onnx|protobuf|model|opset|import/i.test(m)) title = 'This model could not be loaded';
  else if (/device|adapter|gpu|worker|remote|fetch|network/i.test(m)) title = 'A device failed';
  return { title, detail: first + (m.includes('\n') ? `\n${m.slice(first.length + 1)}` : '') };
}

function showError(e: unknown): void {
  const { title, detail } = readable(e);
  console.warn(e); // shown on the page; a warning so that tests can tell it from an unexpected error
  clear(
    el.error,
    h('b', {}, title),
    h('div', { class: 'error-detail' }, detail),
    h(
      'button',
      {
        class: 'link small',
        onclick: () => {
          el.error.hidden = true;
        },
      },
      'dismiss',
    ),
  );
  el.error.hidden = false;
  status(title, 'info');
}
const hideError = () => {
  el.error.hidden = true;
};

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
    h('p', { class: 'small' }, `Agent graph ${a.file}: filter → embed → retrieve, a tool, and a streamed LLM answer.`),
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
  return { objective: config.objective, ...(config.useDeadline ? { deadlineMs: config.deadlineMs } : {}) };
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
        `re-planned: ${ap.plan.feasible ? 'feasible' : `infeasible (${ap.plan.reason})`}; TTFT ${config.slaKind === 'tokens' ? ms(config.ttftMs) : 'graph default'}, TPOT ${config.slaKind === 'tokens' ? ms(config.tpotMs) : 'graph default'}`,
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
      `re-planned in ${ms(performance.now() - t0)}: ${config.objective}${config.useDeadline ? `, deadline ${ms(config.deadlineMs)}` : ''}`,
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
      `ran in ${ms(wallMs)} on ${used.join(' + ') || 'the host'}${report.fallbacks.length ? ` — ${report.fallbacks.length} fallback(s)` : ''}`,
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
  const xs = (hp?.steadyReports ?? []).map((r) => r.totalMs).sort((a, b) => a - b);
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
      `${plan.firstRun ? ms(hp.firstRun?.plan.firstRun?.ms ?? plan.firstRun.ms) : '–'} / ${ms(plan.steadyMs ?? plan.makespanMs)}`,
      '',
      `planner: ${plan.algorithm}${plan.optimal ? ' (optimal)' : ''}`,
    ),
    stat(
      'measured first / steady',
      `${hp.firstRun ? ms(hp.firstRun.ms) : '–'} / ${steadyMedian() ?? (report && hp.firstRun?.report !== report ? ms(report.totalMs) : '–')}`,
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
  layout();
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
