// The page's shared state: the model loaded, the prepared session and its plan, the last run,
// the device probes, and the agent panel. The modules of the page read and write it here.

import type { Tensor } from '../../src/ir/tensor.js';
import type { Plan } from '../../src/planner/plan.js';
import type { HeteroPrepared } from '../../src/runtime/auto-backend.js';
import type { RunReport } from '../../src/runtime/executor.js';
import type { Session } from '../../src/runtime/session.js';
import { AgentPanel } from './agent-panel.js';
import type { RunResult } from './config.js';
import { el } from './elements.js';
import { status } from './messages.js';
import { type GpuProbe, probeWasm, type RemoteProbe, type WasmProbe } from './probe.js';

export const state: {
  modelBytes?: Uint8Array;
  modelName: string;
  /** The model the page last loaded successfully: a file that fails to load leaves it in place. */
  loadedModel?: string;
  dropped: Map<string, { name: string; bytes: Uint8Array }>;
  session?: Session;
  hp?: HeteroPrepared;
  view?: { plan: Plan; report?: RunReport };
  lastOutputs?: Record<string, Tensor>;
  lastResult?: RunResult;
  gpuProbe?: GpuProbe;
  remoteProbe?: RemoteProbe;
  wasmProbe: WasmProbe;
  busy: boolean;
  prepareSeq: number;
} = {
  modelName: '',
  dropped: new Map(),
  wasmProbe: probeWasm(),
  busy: false,
  prepareSeq: 0,
};

// ---------- agent graphs ----------
export const agentPanel = new AgentPanel({
  status,
  progress: (done, total, step) => {
    el.progress.hidden = done >= total;
    el.progress.max = total;
    el.progress.value = done;
    status(`calibrating: ${step} (${done}/${total})`, 'busy');
  },
});
