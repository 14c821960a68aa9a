// The page's layout: the sidebar (model, devices, SLA, objective), the toolbar and the result cards,
// with their controls wired to the actions main.ts gives (prepare, re-plan, run, ...).

import { deviceColor } from './colors.js';
import { agentOf, config, type Kind } from './config.js';
import { remoteBody } from './devices-panel.js';
import { clear, h } from './dom.js';
import { el } from './elements.js';
import { showError } from './messages.js';
import type { RemoteProbe, WasmProbe } from './probe.js';
import { forgetMachine } from './stores.js';

/** What the controls do (main.ts owns the state they act on). */
export interface PageActions {
  prepare(): Promise<void>;
  replanSoon(): void;
  selectModel(): Promise<void>;
  run(): Promise<unknown>;
  downloadTrace(): void;
  loadDropped(f: File): Promise<void>;
  refreshRemote(): Promise<void>;
  remoteProbe(): RemoteProbe | undefined;
  wasmProbe: WasmProbe;
}

let actions: PageActions;

export function card(title: string, body: Node, extra?: Node): HTMLElement {
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
            if (kind === 'remote') clear(el.devRemote, remoteBody(actions.remoteProbe(), config.devices.remote));
            void actions.prepare();
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

/** Build the page, wiring its controls to `a`. */
export function layout(a: PageActions): void {
  actions = a;
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
            actions.replanSoon();
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
      actions.replanSoon();
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
      actions.replanSoon();
    }
  });
  el.tpot.addEventListener('change', () => {
    const v = Number(el.tpot.value);
    if (v > 0) {
      config.tpotMs = v;
      actions.replanSoon();
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
    actions.replanSoon();
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
    actions.replanSoon();
  });
  el.modelSelect.addEventListener('change', () => {
    config.model = el.modelSelect.value;
    void actions.selectModel();
  });
  el.runBtn.addEventListener('click', () => {
    void actions.run().catch(showError);
  });
  el.traceBtn.addEventListener('click', () => actions.downloadTrace());
  const applyRemote = () => {
    config.remoteUrl = el.remoteUrl.value.trim();
    config.token = el.token.value;
    void actions.refreshRemote().then(() => {
      if (config.devices.remote) void actions.prepare();
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
      if (f) void actions.loadDropped(f);
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
    if (f) void actions.loadDropped(f);
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
              void actions.prepare();
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
          class: `badge ${actions.wasmProbe.isolated ? 'ok' : 'warn'}`,
          id: 'isolation',
          title: 'COOP/COEP: SharedArrayBuffer for WASM threads',
        },
        actions.wasmProbe.isolated ? 'cross-origin isolated' : 'not isolated',
      ),
      h('span', { class: 'badge' }, `${actions.wasmProbe.cores} cores`),
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
export function syncSlaKind(): void {
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
    '<path d="M1 13 H9 L15 3 H23 M9 13 H23" stroke="#60a5fa" stroke-width="2.2" fill="none" ' +
    'stroke-linecap="round" stroke-linejoin="round"/>';
  return svg;
}
