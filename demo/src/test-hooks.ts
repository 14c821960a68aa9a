// Hooks for the end-to-end tests (and the console) on window.demo: configure, run, read results.

import { type Config, config } from './config.js';
import { el } from './elements.js';
import { syncSlaKind } from './layout.js';
import { run } from './run.js';
import { agentPanel, state } from './state.js';

declare global {
  interface Window {
    demo: unknown;
  }
}

/** What the hooks call back into the page for. */
export interface PageActions {
  selectModel(): Promise<void>;
  prepare(): Promise<void>;
  replan(): Promise<void>;
  refreshRemote(): Promise<void>;
}

export function installTestHooks(page: PageActions): void {
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
      if (c.remoteUrl !== undefined || c.token !== undefined) await page.refreshRemote();
      if (c.model !== undefined) await page.selectModel();
      else await page.prepare();
      if (!el.error.hidden) throw new Error(el.error.textContent ?? 'error');
    },
    run: () => run(),
    replan: async (p: Partial<Config>) => {
      Object.assign(config, p);
      await page.replan();
      return state.hp?.plan;
    },
    get result() {
      return state.lastResult;
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
      return state.busy;
    },
    get plan() {
      return state.hp?.plan;
    },
    get devices() {
      return state.hp?.devices.map((d) => ({ id: d.device.id, kind: d.device.kind, profile: d.profile }));
    },
    get notes() {
      return state.hp?.notes;
    },
    get probes() {
      return { gpu: state.gpuProbe, wasm: state.wasmProbe, remote: state.remoteProbe };
    },
    get error() {
      return el.error.hidden ? undefined : el.error.textContent;
    },
    get outputs() {
      return state.lastOutputs && Object.keys(state.lastOutputs);
    },
  };
}
