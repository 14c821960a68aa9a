// The WebGPU Device: compiles units of a graph into WGSL dispatches, keeps tensors on the GPU
// between ops and runs, encodes one command encoder per run (one compute pass, dispatches
// batched), uploads through queue.writeBuffer and reads back through pooled staging buffers.
// A lost GPU device fails the run in flight with a clear error; the next call opens a fresh
// device and re-creates pipelines and weights (weights keep their host copy for that).

import { isBig } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { nodeError } from '../../ir/infer.js';
import type { Tensor } from '../../ir/tensor.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../device.js';
import { type GpuCounters, UnitCounters, zeroCounters } from './counters.js';
import { DeviceLostError, GPU_INT64_NOTE, lostMessage } from './errors.js';
import { adapterName, type FoundAdapter, isCpuAdapter } from './gpu.js';
import { type Dispatch, kernelFor, type NodePlan, type OutInfo, type TensorInfo } from './kernel.js';
import { planStep, type Step } from './node-plan.js';
import { type Gpu, type OpenOptions, openGpu } from './open-device.js';
import { PipelineCache } from './pipeline-cache.js';
import { readBack } from './readback.js';
import { allocStorage, cachedBindGroup, releaseStorage, uploadHost } from './storage.js';
import { gpuSupports } from './support.js';
import { GpuTensor, type Storage } from './tensor.js';
import type { TileConfig } from './tiles.js';
import type { KernelTime } from './timestamps.js';
import type { Layout } from './wgsl.js';
import './kernels/index.js';
import './kernels/attention.js';
import './kernels/rotary.js';
import './kernels/matmul-norm.js';
import './kernels/norm-matmul.js';

export { DeviceLostError, LimitError } from './errors.js';

/** precision 'f16' runs float kernels in f16 where the adapter has shader-f16 (else f32, recorded). */
export interface WebGpuOptions extends OpenOptions {
  /** Device id (plans and traces name devices by it); default 'webgpu:N'. */
  id?: string;
  /** Progress of long work (pipeline compiles): done of total. */
  onProgress?(done: number, total: number, what: string): void;
}

export class WebGpuUnit implements CompiledUnit {
  constructor(
    readonly unit: Unit,
    readonly steps: Step[],
    readonly lastUse: Map<Value, number>,
  ) {}
  /** Dispatches per run and per kernel (the last run's). */
  readonly counters = new UnitCounters();
}

let nextId = 0;

export class WebGpuDevice implements Device {
  readonly kind = 'webgpu' as const;
  readonly id: string;
  private gpu!: Gpu;
  private consts = new WeakMap<Gpu, Map<Value, GpuTensor>>();
  private epoch = 0;
  private disposed = false;
  private opening?: Promise<void>;
  private lastError?: string;
  /** Everything this device did since it was created (benchmarks take differences). */
  readonly counters: GpuCounters = zeroCounters();
  /** Dispatches per kernel label since the device was created. */
  readonly kernelDispatches = new Map<string, number>();
  /** Called after each run's submit (tests use it to lose the device with work in flight). */
  afterSubmit?: () => void;

  private constructor(readonly options: WebGpuOptions) {
    this.id = options.id ?? `webgpu:${nextId++}`;
  }

  static async create(options: WebGpuOptions = {}): Promise<WebGpuDevice> {
    const d = new WebGpuDevice(options);
    await d.open();
    return d;
  }

