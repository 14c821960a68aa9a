// The Switchyard demo page: pick a model, see the devices, set the SLA, see the plan and the
// timeline, run, and download the trace. Everything runs in this tab (and on the offload server
// when one is configured); nothing is sent anywhere else.

import '../../src/index.js';
import examples, { agents } from 'virtual:examples';
import { importOnnx } from '../../src/frontend/onnx/import.js';
import type { Policy } from '../../src/planner/problem.js';
import { backendNames } from '../../src/runtime/backend.js';
import type { DeviceSpec } from '../../src/runtime/devices.js';
import { Session, type SessionOptions } from '../../src/runtime/session.js';
import { CATALOG, describeModel } from './catalog.js';
import { agentOf, config, params } from './config.js';
import { gpuBody, remoteBody, wasmBody } from './devices-panel.js';
import { bytes, clear, h, ms } from './dom.js';
import { el } from './elements.js';
import { card, layout, syncSlaKind } from './layout.js';
import { hideError, showError, status } from './messages.js';
import { probeGpu, probeRemote } from './probe.js';
import { render } from './render.js';
import { downloadTrace, run } from './run.js';
import { agentPanel, state } from './state.js';
import { historyStore, profileStore } from './stores.js';
import { installTestHooks } from './test-hooks.js';

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
    const file = state.dropped.get(config.model);
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
    state.modelBytes = bytes;
    state.modelName = name;
    state.loadedModel = config.model;
    clear(el.modelInfo, describeModel(g, bytes.byteLength, CATALOG[name]));
    await prepare();
  } catch (e) {
    // keep the model that works: put the picker back and drop the file that failed
    if (config.model.startsWith('dropped:')) {
      state.dropped.delete(config.model);
      el.modelSelect.querySelector(`option[value="${CSS.escape(config.model)}"]`)?.remove();
    }
    if (state.loadedModel && state.loadedModel !== config.model) {
      config.model = state.loadedModel;
      el.modelSelect.value = state.loadedModel;
    }
    showError(e);
  }
}

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
  const seq = ++state.prepareSeq;
  el.runBtn.disabled = true;
  el.traceBtn.disabled = true;
  const old = state.session;
  state.session = undefined;
  state.hp = undefined;
  state.view = undefined;
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
    if (seq !== state.prepareSeq) return;
    state.loadedModel = config.model;
    el.runBtn.disabled = false;
    if (params.get('autorun') === '1' && seq === 1) await run();
  } catch (e) {
    if (seq !== state.prepareSeq) return;
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
  state.dropped.set(id, { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
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
  if (config.devices.wasm) specs.push({ kind: 'wasm', threads: state.wasmProbe.threads });
  if (config.devices.remote && config.remoteUrl)
    specs.push({ kind: 'remote', url: config.remoteUrl, token: config.token || undefined });
  return specs;
}

async function prepare(): Promise<void> {
  if (agentOf(config.model)) {
    await selectAgent();
    return;
  }
  if (!state.modelBytes) return;
  const seq = ++state.prepareSeq;
  hideError();
  el.runBtn.disabled = true;
  const old = state.session;
  state.session = undefined;
  state.hp = undefined;
  state.view = undefined;
  state.lastOutputs = undefined;
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
    const s = await Session.create(state.modelBytes.slice(), options);
    if (seq !== state.prepareSeq) {
      await s.release();
      return;
    }
    state.session = s;
    state.hp = s.hetero!;
    state.view = { plan: state.hp.plan };
    el.progress.hidden = true;
    status(`planned in ${ms(performance.now() - t0)} on ${state.hp.devices.map((d) => d.device.id).join(', ')}`, 'ok');
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
    if (seq !== state.prepareSeq) return;
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
  if (!state.hp) return;
  hideError();
  const t0 = performance.now();
  try {
    await state.hp.setPolicy(policy());
    state.view = { plan: state.hp.plan };
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

async function refreshRemote(): Promise<void> {
  if (!config.remoteUrl) {
    state.remoteProbe = undefined;
    clear(el.devRemote, remoteBody(undefined));
    return;
  }
  clear(el.devRemote, h('div', { class: 'muted' }, `asking ${config.remoteUrl}…`));
  state.remoteProbe = await probeRemote(config.remoteUrl, config.token);
  clear(el.devRemote, remoteBody(state.remoteProbe, config.devices.remote));
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
    remoteProbe: () => state.remoteProbe,
    wasmProbe: state.wasmProbe,
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
  clear(el.devWasm, wasmBody(state.wasmProbe));
  clear(el.devGpu, gpuBody(undefined));
  const missing = (['wasm', 'webgpu', 'remote'] as const).filter((k) => !backendNames().includes(k));
  if (missing.length) status(`this build has no ${missing.join(', ')} backend yet`, 'info');
  await Promise.all([
    probeGpu().then((p) => {
      state.gpuProbe = p;
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

installTestHooks({ selectModel, prepare, replan, refreshRemote });

start().then(
  () => {
    (window.demo as { ready: boolean }).ready = true;
  },
  (e) => {
    showError(e);
    (window.demo as { ready: boolean }).ready = true;
  },
);
