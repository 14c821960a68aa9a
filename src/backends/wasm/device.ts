// The WASM device: kernels in one linear memory shared by a pool of worker threads. A unit is
// planned once per set of input shapes: concrete shapes, one kernel call (or a view) per node,
// and one arena for the unit's intermediates laid out by liveness, so after the first run of a
// shape nothing is allocated. Nodes without a kernel for their case run on the reference path
// inside the unit, and the device records that (never silently).

import { type DType, dtypeBytes, isNarrow } from '../../ir/dtype.js';
import { type Node, type TensorType, Value } from '../../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../../ir/infer.js';
import { isStatic, numel } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';
import { type Expr, printExpr } from '../../ops/kernel/expr.js';
import { type CompiledUnit, type Device, type DeviceTensor, hostOnlyReason, type Unit } from '../device.js';
import { yieldIfDue } from '../yield.js';
import { generateMap, type InputMode, signatureOf } from './codegen.js';
import { isShapeArith, knownOutputs } from './known.js';
import { FAMILIES, loadKernels } from './loader.js';
import { checkUnitFits, WasmMemory } from './memory.js';
import { ANY_DTYPE, FLOAT_DATA, PLANNERS } from './ops/index.js';
import type { PlanCtx, Step } from './plan.js';
import { type ModuleSpec, ThreadPool } from './pool.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export class WasmTensor implements DeviceTensor {
  constructor(
    readonly type: DType,
    readonly dims: readonly number[],
    readonly ptr: number,
    readonly bytes: number,
    readonly owned: boolean,
  ) {}
}

