// The WASM device: kernels in one linear memory shared by a pool of worker threads. A unit is
// planned once per set of input shapes: concrete shapes, one kernel call (or a view) per node,
// and one arena for the unit's intermediates laid out by liveness, so after the first run of a
// shape nothing is allocated. Nodes without a kernel for their case run on the reference path
// inside the unit, and the device records that (never silently).

import { type DType, dtypeBytes } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import { numel } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import type { Unit } from '../../ir/unit.js';
import { evalNode } from '../../ops/evaluate.js';
import { type Expr, printExpr } from '../../ops/kernel/expr.js';
import type { CompiledUnit, Device, DeviceTensor } from '../device.js';
import { yieldIfDue } from '../yield.js';
import { generateMap, type InputMode, signatureOf } from './codegen.js';
import { FAMILIES, loadKernels } from './loader.js';
import { checkUnitFits, WasmMemory } from './memory.js';
import type { Step } from './plan.js';
import { type ModuleSpec, ThreadPool } from './pool.js';
import { wasmSupports } from './support.js';
import { buildPlan, type Plan, type PlanHost } from './unit-plan.js';

/** The process's CPU time in ms (all threads; a loaded machine distorts it less than wall time), 0 in a browser. */
const cpuNow = (u = typeof process !== 'undefined' ? process.cpuUsage?.() : undefined) =>
  u ? (u.user + u.system) / 1000 : 0;

import { WasmTensor } from './wasm-tensor.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export { WasmTensor } from './wasm-tensor.js';

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
  /** When set, time per op (and output shape) accumulates here; cpuMs: the process's CPU time (Node). */
  profile?: Map<string, { ms: number; calls: number; cpuMs?: number }>;
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
        `WASM backend runs single-threaded (threads: ${asked} was asked): this page is not cross-origin ` +
          `isolated, so SharedArrayBuffer is unavailable. Serve it with 'Cross-Origin-Opener-Policy: ` +
          `same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' to use threads.`,
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
    return wasmSupports(node);
  }

  private hostCache?: PlanHost;
  /** What the unit planner (unit-plan.ts) reads and calls of this device. */
  private get host(): PlanHost {
    const d = this;
    this.hostCache ??= {
      mem: d.mem,
      pool: d.pool,
      get threads() {
        return d.threads;
      },
      planFallbacks: d.planFallbacks,
      residentBlocks: d.residentBlocks,
      constCache: d.constCache,
      residentArray: (data) => d.residentArray(data),
      residentConst: (v) => d.residentConst(v),
      packedWeight: (v, K, N, rsb, csb, ptr, layout) => d.packedWeight(v, K, N, rsb, csb, ptr, layout),
      uploadSync: (t) => d.uploadSync(t),
      release: (t) => d.release(t),
      mapFn: (e, modes, boolOut) => d.mapFn(e, modes, boolOut),
      workspace: () => d.workspace(),
      knownStep: (n, known, slot) => d.knownStep(n, known, slot),
      cpuStep: (n, slot, dims, dtype) => d.cpuStep(n, slot, dims, dtype),
    };
    return this.hostCache;
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
      plan = await buildPlan(this.host, cu.unit, ins);
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
        const c0 = prof ? cpuNow() : 0;
        const r = step(P);
        if (r) await r;
        if (prof) {
          const k = `${node.op} ${node.outputs[0]?.type?.shape?.join('x') ?? ''}`;
          const e = prof.get(k) ?? { ms: 0, calls: 0, cpuMs: 0 };
          e.ms += performance.now() - t0;
          e.cpuMs = (e.cpuMs ?? 0) + cpuNow() - c0;
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
      // gemvPackedSize / packedSize in wasm/matmul.ts
      const n = layout === 'gemv' ? Math.ceil(N / 16) * 16 * K : Math.ceil(N / 8) * 8 * K;
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
