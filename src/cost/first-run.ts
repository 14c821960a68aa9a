// First-run costs, modelled apart from the steady state: the first run of a plan compiles what it
// compiles (a WGSL pipeline per kernel; a WASM module per fused elementwise expression: the other
// WASM kernels ship prebuilt), uploads its weights, packs them into the kernels' layout (WASM's
// GEMM panels) and uses each unit for the first time (building its run plan, the JIT's first
// tier). None of it recurs, so none of it belongs in the per-run estimate the placement is made
// on; the plan states it beside that estimate. The figures come from the device's profile
// (`firstRun`, defaults in catalog/local.ts) and are scaled by what earlier first runs measured
// on the device (KernelHistory.firstRunRatio).

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
  ratio = 1,
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
  const s = ratio;
  const est = {
    compileMs: compileMs * s,
    uploadMs: uploadMs * s,
    packMs: packMs * s,
    firstUseMs: firstUseMs * s,
    ms: 0,
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