interface Plan {
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

interface WasmUnit extends CompiledUnit {
  plans: Map<string, Plan>;
}

export interface WasmDeviceOptions {
  threads?: number;
  /** Device id in plans and traces (default 'wasm'). */
  id?: string;
  /** Called once with each warning (single-threaded fallback, lost worker). */
  onWarning?: (message: string) => void;
}

async function defaultThreads(): Promise<number> {
  if (isNode) {
    const spec = 'node:os';
    const os = (await import(/* @vite-ignore */ spec)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return (globalThis.navigator?.hardwareConcurrency as number | undefined) ?? 1;
}

export class WasmDevice implements Device {
  readonly id: string;
  readonly kind = 'wasm' as const;
  /** Worker threads and the main thread's share of every kernel. */
  readonly computesOn = 'host-cpu';
  /** See Device.yieldEveryMs: the main thread computes a share of each kernel. */
  yieldEveryMs?: number;
  private lastYield = 0;
  /** Cases found at plan time that ran on the reference path: op -> reason. */
  readonly planFallbacks = new Map<string, string>();
  /** Time spent on the reference path per op (nodes inside units and whole units), since create. */
  readonly fallbackCost = new Map<string, { ms: number; calls: number }>();
  readonly warnings: string[] = [];
  /** When set, time spent per op (and output shape) accumulates here: a profile for tuning. */
  profile?: Map<string, { ms: number; calls: number }>;
  private readonly mapCache = new Map<string, Promise<number>>();
  private readonly packedCache = new Map<Value, Map<string, number>>();
  private readonly residentBlocks: number[] = [];
  private ws?: { ptr: number; stride: number };
  private disposed = false;

  private constructor(
    readonly mem: WasmMemory,
    readonly pool: ThreadPool,
    readonly relaxed: boolean,
    private readonly onWarning?: (m: string) => void,
    id = 'wasm',
  ) {
    this.id = id;
  }

  get threads(): number {
    return this.pool.liveWorkers + 1;
  }

  static async create(options: WasmDeviceOptions = {}): Promise<WasmDevice> {
    const asked = options.threads ?? (await defaultThreads());
    if (!Number.isInteger(asked) || asked < 1) throw new Error(`threads must be a positive integer, got ${asked}`);
    let threads = asked;
    const warnings: string[] = [];
    const canShare =
      typeof SharedArrayBuffer !== 'undefined' &&
      (isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true);
    if (threads > 1 && !canShare) {
      warnings.push(
        `WASM backend runs single-threaded (threads: ${asked} was asked): this page is not cross-origin isolated, so SharedArrayBuffer is unavailable. Serve it with 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' to use threads.`,
      );
      threads = 1;
    }
    // one thread needs no shared memory, and copies into a plain ArrayBuffer are plain memcpy
    // (into a SharedArrayBuffer V8 copies word by word)
    const shared = canShare && threads > 1;
    const kernels = await loadKernels(shared);
    const mem = new WasmMemory(shared);
    const specs: ModuleSpec[] = FAMILIES.map((f) => ({ key: f, module: kernels.modules[f] }));
    let pool: ThreadPool;
    try {
      pool = await ThreadPool.create(mem.memory, threads, specs);
    } catch (e) {
      warnings.push(`WASM backend runs single-threaded: worker threads could not start (${(e as Error).message})`);
      pool = await ThreadPool.create(mem.memory, 1, specs);
    }
    const dev = new WasmDevice(mem, pool, kernels.relaxed, options.onWarning, options.id);
    for (const w of warnings) dev.warn(w);
    return dev;
  }

  private warn(m: string): void {
    if (this.warnings.includes(m)) return;
    this.warnings.push(m);
    if (this.onWarning) this.onWarning(m);
    else console.warn(`switchyard: ${m}`);
  }

  supports(node: Node): true | string {
    const host = hostOnlyReason(node);
    if (host) return host;
    if (isShapeArith(node)) return true;
    // float16 operands of a map are widened around it (see kmap)
    if (
      node.op === 'k.map' &&
      [...node.inputs, ...node.outputs].every((v) => !v?.type || ['float32', 'float16', 'bool'].includes(v.type.dtype))
    )
      return true;
    if (FLOAT_DATA.has(node.op)) {
      const bad = [node.inputs[0], ...node.outputs].find((v) => v?.type && v.type.dtype !== 'float32');
      return bad ? `WASM kernels for ${node.op.slice(3)} take float32, this node has ${bad.type!.dtype}` : true;
    }
    if (!(node.op in PLANNERS)) return `no WASM kernel for ${node.op.slice(node.op.indexOf('.') + 1)}`;
    for (const v of [...node.inputs, ...node.outputs]) {
      if (v?.type && isNarrow(v.type.dtype)) return `no WASM kernels take ${v.type.dtype} (runs on the reference path)`;
    }
    if (!ANY_DTYPE.has(node.op)) {
      for (const v of [...node.inputs, ...node.outputs]) {
        if (!v || !v.type) continue;
        if ((node.op === 'k.map' || node.op === 'nn.Attention') && v.type.dtype === 'bool') continue;
        // these planners check their own dtypes (the recurrent ops: int32 sequence_lens)
        const ownTypes =
          [
            'nn.TopK',
            'nn.Gather',
            'nn.RotaryEmbedding',
            'nn.ArgMax',
            'nn.ArgMin',
            'nn.CumSum',
            'nn.Clip',
            'nn.RNN',
            'nn.GRU',
            'nn.LSTM',
          ].includes(node.op) || /^nn\.Reduce/.test(node.op);
        if (v.type.dtype !== 'float32' && !ownTypes) {
          return `WASM kernels for ${node.op.slice(node.op.indexOf('.') + 1)} take float32, this node has ${v.type.dtype}`;
        }
      }
      const x = node.inputs[0]?.type?.dtype;
      if (x && x !== 'float32' && !(node.op === 'k.map' && x === 'bool'))
        return `WASM kernels for ${node.op.slice(node.op.indexOf('.') + 1)} take float32, this node has ${x}`;
    }
    return true;
  }

  async compile(unit: Unit): Promise<CompiledUnit> {
    // refuse what cannot fit in wasm32 memory before allocating anything
    checkUnitFits(unit);
    const cu: WasmUnit = { unit, plans: new Map() };
    return cu;
  }

  /** Runs are serialised: a plan's pointer table, arena and the worker pool serve one run at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  run(compiled: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    const r = this.queue.then(() => this.runNow(compiled, inputs));
    this.queue = r.catch(() => {});
    return r;
  }

  private async runNow(compiled: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    if (this.disposed) throw new Error('WASM device has been disposed');
    const cu = compiled as WasmUnit;
    const ins = inputs as WasmTensor[];
    const key = ins.map((t) => `${t.type}[${t.dims.join(',')}]`).join(';');
    let plan = cu.plans.get(key);
    if (!plan) {
      plan = await this.buildPlan(cu.unit, ins);
      cu.plans.set(key, plan);
    }
    if (plan.cpu) return this.runCpuUnit(cu.unit, ins);
    const P = plan.P;
    plan.inputSlots.forEach((s, i) => {
      P[s] = ins[i]!.ptr;
    });
    for (const [s, t] of plan.constSlots) P[s] = t.ptr;
    for (const [s, off] of plan.arenaSlots) P[s] = plan.arena + off;
    const outs: WasmTensor[] = plan.outputs.map((o) => {
      if (o.owner) {
        const p = this.mem.alloc(o.bytes, `output of ${cu.unit.nodes.at(-1)?.describe()}`);
        P[o.slot] = p;
        return new WasmTensor(o.type, o.dims, p, o.bytes, true);
      }
      return undefined as unknown as WasmTensor;
    });
    if (plan.views) for (const [s, r] of plan.views) P[s] = P[r]!;
    plan.outputs.forEach((o, i) => {
      if (!o.owner) outs[i] = new WasmTensor(o.type, o.dims, P[o.slot]!, o.bytes, false);
    });
    const prof = this.profile;
    for (const { node, step } of plan.steps) {
      // across units too: a chain of one-kernel units would otherwise hold the loop from end to end
      this.lastYield = await yieldIfDue(this.yieldEveryMs, this.lastYield);
      try {
        const t0 = prof ? performance.now() : 0;
        const r = step(P);
        if (r) await r;
        if (prof) {
          const k = `${node.op} ${node.outputs[0]?.type?.shape?.join('x') ?? ''}`;
          const e = prof.get(k) ?? { ms: 0, calls: 0 };
          e.ms += performance.now() - t0;
          e.calls++;
          prof.set(k, e);
        }
      } catch (e) {
        for (let i = 0; i < outs.length; i++) if (outs[i]!.owned) this.mem.release(outs[i]!.ptr);
        throw nodeError(node, e);
      }
    }
    return outs;
  }

  /** Concrete types of every value in the unit, from the input shapes, by each op's own rule. */
  private concreteTypes(
    unit: Unit,
    inputs: WasmTensor[],
    known: Map<Value, Tensor>,
  ): Map<Value, { dtype: DType; dims: number[] }> {
    const m = new Map<Value, { dtype: DType; dims: number[] }>();
    const knownValue = (v: Value) => v.const ?? known.get(v);
    unit.inputs.forEach((v, i) => m.set(v, { dtype: inputs[i]!.type, dims: [...inputs[i]!.dims] }));
    const typeOf = (v: Value | null): TensorType | undefined => {
      if (!v) return undefined;
      if (v.const) return { dtype: v.const.type, shape: [...v.const.dims] };
      const t = m.get(v);
      return t ? { dtype: t.dtype, shape: t.dims } : v.type;
    };
    for (const n of unit.nodes) {
      const def = opDefOf(n);
      let types: TensorType[];
      try {
        types = def.infer({
          node: n,
          attrs: attrsOf(n),
          types: n.inputs.map(typeOf),
          consts: n.inputs.map((v) => (v ? knownValue(v) : undefined)),
        });
      } catch (e) {
        throw nodeError(n, e);
      }
      const staticDims = types.map((t, i) => {
        const o = n.outputs[i];
        return t?.shape && isStatic(t.shape)
          ? (t.shape as number[])
          : o?.type?.shape && isStatic(o.type.shape)
            ? (o.type.shape as number[])
            : undefined;
      });
      const vals = knownOutputs(
        n,
        knownValue,
        (v) => m.get(v)?.dims ?? (v.const ? [...v.const.dims] : undefined),
        staticDims,
      );
      if (vals) {
        n.outputs.forEach((o, i) => {
          if (o) {
            known.set(o, vals[i]!);
            m.set(o, { dtype: vals[i]!.type, dims: [...vals[i]!.dims] });
          }
        });
        continue;
      }
      n.outputs.forEach((o, i) => {
        if (!o) return;
        const t = types[i];
        const shape =
          t?.shape && isStatic(t.shape) ? t.shape : o.type?.shape && isStatic(o.type.shape) ? o.type.shape : undefined;
        if (!t || !shape) throw new DynamicShape(n);
        m.set(o, { dtype: t.dtype, dims: shape as number[] });
      });
    }
    return m;
  }

  private async buildPlan(unit: Unit, inputs: WasmTensor[]): Promise<Plan> {
    let types: Map<Value, { dtype: DType; dims: number[] }>;
    const known = new Map<Value, Tensor>();
    try {
      types = this.concreteTypes(unit, inputs, known);
    } catch (e) {
      if (!(e instanceof DynamicShape)) throw e;
      // a shape only known by running: the whole unit takes the reference path for these inputs
      this.planFallbacks.set(
        e.node.op,
        `output shape of ${e.node.describe()} depends on data; the unit ran on the reference path`,
      );
      return this.cpuPlan();
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
        pool: this.pool,
        memory: this.mem.memory,
        threads: this.threads,
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
        resident: (data) => this.residentArray(data),
        packed: async (v, K, N, rsb, csb, layout = 'gemm') => {
          const i = unit.inputs.indexOf(v);
          if (i >= 0) return this.packedWeight(v, K, N, rsb, csb, inputs[i]!.ptr, layout);
          const cached = this.constCache.get(v);
          if (cached) return this.packedWeight(v, K, N, rsb, csb, cached.ptr, layout);
          // pack from a temporary copy that is freed at once
          const tmp = this.uploadSync(v.const!);
          try {
            return await this.packedWeight(v, K, N, rsb, csb, tmp.ptr, layout);
          } finally {
            this.release(tmp);
          }
        },
        mapFn: (e, modes, boolOut) => this.mapFn(e, modes, boolOut),
        fn: (family, name) => this.pool.fn(family, name),
        workspace: () => this.workspace(),
      };
      const planner = PLANNERS[n.op];
      const knownStep = this.knownStep(n, known, slot);
      let r: Step | 'view' | 'cpu' = knownStep ?? (planner ? await planner(ctx) : 'cpu');
      if (r === 'cpu') {
        cpuNodes.push(n.op);
        this.planFallbacks.set(
          n.op,
          `${n.describe()}: no WASM kernel for this case (shapes/attributes); ran on the reference path`,
        );
        r = this.cpuStep(n, slot, dims, dtype);
      }
      for (const [v, s] of slotOf) {
        if (v.const && !constSlotOf.has(s) && !unit.inputs.includes(v)) {
          constSlotOf.add(s);
          constSlots.push([s, await this.residentConst(v)]);
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
    const arena = arenaBytes ? this.mem.alloc(arenaBytes, `intermediates of a unit of ${unit.nodes.length} nodes`) : 0;
    this.residentBlocks.push(arena);
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

  /** A node whose outputs were computed while planning: each run writes those few bytes into its slots. */
  private knownStep(n: Node, known: Map<Value, Tensor>, slot: (v: Value) => number): Step | undefined {
    const outs = n.outputs.filter((o): o is Value => !!o);
    if (!outs.length || !outs.every((o) => known.has(o))) return undefined;
    const writes = outs.map((o) => ({ s: slot(o), bytes: known.get(o)!.bytes().slice() }));
    return (P) => {
      for (const w of writes) if (w.bytes.length) this.mem.U8.set(w.bytes, P[w.s]!);
    };
  }

  /** Adds a reference-path evaluation of `op` to fallbackCost. */
  chargeFallback(op: string, ms: number): void {
    const e = this.fallbackCost.get(op) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    this.fallbackCost.set(op, e);
  }

  /** A node that runs on the reference path inside a unit: read its inputs out of memory, write results back. */
  private cpuStep(n: Node, slot: (v: Value) => number, dims: (v: Value) => number[], dtype: (v: Value) => DType): Step {
    const ins = n.inputs.map((v) => (v ? { v, s: slot(v) } : null));
    const outs = n.outputs.map((v) => (v ? { v, s: slot(v) } : null));
    return (P) => {
      const t0 = performance.now();
      const tensors = ins.map((x) => (x ? (x.v.const ?? this.read(P[x.s]!, dtype(x.v), dims(x.v))) : undefined));
      const res = evalNode(n, tensors);
      this.chargeFallback(n.op, performance.now() - t0);
      outs.forEach((o, i) => {
        if (!o) return;
        const t = res[i]!;
        const want = numel(dims(o.v)) * dtypeBytes(dtype(o.v));
        if (t.byteLength !== want)
          throw new Error(`reference result for '${o.v.name}' has ${t.byteLength} bytes, ${want} planned`);
        this.mem.U8.set(t.bytes(), P[o.s]!);
      });
    };
  }

  /** Whole unit on the reference interpreter (shapes that depend on data). */
  private cpuPlan(): Plan {
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

  private async runCpuUnit(unit: Unit, inputs: WasmTensor[]): Promise<WasmTensor[]> {
    const env = new Map<Value, Tensor>();
    unit.inputs.forEach((v, i) => env.set(v, this.read(inputs[i]!.ptr, inputs[i]!.type, inputs[i]!.dims)));
    for (const n of unit.nodes) {
      const t0 = performance.now();
      const outs = evalNode(
        n,
        n.inputs.map((v) => (v ? (v.const ?? env.get(v)) : undefined)),
      );
      this.chargeFallback(n.op, performance.now() - t0);
      n.outputs.forEach((o, i) => {
        if (o) env.set(o, outs[i]!);
      });
    }
    return Promise.all(unit.outputs.map(async (v) => (await this.upload(env.get(v)!)) as WasmTensor));
  }

  private read(ptr: number, type: DType, dims: readonly number[]): Tensor {
    // one pass: slice() copies into a fresh (not zero-filled first) buffer
    const bytes = numel(dims) * dtypeBytes(type);
    const buf = this.mem.U8.slice(ptr, ptr + bytes).buffer;
    const t = Tensor.zeros(type, [0]);
    const Ctor = t.data.constructor as new (b: ArrayBuffer) => typeof t.data;
    return new Tensor(type, new Ctor(buf), dims);
  }

  private async residentConst(v: Value): Promise<WasmTensor> {
    let t = this.constCache.get(v);
    if (!t) {
      t = (await this.upload(v.const!)) as WasmTensor;
      this.constCache.set(v, t);
    }
    return t;
  }
  private readonly constCache = new Map<Value, WasmTensor>();

  private residentArray(data: Int32Array | Float32Array): number {
    const p = this.mem.alloc(Math.max(4, data.byteLength), 'kernel descriptor');
    this.mem.U8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
    this.residentBlocks.push(p);
    return p;
  }

  /** A packed copy of a weight, made once per device and layout (gemm panels or gemv streams). */
  private async packedWeight(
    v: Value,
    K: number,
    N: number,
    rsb: number,
    csb: number,
    src: number,
    layout: 'gemm' | 'gemv',
  ): Promise<number> {
    const key = `${layout}:${K}:${N}:${rsb}:${csb}`;
    let byKey = this.packedCache.get(v);
    if (!byKey) this.packedCache.set(v, (byKey = new Map()));
    let p = byKey.get(key);
    if (p === undefined) {
      const n = layout === 'gemv' ? Math.ceil(N / 16) * 16 * K : Math.ceil(N / 8) * 8 * K; // gemvPackedSize / packedSize in wasm/matmul.ts
      p = this.mem.alloc(n * 4, `packed weight '${v.name}'`);
      // all threads pack (a large weight is a pass over hundreds of MB)
      const r = this.pool.run(this.pool.fn('matmul', layout === 'gemv' ? 'packGemv' : 'packWeight'), [
        K,
        N,
        src,
        rsb,
        csb,
        p,
      ]);
      if (r) await r;
      byKey.set(key, p);
      this.residentBlocks.push(p);
    }
    return p;
  }

  private workspace(): { ptr: number; stride: number } {
    if (!this.ws) {
      const stride = Math.ceil((this.pool.call(this.pool.fn('matmul', 'workspaceBytes'), []) as number) / 64) * 64;
      this.ws = { ptr: this.mem.alloc(stride * 64, 'matmul workspace'), stride };
    }
    return this.ws;
  }

  private mapFn(e: Expr, modes: InputMode[], boolOut = false): Promise<number> {
    const sig = signatureOf(printExpr(e), modes, boolOut);
    let p = this.mapCache.get(sig);
    if (!p) {
      p = (async () => {
        const key = `map${this.mapCache.size}`;
        const bytes = generateMap(e, modes, this.mem.shared, boolOut);
        const module = await WebAssembly.compile(bytes);
        await this.pool.addModules([{ key, module, math: 'elementwise' }]);
        return this.pool.fn(key, 'run');
      })();
      this.mapCache.set(sig, p);
    }
    return p;
  }

  async upload(t: Tensor): Promise<DeviceTensor> {
    return this.uploadSync(t);
  }

  private uploadSync(t: Tensor): WasmTensor {
    const bytes = t.byteLength;
    const p = this.mem.alloc(bytes, `tensor ${t.type}[${t.dims.join(',')}]`);
    this.mem.U8.set(t.bytes(), p);
    return new WasmTensor(t.type, t.dims, p, bytes, true);
  }

  async download(d: DeviceTensor): Promise<Tensor> {
    const t = d as WasmTensor;
    return this.read(t.ptr, t.type, t.dims);
  }

  release(d: DeviceTensor): void {
    const t = d as WasmTensor;
    if (t.owned) this.mem.release(t.ptr);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.dispose();
  }
}

class DynamicShape extends Error {
  constructor(readonly node: Node) {
    super(`${node.describe()}: output shape depends on data`);
  }
}
