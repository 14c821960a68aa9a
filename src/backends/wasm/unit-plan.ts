// Planning a unit for one set of input shapes: concrete shapes, one kernel call (or a view, or a
// reference-path step) per node from the op families' planners, and one arena for the
// intermediates laid out by liveness, so that after the first run of a shape nothing is
// allocated.

import { type DType, dtypeBytes } from '../../ir/dtype.js';
import { type Node, Value } from '../../ir/graph.js';
import { numel } from '../../ir/shape.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Unit } from '../../ir/unit.js';
import type { Expr } from '../../ops/kernel/expr.js';
import type { InputMode } from './codegen.js';
import { concreteTypes, DynamicShape } from './concrete-types.js';
import type { WasmMemory } from './memory.js';
import { PLANNERS } from './ops/index.js';
import type { PlanCtx, Step } from './plan.js';
import type { ThreadPool } from './pool.js';
import type { WasmTensor } from './wasm-tensor.js';

export interface Plan {
  steps: { node: Node; step: Step }[];
  nslots: number;
  inputSlots: number[];
  constSlots: [number, WasmTensor][];
  arena: number;
  arenaSlots: [number, number][]; // slot, offset
  /** per unit output: slot, dtype, dims, whether this output owns a fresh block */
  outputs: { slot: number; type: DType; dims: number[]; bytes: number; owner: boolean }[];
  P: Float64Array;
  views?: [number, number][];
  /** shapes depend on data: the unit runs on the reference interpreter */
  cpu?: boolean;
}

/** What planning needs from the device: its memory and pool, and its resident caches. */
export interface PlanHost {
  readonly mem: WasmMemory;
  readonly pool: ThreadPool;
  readonly threads: number;
  readonly planFallbacks: Map<string, string>;
  readonly residentBlocks: number[];
  readonly constCache: Map<Value, WasmTensor>;
  residentArray(data: Int32Array | Float32Array): number;
  residentConst(v: Value): Promise<WasmTensor>;
  packedWeight(
    v: Value,
    K: number,
    N: number,
    rsb: number,
    csb: number,
    ptr: number,
    layout: 'gemm' | 'gemv',
  ): Promise<number>;
  uploadSync(t: Tensor): WasmTensor;
  release(d: WasmTensor): void;
  mapFn(e: Expr, modes: InputMode[], boolOut?: boolean): Promise<number>;
  workspace(): { ptr: number; stride: number };
  knownStep(n: Node, known: Map<Value, Tensor>, slot: (v: Value) => number): Step | undefined;
  cpuStep(n: Node, slot: (v: Value) => number, dims: (v: Value) => number[], dtype: (v: Value) => DType): Step;
}

