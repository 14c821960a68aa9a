// Derived fleet input: from a model (parameters, layers, KV size), a prompt/output length mix,
// TTFT and TPOT targets and the hardware catalog, the roofline model sizes what one GPU (or one
// tensor-parallel group) sustains for prefill and for decode separately, so the two phases may
// land on different GPU types (Splitwise). Assumptions, stated once:
//  - prefill may use half the TTFT target (the rest is queueing headroom); decode steps must fit TPOT;
//  - weights take params x bytesPerParam; KV per token as given (or 2 x layers x hidden x bytes);
//  - a replica is the smallest power-of-two group (<= 8) whose memory holds the weights with 20 % spare;
//  - tensor parallelism scales FLOP/s and bandwidth linearly (optimistic for large groups);
//  - the KV transfer between prefill and decode machines is not charged.

import { getProfile } from '../../cost/catalog/index.js';
import type { DeviceProfile } from '../../cost/profile.js';
import type { FleetClass, FleetGpuType, FleetProblem } from './types.js';

export interface ModelSpec {
  name?: string;
  params: number;
  layers: number;
  hiddenSize: number;
  kvBytesPerToken?: number;
  bytesPerParam?: number;
}

export interface MixEntry {
  id: string;
  ratePerS: number;
  promptTokens: number;
  outputTokens: number;
}

export interface DerivedFleetInput {
  model: ModelSpec;
  mix: MixEntry[];
  slo: { ttftMs: number; tpotMs: number };
  /** Catalog ids; default every GPU-class accelerator in the catalog. */
  gpus?: string[];
  available?: Record<string, number>;
  /** Prefill and decode as separate classes (default true). */
  split?: boolean;
  /** Fractions of peak compute and bandwidth reached (default 0.6 and 0.8). */
  efficiency?: { compute?: number; memory?: number };
}

export interface PhaseRate {
  gpu: string;
  tp: number;
  prefillPerS: Record<string, number>;
  decodePerS: Record<string, number>;
  prefillBatch: Record<string, number>;
  decodeBatch: Record<string, number>;
}

export const DEFAULT_FLEET_GPUS = ['A10G', 'L4', 'A100-40GB', 'A100-80GB', 'H100', 'H200', 'B200', 'MI300X', 'Gaudi3'];

const kvPerToken = (m: ModelSpec) => m.kvBytesPerToken ?? 2 * m.layers * m.hiddenSize * (m.bytesPerParam ?? 2);

function tpDegree(m: ModelSpec, p: DeviceProfile): number | undefined {
  const w = m.params * (m.bytesPerParam ?? 2);
  for (const k of [1, 2, 4, 8]) if (w <= 0.8 * k * p.memCapacity.value) return k;
  return undefined;
}

/** Requests/s one replica sustains for prefill and for decode of one mix entry within the SLO. */
export function phaseRates(input: DerivedFleetInput, p: DeviceProfile): PhaseRate | undefined {
  const m = input.model;
  const k = tpDegree(m, p);
  if (!k) return undefined;
  const effC = input.efficiency?.compute ?? 0.6;
  const effM = input.efficiency?.memory ?? 0.8;
  const F = k * (p.peakFlops.f16 ?? p.peakFlops.bf16 ?? p.peakFlops.f32)!.value * effC;
  const B = k * p.memBandwidth.value * effM;
  const M = k * p.memCapacity.value;
  const W = m.params * (m.bytesPerParam ?? 2);
  const kv = kvPerToken(m);
  const overhead = m.layers * 4 * p.launchOverhead.value; // a few kernels per layer per forward pass, seconds
  const out: PhaseRate = { gpu: p.id, tp: k, prefillPerS: {}, decodePerS: {}, prefillBatch: {}, decodeBatch: {} };
  for (const e of input.mix) {
    const P = e.promptTokens,
      O = Math.max(1, e.outputTokens);
    const pf = 2 * m.params * P + 2 * m.layers * P * P * m.hiddenSize;
    const prefill = (b: number) => Math.max((b * pf) / F, (W + b * P * kv) / B) + overhead;
    let bp = 0;
    for (let b = 1; b <= 256; b++) {
      if (prefill(b) > input.slo.ttftMs / 2e3 || W + b * P * kv > 0.9 * M) break;
      bp = b;
    }
    const L = P + O / 2;
    const step = (b: number) =>
      Math.max((b * (2 * m.params + 4 * m.layers * L * m.hiddenSize)) / F, (W + b * L * kv) / B) + overhead;
    let bd = 0;
    for (let b = 1; b <= 1024; b++) {
      if (step(b) > input.slo.tpotMs / 1e3 || W + b * (P + O) * kv > 0.9 * M) break;
      bd = b;
    }
    if (bp) {
      out.prefillPerS[e.id] = bp / prefill(bp);
      out.prefillBatch[e.id] = bp;
    }
    if (bd) {
      out.decodePerS[e.id] = bd / (step(bd) * O);
      out.decodeBatch[e.id] = bd;
    }
  }
  return out;
}

/** Build the abstract fleet problem: one GPU type per replica kind, classes per phase (or per request). */
export function deriveFleet(input: DerivedFleetInput): { problem: FleetProblem; rates: PhaseRate[] } {
  if (!input?.model || !(input.model.params > 0) || !(input.model.layers > 0) || !(input.model.hiddenSize > 0))
    throw new Error('model needs params, layers and hiddenSize > 0');
  if (!Array.isArray(input.mix) || !input.mix.length) throw new Error('mix is missing or empty');
  if (!input.slo || !(input.slo.ttftMs > 0) || !(input.slo.tpotMs > 0))
    throw new Error('slo needs ttftMs and tpotMs > 0');
  const split = input.split !== false;
  const rates: PhaseRate[] = [];
  const gpuTypes: FleetGpuType[] = [];
  for (const id of input.gpus ?? DEFAULT_FLEET_GPUS) {
    const p = getProfile(id);
    const r = phaseRates(input, p);
    if (!r) continue;
    rates.push(r);
    const name = r.tp === 1 ? p.id : `${p.id}x${r.tp}`;
    const avail = input.available?.[p.id];
    gpuTypes.push({
      id: name,
      pricePerHour: Math.round(r.tp * p.pricePerHour.value * 1e6) / 1e6,
      ...(avail !== undefined ? { available: Math.floor(avail / r.tp) } : {}),
    });
  }
  if (!gpuTypes.length)
    throw new Error(`the model (${input.model.params} parameters) fits none of the GPUs, even 8-way`);
  const classes: FleetClass[] = [];
  for (const e of input.mix) {
    const per = (f: (r: PhaseRate) => number | undefined) =>
      Object.fromEntries(
        rates.map((r, i) => [gpuTypes[i]!.id, f(r)]).filter(([, v]) => v !== undefined && (v as number) > 0),
      );
    if (split) {
      classes.push({ id: `${e.id}/prefill`, ratePerS: e.ratePerS, perGpuRatePerS: per((r) => r.prefillPerS[e.id]) });
      classes.push({ id: `${e.id}/decode`, ratePerS: e.ratePerS, perGpuRatePerS: per((r) => r.decodePerS[e.id]) });
    } else {
      // one machine does both phases: its time per request is the sum of both
      classes.push({
        id: e.id,
        ratePerS: e.ratePerS,
        perGpuRatePerS: per((r) =>
          r.prefillPerS[e.id] && r.decodePerS[e.id]
            ? 1 / (1 / r.prefillPerS[e.id]! + 1 / r.decodePerS[e.id]!)
            : undefined,
        ),
      });
    }
  }
  return { problem: { gpuTypes, classes }, rates };
}
