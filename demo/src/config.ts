// The demo page's settings, from the URL (and the dev server's environment): the model picked,
// the devices used, the remote server, the SLA (a deadline, or TTFT/TPOT for agent graphs).

import { agents, default as examples } from 'virtual:examples';
import type { Plan } from '../../src/planner/plan.js';
import type { RunReport } from '../../src/runtime/executor.js';

export type Kind = 'wasm' | 'webgpu' | 'remote';

export interface Config {
  model: string;
  devices: Record<Kind, boolean>;
  remoteUrl: string;
  token: string;
  deadlineMs: number;
  useDeadline: boolean;
  objective: 'latency' | 'cost';
  /** Units only on the checked devices (policy.allow); the host still holds inputs and outputs. */
  exclusive: boolean;
  seed: number;
  /** Agent graphs: which SLA the TTFT/TPOT inputs set, and their targets. */
  slaKind: 'deadline' | 'tokens';
  ttftMs: number;
  tpotMs: number;
}

export interface RunResult {
  outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
  devicesUsed: string[];
  report: RunReport;
  plan: Plan;
  fallbacks: { unit: string; from: string; to: string; reason: string }[];
  notes: string[];
  wallMs: number;
}

export const params = new URLSearchParams(location.search);
const env = import.meta.env as Record<string, string | undefined>;
export const config: Config = {
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
  exclusive: params.has('exclusive'),
  seed: Number(params.get('seed') ?? 1),
  slaKind:
    params.has('ttft') || params.has('tpot') || (params.get('model') ?? '').startsWith('agent:')
      ? 'tokens'
      : 'deadline',
  ttftMs: Number(params.get('ttft') ?? 3000),
  tpotMs: Number(params.get('tpot') ?? 250),
};
/** Picker values of agent graphs are 'agent:<id>' ('agent:rag' is examples/agent/rag.yaml). */
export const agentOf = (model: string) =>
  model.startsWith('agent:') ? agents.find((a) => `agent:${a.id}` === model) : undefined;