export async function buildPlan(host: PlanHost, unit: Unit, inputs: WasmTensor[]): Promise<Plan> {
  let types: Map<Value, { dtype: DType; dims: number[] }>;
  const known = new Map<Value, Tensor>();
  try {
    types = concreteTypes(unit, inputs, known);
  } catch (e) {
    if (!(e instanceof DynamicShape)) throw e;
    // a shape only known by running: the whole unit takes the reference path for these inputs
    host.planFallbacks.set(
      e.node.op,
      `output shape of ${e.node.describe()} depends on data; the unit ran on the reference path`,
    );
    return cpuPlan();
  }
  const slotOf = new Map<Value, number>();
  const root: number[] = []; // slot -> root slot (views)
  const size: number[] = [];
  const newSlot = (bytes: number) => {
    root.push(root.length);
    size.push(bytes);
    return root.length - 1;
  };
  const find = (s: number): number => (root[s] === s ? s : (root[s] = find(root[s]!)));
  const dims = (v: Value) => {
    const t = types.get(v) ?? (v.const ? { dims: [...v.const.dims] } : undefined);
    if (!t) throw new Error(`no shape for '${v.name}'`);
    return t.dims;
  };
  const dtype = (v: Value) => types.get(v)?.dtype ?? v.const?.type ?? v.type!.dtype;
  const slot = (v: Value) => {
    let s = slotOf.get(v);
    if (s === undefined) {
      s = newSlot(numel(dims(v)) * dtypeBytes(dtype(v)));
      slotOf.set(v, s);
    }
    return s;
  };
  const inputSlots = unit.inputs.map((v) => slot(v));
  const constSlots: [number, WasmTensor][] = [];
  const steps: { node: Node; step: Step }[] = [];
  const defStep = new Map<number, number>();
  const lastUse = new Map<number, number>();
  const scratchSlots: number[] = [];
  const cpuNodes: string[] = [];
  // constants get a slot (and are uploaded) only when a kernel reads them as they are: a weight
  // that only feeds packed GEMMs lives in memory in its packed form alone
  const constSlotOf = new Set<number>();
  for (const n of unit.nodes) {
    const idx = steps.length;
    const ctx: PlanCtx = {
      node: n,
      pool: host.pool,
      memory: host.mem.memory,
      threads: host.threads,
      dims,
      dtype,
      constOf: (v) => (v ? (v.const ?? known.get(v)) : undefined),
      slot,
      alias: (out, input) => {
        const so = slot(out),
          si = slot(input);
        root[find(so)] = find(si);
      },
      scratch: (bytes) => {
        const s = newSlot(bytes);
        scratchSlots.push(s);
        defStep.set(s, idx);
        lastUse.set(s, idx);
        return s;
      },
      temp: (d) => {
        const v = new Value(`${n.name || n.op}.tmp${slotOf.size}`, { dtype: 'float32', shape: d });
        types.set(v, { dtype: 'float32', dims: d });
        const s = slot(v);
        defStep.set(s, idx);
        lastUse.set(s, idx);
        return v;
      },
      resident: (data) => host.residentArray(data),
      packed: async (v, K, N, rsb, csb, layout = 'gemm') => {
        const i = unit.inputs.indexOf(v);
        if (i >= 0) return host.packedWeight(v, K, N, rsb, csb, inputs[i]!.ptr, layout);
        const cached = host.constCache.get(v);
        if (cached) return host.packedWeight(v, K, N, rsb, csb, cached.ptr, layout);
        // pack from a temporary copy that is freed at once
        const tmp = host.uploadSync(v.const!);
        try {
          return await host.packedWeight(v, K, N, rsb, csb, tmp.ptr, layout);
        } finally {
          host.release(tmp);
        }
      },
      mapFn: (e, modes, boolOut) => host.mapFn(e, modes, boolOut),
      fn: (family, name) => host.pool.fn(family, name),
      workspace: () => host.workspace(),
    };
    const planner = PLANNERS[n.op];
    const knownStep = host.knownStep(n, known, slot);
    let r: Step | 'view' | 'cpu' = knownStep ?? (planner ? await planner(ctx) : 'cpu');
    if (r === 'cpu') {
      cpuNodes.push(n.op);
      host.planFallbacks.set(
        n.op,
        `${n.describe()}: no WASM kernel for this case (shapes/attributes); ran on the reference path`,
      );
      r = host.cpuStep(n, slot, dims, dtype);
    }
    for (const [v, s] of slotOf) {
      if (v.const && !constSlotOf.has(s) && !unit.inputs.includes(v)) {
        constSlotOf.add(s);
        constSlots.push([s, await host.residentConst(v)]);
      }
    }
    if (r !== 'view') steps.push({ node: n, step: r });
    const at = r === 'view' ? Math.max(0, steps.length - 1) : idx;
    for (const v of n.inputs) if (v) lastUse.set(slot(v), Math.max(lastUse.get(slot(v)) ?? 0, at));
    for (const v of n.outputs) if (v && !defStep.has(slot(v))) defStep.set(slot(v), at);
  }
  // roots: liveness merged over their views
  const isExternal = new Set<number>([...inputSlots, ...constSlots.map(([s]) => s)].map(find));
  const outputs = unit.outputs.map((v) => ({
    slot: slot(v),
    type: dtype(v),
    dims: dims(v),
    bytes: numel(dims(v)) * dtypeBytes(dtype(v)),
    owner: false,
  }));
  const outRoots = new Set<number>();
  for (const o of outputs) {
    const r = find(o.slot);
    if (!isExternal.has(r) && !outRoots.has(r) && r === o.slot) {
      o.owner = true;
      outRoots.add(r);
    }
  }
  // an output that is a view of an intermediate: that intermediate becomes the owned output block
  for (const o of outputs) {
    const r = find(o.slot);
    if (!isExternal.has(r) && !outRoots.has(r)) {
      outRoots.add(r);
      o.slot = r;
      o.owner = true;
    }
  }
  const live = new Map<number, [number, number]>();
  for (let s = 0; s < root.length; s++) {
    const r = find(s);
    if (isExternal.has(r) || outRoots.has(r)) continue;
    const a = defStep.get(s),
      b = lastUse.get(s);
    const cur = live.get(r) ?? [Infinity, -Infinity];
    if (a !== undefined) cur[0] = Math.min(cur[0], a);
    if (b !== undefined) cur[1] = Math.max(cur[1], b);
    if (a !== undefined) cur[1] = Math.max(cur[1], a);
    live.set(r, cur);
  }
  // greedy first-fit by size: blocks whose lifetimes overlap never share bytes
  const placed: { off: number; end: number; a: number; b: number }[] = [];
  const arenaOffset = new Map<number, number>();
  const order = [...live.keys()].sort((x, y) => size[y]! - size[x]!);
  let arenaBytes = 0;
  for (const r of order) {
    const [a, b] = live.get(r)!;
    const need = Math.ceil(Math.max(size[r]!, 16) / 64) * 64;
    const clash = placed.filter((p) => !(p.b < a || b < p.a)).sort((x, y) => x.off - y.off);
    let off = 0;
    for (const p of clash) {
      if (off + need <= p.off) break;
      off = Math.max(off, p.end);
    }
    placed.push({ off, end: off + need, a, b });
    arenaOffset.set(r, off);
    arenaBytes = Math.max(arenaBytes, off + need);
  }
  const arena = arenaBytes ? host.mem.alloc(arenaBytes, `intermediates of a unit of ${unit.nodes.length} nodes`) : 0;
  host.residentBlocks.push(arena);
  const arenaSlots: [number, number][] = [];
  const outSlotSet = new Set(outputs.map((o) => o.slot));
  // every slot resolves to its root's pointer; views of external/output roots are patched per run
  const viewOfExternal: [number, number][] = [];
  for (let s = 0; s < root.length; s++) {
    const r = find(s);
    if (arenaOffset.has(r)) arenaSlots.push([s, arenaOffset.get(r)!]);
    else if (r !== s && !outSlotSet.has(s)) viewOfExternal.push([s, r]);
  }
  for (const o of outputs)
    if (!o.owner) {
      const r = find(o.slot);
      if (r !== o.slot && !viewOfExternal.some(([s]) => s === o.slot)) viewOfExternal.push([o.slot, r]);
    }
  const P = new Float64Array(root.length);
  // views of inputs/constants/outputs take their root's pointer at the start of each run
  return { steps, nslots: root.length, inputSlots, constSlots, arena, arenaSlots, outputs, P, views: viewOfExternal };
}

/** Whole unit on the reference interpreter (shapes that depend on data). */
export function cpuPlan(): Plan {
  return {
    steps: [],
    nslots: 0,
    inputSlots: [],
    constSlots: [],
    arena: 0,
    arenaSlots: [],
    outputs: [],
    P: new Float64Array(0),
    cpu: true,
  };
}