  /** Adapter facts for listings and benchmarks. */
  get adapter(): FoundAdapter {
    return this.gpu.found;
  }
  get limits(): Record<string, number> {
    return this.gpu.limits;
  }
  get features(): string[] {
    return this.gpu.features;
  }
  get f16(): boolean {
    return this.gpu.f16;
  }
  get tiles(): TileConfig {
    return this.gpu.ctx.tiles;
  }
  get gpuDevice(): GPUDevice {
    return this.gpu.device;
  }
  /** Counters with the pipeline and buffer creations of the current GPU device folded in. */
  snapshot(): GpuCounters {
    const g = this.gpu;
    return {
      ...this.counters,
      pipelinesCreated: g.cache.compiled,
      buffersCreated: g.pool.stats.allocated + g.staging.stats.allocated,
    };
  }
  /** Whether per-kernel GPU times are being recorded (profile option on an adapter with timestamp-query). */
  get profiling(): boolean {
    return !!this.gpu.timer;
  }
  /** GPU time per kernel label so far; undefined where the adapter has no timestamp-query or profiling is off. */
  async kernelTimes(reset = false): Promise<KernelTime[] | undefined> {
    const t = this.gpu.timer;
    if (!t) return undefined;
    const r = await t.times();
    if (reset) t.reset();
    return r;
  }
  get pipelineCount(): number {
    return this.gpu.cache.size;
  }
  /** Every WGSL program built on this device (shader text and kernel name). */
  programs(): { code: string; label: string }[] {
    return [...this.gpu.cache.sources.values()];
  }
  get poolStats() {
    return this.gpu.pool.stats;
  }
  get name(): string {
    return adapterName(this.gpu.found.info);
  }

  /**
   * A CPU implementation of the GPU (SwiftShader, llvmpipe, WARP: what a machine without a GPU
   * offers) computes on the host's cores, the same cores the WASM workers use.
   */
  get computesOn(): string | undefined {
    return isCpuAdapter(this.gpu.found.info) ? 'host-cpu' : undefined;
  }

  /** Resolves when the queue has finished everything submitted so far. */
  async finish(): Promise<void> {
    await this.ensureDevice();
    await this.guard(this.gpu.device.queue.onSubmittedWorkDone(), 'a run');
  }

  private async open(): Promise<void> {
    const epoch = ++this.epoch;
    this.gpu = await openGpu(
      this.options,
      epoch,
      (m) => {
        this.lastError = m;
      },
      (device, info) => {
        if (this.gpu?.device === device) this.gpu.lost = info;
      },
    );
  }

