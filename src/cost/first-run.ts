// First-run costs, modelled apart from the steady state: the first run of a plan compiles what it
// compiles (a WGSL pipeline per kernel; a WASM module per fused elementwise expression: the other
// WASM kernels ship prebuilt), uploads its weights, packs them into the kernels' layout (WASM's
// GEMM panels) and uses each unit for the first time (building its run plan, the JIT's first
// tier). None of it recurs, so none of it belongs in the per-run estimate the placement is made
// on; the plan states it beside that estimate. The figures come from the device's profile
// (`firstRun`, defaults in catalog/local.ts) and are scaled by what earlier first runs measured
// on the device, the fixed part (compiles, first uses) and the weights' part (upload, packing)
// apart (KernelHistory.firstRunScales): one factor over both let a small model's first runs,
// all fixed cost, set how a large model's packing was predicted.

import type { Node, Value } from '../ir/graph.js';
import type { DeviceProfile } from './profile.js';
import { typeBytes } from './work.js';

export interface FirstRunEstimate {
  compileMs: number;
  uploadMs: number;
  packMs: number;
  firstUseMs: number;
  /** The sum: what the first run costs beyond a steady one. */
  ms: number;
  /**
   * Before the history's scales: the fixed part (compile and first use: per kernel, per unit) and
   * the part that grows with the weights (upload and packing), ms; what first runs are fit to.
   */
  raw?: { fixed: number; bytes: number };
}

/** The history's correction of a first-run prediction: one factor, or one per part. */
export type FirstRunScale = number | { fixed: number; bytes: number };

/**
 * The two scales that fit measured first-run extras best (relative least squares, so workloads of
 * any size weigh alike), pulled toward `prior` (one sample's worth) where the samples do not pin
 * both down (every sample small, or every one weight-bound). Samples: [fixed, bytes, measured] ms.
 */
export function fitFirstRunScales(samples: readonly number[][], prior: number): { fixed: number; bytes: number } {
  // normal equations of sum ((a f + b g - m) / m)^2 + l ((a - prior)^2 + (b - prior)^2)
  const l = 0.1 / (prior * prior);
  let ff = l,
    fg = 0,
    gg = l,
    fm = l * prior,
    gm = l * prior;
  for (const [f, g, m] of samples) {
    if (!(m! > 0)) continue;
    const x = f! / m!,
      y = g! / m!;
    ff += x * x;
    fg += x * y;
    gg += y * y;
    fm += x;
    gm += y;
  }
  const det = ff * gg - fg * fg;
  const clamp = (v: number) => Math.min(50, Math.max(0.1, v));
  if (!(Math.abs(det) > 1e-12)) return { fixed: prior, bytes: prior };
  return { fixed: clamp((fm * gg - gm * fg) / det), bytes: clamp((gm * ff - fm * fg) / det) };
}

export const NO_FIRST_RUN: FirstRunEstimate = { compileMs: 0, uploadMs: 0, packMs: 0, firstUseMs: 0, ms: 0 };

/** act(alpha·$0 + $1): what WASM's GEMM applies in registers (a rough match: more fused ops generate a module). */
const REGISTER_EPILOGUE = /^(\$0|(relu|gelu|add|mul)\([^()]*\)|(relu|gelu)\((add|mul)\([^()]*\)\))$/;

/** What a device compiles for a node, as a key (the same key twice compiles once); undefined: nothing. */
export function compileKey(node: Node, p: DeviceProfile): string | undefined {
  const what = p.firstRun?.compiles ?? 'none';
  if (what === 'none') return undefined;
  const shapes = [...node.inputs, ...node.outputs]
    .map((v) => (v?.type ? `${v.type.dtype}[${v.type.shape?.join(',') ?? '?'}]` : '_'))
    .join(',');
  if (what === 'elementwise') {
    if (node.op === 'k.map') return `map|${JSON.stringify(node.attrs.expr ?? node.attrs)}|${node.inputs.length}`;
    // an epilogue beyond bias + activation (which the GEMM applies in registers) is a generated module
    const epi = node.attrs.epilogue?.value;
    if (typeof epi === 'string' && REGISTER_EPILOGUE.test(epi) === false) return `epilogue|${epi}`;
    return undefined;
  }
  return `${node.op}|${shapes}|${JSON.stringify(node.attrs)}`;
}

