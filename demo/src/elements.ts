// The page's elements that the code reads or fills (inputs, buttons, result hosts), made once.

import { config } from './config.js';
import { h } from './dom.js';

export const el = {
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