  /** A fresh device after a loss (pipelines re-created on demand, weights re-uploaded from their host copy). */
  private async ensureDevice(): Promise<void> {
    if (this.disposed) throw new Error(`${this.id}: the WebGPU device has been disposed`);
    if (this.opening) return this.opening;
    if (!this.gpu.lost) return;
    const old = this.gpu;
    this.opening = (async () => {
      try {
        old.pool.destroyAll();
        old.staging.destroyAll();
      } catch {
        /* already gone */
      }
      await this.open();
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  get isLost(): boolean {
    return !!this.gpu.lost;
  }

  /** Await a GPU promise, failing fast with a DeviceLostError when the device goes away. */
  private async guard<T>(p: Promise<T>, what: string): Promise<T> {
    const lost = this.gpu.lostPromise.then((info): never => {
      throw new DeviceLostError(lostMessage(info, what), this.id);
    });
    return Promise.race([p, lost]);
  }

  private lostError(what: string): DeviceLostError {
    return new DeviceLostError(lostMessage(this.gpu.lost!, what), this.id);
  }

  // ---- support ---------------------------------------------------------------------------

  supports(node: Node): true | string {
    return gpuSupports(node);
  }

  // ---- compile ---------------------------------------------------------------------------

  async compile(unit: Unit): Promise<WebGpuUnit> {
    await this.ensureDevice();
    const steps: Step[] = [];
    const lastUse = new Map<Value, number>();
    unit.nodes.forEach((n, i) => {
      for (const v of n.inputs) if (v) lastUse.set(v, i);
    });
    const warm: Dispatch[] = [];
    for (const node of unit.nodes) {
      const fam = kernelFor(node.op);
      if (!fam) throw nodeError(node, new Error(`no WGSL kernel for ${node.op}`));
      const step: Step = { node, memo: new Map(), hostInputs: fam.hostInputs?.(node) ?? [] };
      steps.push(step);
      // static shapes (and constant host inputs): plan now, so limits are checked at create and
      // the pipelines compile in parallel before the first run
      const infos = node.inputs.map((v) =>
        v ? this.staticInfo(v, step.hostInputs.includes(node.inputs.indexOf(v))) : undefined,
      );
      if (infos.some((x, i) => x === null || (x === undefined && node.inputs[i]))) continue;
      const planned = this.planNode(step, infos as (TensorInfo | undefined)[]);
      warm.push(...planned.plan.dispatches);
    }
    await this.warmUp(warm);
    return new WebGpuUnit(unit, steps, lastUse);
  }

  /** TensorInfo from a value's static type, or null where the shape (or a needed host value) is unknown. */
  private staticInfo(v: Value, needHost: boolean): TensorInfo | null {
    const t = v.type;
    if (!t?.shape || !t.shape.every((d) => typeof d === 'number')) return null;
    if (needHost && !v.const) return null;
    const dims = t.shape as number[];
    return {
      dtype: t.dtype,
      dims,
      layout: this.gpu.ctx.layout(
        t.dtype,
        dims.reduce((a, b) => a * b, 1),
      ),
      host: v.const,
    };
  }

  private async warmUp(ds: Dispatch[]): Promise<void> {
    const c = this.gpu.cache;
    const todo = new Map<string, Dispatch>();
    for (const d of ds) {
      const key = PipelineCache.key(d.code, d.bindings);
      if (!c.get(key) && !todo.has(key)) todo.set(key, d);
    }
    if (!todo.size) return;
    let done = 0;
    const total = todo.size;
    const report = this.options.onProgress;
    report?.(0, total, 'compiling WGSL pipelines');
    await this.guard(
      Promise.all(
        [...todo].map(([key, d]) =>
          c.request(key, d.code, d.bindings, d.label).then(() => {
            done++;
            report?.(done, total, 'compiling WGSL pipelines');
          }),
        ),
      ),
      'pipeline compilation',
    );
  }

  /** Output types from the op's shape rule on concrete shapes, then the family's plan (memoised). */
  private planNode(step: Step, ins: (TensorInfo | undefined)[]): { plan: NodePlan; outs: OutInfo[] } {
    return planStep(this.gpu.ctx, step, ins);
  }

  // ---- run -------------------------------------------------------------------------------

  async run(cu: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    await this.ensureDevice();
    const g = this.gpu;
    const wu = cu as WebGpuUnit;
    const { unit } = wu;
    const env = new Map<Value, GpuTensor>();
    unit.inputs.forEach((v, i) => env.set(v, inputs[i] as GpuTensor));
    const keep = new Set<Value>([...unit.outputs, ...unit.inputs]);
    const made: GpuTensor[] = [];
    let encoder: GPUCommandEncoder | undefined;
    let pass: GPUComputePassEncoder | undefined;
    const flush = () => {
      if (!encoder) return;
      pass?.end();
      const timed = g.timer?.resolveInto(encoder);
      g.device.queue.submit([encoder.finish()]);
      timed?.();
      this.counters.submits++;
      encoder = undefined;
      pass = undefined;
      g.pool.flushPending();
    };
    wu.counters.beginRun();
    this.counters.runs++;
    try {
      for (let si = 0; si < wu.steps.length; si++) {
        const step = wu.steps[si]!;
        const node = step.node;
        const ins = node.inputs.map((v) => {
          if (!v) return undefined;
          const t = env.get(v) ?? (v.const ? this.residentConst(v) : undefined);
          if (!t) throw nodeError(node, new Error(`input '${v.name}' was not computed`));
          return t;
        });
        for (const k of step.hostInputs) {
          const t = ins[k];
          if (t && !t.host) {
            flush();
            t.host = await this.download(t);
          }
        }
        const infos = ins.map((t) =>
          t
            ? { dtype: t.type, dims: t.dims as number[], layout: g.ctx.layout(t.type, t.numel), host: t.host }
            : undefined,
        );
        const { plan, outs } = this.planNode(step, infos);
        const outputs: GpuTensor[] = outs.map((o, k) => {
          const name = node.outputs[k]?.name ?? '';
          if (plan.host) return new GpuTensor(o.dtype, o.dims, undefined, plan.host[k], name);
          // an optional output the graph does not take (Attention's present_key, ...): no storage
          const used = plan.dispatches.some((d) => d.tensors.some((r) => 'out' in r && r.out === k));
          if (!node.outputs[k] && !used) return new GpuTensor(o.dtype, o.dims, undefined, undefined, name);
          const a = plan.alias?.[k];
          if (a !== undefined) {
            const src = ins[a]!;
            this.ensureStorage(src);
            src.storage!.refs++;
            return new GpuTensor(
              o.dtype,
              o.dims,
              src.storage,
              src.host && src.host.size === o.dims.reduce((x, y) => x * y, 1) ? src.host.reshape(o.dims) : undefined,
              name,
            );
          }
          return new GpuTensor(o.dtype, o.dims, this.allocStorage(o.layout), undefined, name);
        });
        made.push(...outputs);
        node.outputs.forEach((v, k) => {
          if (v) env.set(v, outputs[k]!);
        });
        if (plan.dispatches.length) {
          const temps = (plan.temps ?? []).map((l) => this.allocStorage(l));
          for (const d of plan.dispatches) {
            const key = PipelineCache.key(d.code, d.bindings);
            const pipe =
              g.cache.get(key) ??
              (await this.guard(g.cache.request(key, d.code, d.bindings, d.label), 'pipeline compilation'));
            const entries: GPUBindGroupEntry[] = [];
            for (const r of d.tensors) {
              const st =
                'in' in r
                  ? (this.ensureStorage(ins[r.in]!), ins[r.in]!.storage!)
                  : 'out' in r
                    ? outputs[r.out]!.storage!
                    : temps[r.tmp]!;
              for (const b of st.buffers) entries.push({ binding: entries.length, resource: { buffer: b } });
            }
            const bind = cachedBindGroup(g, d.bindings, entries, () => this.counters.bindGroupsCreated++);
            if (!encoder) {
              encoder = g.device.createCommandEncoder();
              pass = undefined;
            }
            // profiling: one pass per dispatch, so its timestamps time that kernel alone
            const timedPass = g.timer?.passFor(d.label);
            if (timedPass) pass?.end();
            if (!pass || timedPass) {
              pass = encoder.beginComputePass(timedPass);
              this.counters.computePasses++;
            }
            pass.setPipeline(pipe);
            pass.setBindGroup(0, bind);
            pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
            this.counters.dispatches++;
            wu.counters.dispatched(d.label);
            this.kernelDispatches.set(d.label, (this.kernelDispatches.get(d.label) ?? 0) + 1);
          }
          for (const s of temps) this.releaseStorage(s, true);
        }
        // values whose last reader in this unit has run go back to the pool
        for (const v of node.inputs) {
          if (v && wu.lastUse.get(v) === si && !keep.has(v)) {
            const t = env.get(v);
            if (t) this.releaseTensor(t, true);
          }
        }
        for (const v of node.outputs) {
          if (v && !wu.lastUse.has(v) && !keep.has(v)) this.releaseTensor(env.get(v)!, true);
        }
      }
      flush();
      wu.counters.endRun();
      this.afterSubmit?.();
      if (g.lost) throw this.lostError('a run');
    } catch (e) {
      try {
        encoder && pass?.end();
      } catch {
        /* abandoned */
      }
      g.pool.flushPending();
      for (const v of unit.outputs) {
        const t = env.get(v);
        if (t && made.includes(t)) this.releaseTensor(t);
      }
      if (g.lost && !(e instanceof DeviceLostError)) throw this.lostError('a run');
      throw e;
    }
    return unit.outputs.map((v) => {
      const t = env.get(v);
      if (!t) throw new Error(`unit output '${v.name}' was not computed`);
      return t;
    });
  }

  // ---- storage ---------------------------------------------------------------------------

  private allocStorage(l: Layout): Storage {
    return allocStorage(this.gpu, l);
  }

  private releaseStorage(s: Storage, deferred = false): void {
    releaseStorage(this.gpu, s, deferred);
  }

  private releaseTensor(t: GpuTensor, deferred = false): void {
    if (t.storage) this.releaseStorage(t.storage, deferred);
    t.storage = undefined;
  }

  /** Make sure a tensor has GPU storage on the current device (lazy upload of host values). */
  private ensureStorage(t: GpuTensor): void {
    if (t.storage && t.storage.epoch === this.gpu.epoch) return;
    if (!t.host) throw this.goneError(t);
    t.storage = uploadHost(this.gpu, t);
    this.counters.uploads++;
  }

  private goneError(t: GpuTensor): DeviceLostError {
    const what = `tensor '${t.name}' ${t.type}[${t.dims.join(',')}]`;
    return new DeviceLostError(`${what} was on a WebGPU device that has been lost; run again to recompute it`, this.id);
  }

  /**
   * A unit's constant (weights): uploaded on first use and kept for every later run, per GPU
   * device, so a fresh device after a loss uploads the weights again.
   */
  private residentConst(v: Value): GpuTensor {
    let m = this.consts.get(this.gpu);
    if (!m) this.consts.set(this.gpu, (m = new Map()));
    let t = m.get(v);
    if (!t) {
      const c = v.const!;
      t = new GpuTensor(c.type, c.dims, undefined, c, v.name);
      if (c.size > 64) this.ensureStorage(t);
      m.set(v, t);
    }
    return t;
  }

  async upload(t: Tensor, name = ''): Promise<GpuTensor> {
    await this.ensureDevice();
    if (isBig(t.type) && t.type === 'uint64') throw new Error(`tensor '${name}' is uint64: ${GPU_INT64_NOTE}`);
    if (t.type === 'float64') throw new Error(`tensor '${name}' is float64: WGSL has no 64-bit floats`);
    const r = new GpuTensor(t.type, t.dims, undefined, t, name);
    // small tensors stay host-only until a kernel binds them (shape inputs never go up at all)
    if (t.size > 64) this.ensureStorage(r);
    return r;
  }

  async download(dt: DeviceTensor): Promise<Tensor> {
    const t = dt as GpuTensor;
    if (t.host) return t.host;
    return (await this.downloadMany([t]))[0]!;
  }

  /** Read several tensors back with one submit. */
  async downloadMany(ts: GpuTensor[]): Promise<Tensor[]> {
    const g = this.gpu;
    const need = ts.filter((t) => !t.host);
    // a loss between the run and its readback fails the readback (the next run opens a new device)
    if (need.length && g.lost) throw this.lostError('readback');
    for (const t of need) {
      if (!t.storage || t.storage.epoch !== g.epoch) throw this.goneError(t);
    }
    if (!need.length) return ts.map((t) => t.host!);
    this.counters.readbacks++;
    this.counters.submits++;
    let got: Tensor[];
    try {
      got = await readBack({ ...g, guard: (p) => this.guard(p, 'readback') }, need);
    } catch (e) {
      if (g.lost) throw this.lostError('readback');
      throw e;
    }
    return ts.map((t) => t.host ?? got[need.indexOf(t)]!);
  }

  release(dt: DeviceTensor): void {
    const t = dt as GpuTensor;
    this.releaseTensor(t);
  }

  /** Drop pooled buffers (memory pressure). */
  trim(): void {
    this.gpu.bindGroups.clear();
    this.gpu.pool.trim();
    this.gpu.staging.trim();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const g = this.gpu;
    try {
      g.pool.destroyAll();
      g.staging.destroyAll();
    } catch {
      /* device gone */
    }
    g.device.destroy();
  }

  /** Last uncaptured WebGPU error (validation), for diagnostics. */
  get lastGpuError(): string | undefined {
    return this.lastError;
  }
}