/** Weights a packed kernel reads: constant second operands of matmuls. */
function packedBytes(nodes: Node[]): number {
  let b = 0;
  for (const n of nodes)
    if (n.op === 'k.matmul' || n.op === 'nn.MatMul' || n.op === 'nn.Gemm') {
      const w = n.inputs[1];
      if (w?.isConst) b += typeBytes(w.type);
    }
  return b;
}

/**
 * The first-run extra of one unit on a device. `compiled`: compile keys already paid for on this
 * device by earlier units of the plan (updated); `ratio`: the history's correction.
 */
export function firstRunOf(
  nodes: Node[],
  p: DeviceProfile,
  compiled: Set<string> = new Set(),
  ratio: FirstRunScale = 1,
  onHost = false,
  weights = true,
): FirstRunEstimate {
  const f = p.firstRun;
  if (!f) return NO_FIRST_RUN;
  let kernels = 0;
  for (const n of nodes) {
    const k = compileKey(n, p);
    if (k !== undefined && !compiled.has(k)) {
      compiled.add(k);
      kernels++;
    }
  }
  const consts = new Set<Value>(nodes.flatMap((n) => n.inputs.filter((v): v is Value => !!v?.isConst)));
  // weights: false where another graph of the same model uploads and packs them (a shared weight cache)
  const bytes = weights ? [...consts].reduce((a, v) => a + typeBytes(v.type), 0) : 0;
  const bw = p.link.bandwidth.value;
  // the host holds the weights already: nothing to upload there
  const uploadMs =
    onHost || !Number.isFinite(bw) || !(bytes > 0) ? 0 : (bytes / bw) * 1e3 + consts.size * p.link.latency.value * 1e3;
  const packMs =
    weights && f.packBandwidth && f.packBandwidth.value > 0 ? (packedBytes(nodes) / f.packBandwidth.value) * 1e3 : 0;
  const compileMs = kernels * f.compileKernel.value * 1e3;
  const firstUseMs = (f.firstUseUnit.value + nodes.length * (f.firstUseKernel?.value ?? 0)) * 1e3;
  const { fixed, bytes: byBytes } = typeof ratio === 'number' ? { fixed: ratio, bytes: ratio } : ratio;
  const est: FirstRunEstimate = {
    compileMs: compileMs * fixed,
    uploadMs: uploadMs * byBytes,
    packMs: packMs * byBytes,
    firstUseMs: firstUseMs * fixed,
    ms: 0,
    raw: { fixed: compileMs + firstUseMs, bytes: uploadMs + packMs },
  };
  est.ms = est.compileMs + est.uploadMs + est.packMs + est.firstUseMs;
  return est;
}

export function addFirstRun(a: FirstRunEstimate, b: FirstRunEstimate): FirstRunEstimate {
  return {
    compileMs: a.compileMs + b.compileMs,
    uploadMs: a.uploadMs + b.uploadMs,
    packMs: a.packMs + b.packMs,
    firstUseMs: a.firstUseMs + b.firstUseMs,
    ms: a.ms + b.ms,
    raw: {
      fixed: (a.raw?.fixed ?? 0) + (b.raw?.fixed ?? 0),
      bytes: (a.raw?.bytes ?? 0) + (b.raw?.bytes ?? 0),
    },
  };
}

/** '12.3 ms (compile 4.1, upload 0.2, pack 1.0, first use 7.0)' */
export function describeFirstRun(e: FirstRunEstimate): string {
  const f = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
  return (
    `${f(e.ms)} ms (compile ${f(e.compileMs)}, upload ${f(e.uploadMs)}, pack ${f(e.packMs)}, first ` +
    `use ${f(e.firstUseMs)})`
  );
}
