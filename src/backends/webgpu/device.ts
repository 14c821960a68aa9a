// The WebGPU Device: compiles units of a graph into WGSL dispatches, keeps tensors on the GPU
// between ops and runs, encodes one command encoder per run (one compute pass, dispatches
// batched), uploads through queue.writeBuffer and reads back through pooled staging buffers.
// A lost GPU device fails the run in flight with a clear error; the next call opens a fresh
// device and re-creates pipelines and weights (weights keep their host copy for that).

import { type DType, isBig, isNarrow } from '../../ir/dtype.js';
import type { Node, TensorType, Value } from '../../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../../ir/infer.js';
import type { Tensor } from '../../ir/tensor.js';
import { formatType } from '../../ir/text-common.js';
import {
  type CompiledUnit,
  type Device,
  DeviceError,
  type DeviceTensor,
  hostOnlyReason,
  type Unit,
} from '../device.js';
import { BufferPool } from './buffer-pool.js';
import { BUFFER, MAP_READ } from './flags.js';
import { type AdapterChoice, adapterName, type FoundAdapter, findAdapter, isCpuAdapter, limitsOf } from './gpu.js';
import {
  type Dispatch,
  type KernelContext,
  kernelFor,
  type NodePlan,
  type OutInfo,
  type TensorInfo,
} from './kernel.js';
import { PipelineCache } from './pipeline-cache.js';
import { fromStorageBytes, GpuTensor, partBytes, partsOf, Storage, toStorageArray } from './tensor.js';
import { type TileConfig, tilesFor } from './tiles.js';
import { gridFor, inlineHelpers, type Layout, storageOf, type WType } from './wgsl.js';
import './kernels/index.js';

export interface WebGpuOptions extends AdapterChoice {
  /** 'f16' runs float kernels in f16 where the adapter has shader-f16 (else f32, recorded). */
  precision?: 'f32' | 'f16';
  /** Lower some limits (tests use it to show what happens on a smaller device). */
  limitOverrides?: Record<string, number>;
  /** Device id (plans and traces name devices by it); default 'webgpu:N'. */
  id?: string;
  /** Progress of long work (pipeline compiles): done of total. */
  onProgress?(done: number, total: number, what: string): void;
}

/** The GPU device went away (driver reset, device.destroy()): a DeviceError, so the runtime can move the work. */
export class DeviceLostError extends DeviceError {
  constructor(message: string, device = 'webgpu') {
    super(message, device);
    this.name = 'DeviceLostError';
  }
}

/** A refusal at compile time: the node, the tensor, its size and the limit it exceeds. */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

interface Gpu {
  device: GPUDevice;
  found: FoundAdapter;
  limits: Record<string, number>;
  features: string[];
  f16: boolean;
  pool: BufferPool;
  staging: BufferPool;
  cache: PipelineCache;
  epoch: number;
  lost?: GPUDeviceLostInfo;
  lostPromise: Promise<GPUDeviceLostInfo>;
  ctx: KernelContext;
  bindGroups: Map<string, GPUBindGroup>;
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;
function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(b, id);
  }
  return id;
}

interface Step {
  node: Node;
  memo: Map<string, { plan: NodePlan; outs: OutInfo[] }>;
  hostInputs: number[];
}

export class WebGpuUnit implements CompiledUnit {
  constructor(
    readonly unit: Unit,
    readonly steps: Step[],
    readonly lastUse: Map<Value, number>,
  ) {}
}

const GPU_INT64_NOTE = 'WGSL has no 64-bit integers';

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
    const found = await findAdapter(this.options);
    const a = found.adapter;
    const al = limitsOf(a.limits);
    const wanted = [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxStorageBuffersPerShaderStage',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupSizeZ',
      'maxComputeWorkgroupsPerDimension',
    ];
    const requiredLimits: Record<string, number> = {};
    for (const k of wanted) if (al[k] !== undefined) requiredLimits[k] = al[k]!;
    const hasF16 = a.features.has('shader-f16');
    const f16 = hasF16 && this.options.precision === 'f16';
    const device = await a.requestDevice({ requiredLimits, requiredFeatures: f16 ? ['shader-f16'] : [] });
    const limits = { ...limitsOf(device.limits), ...(this.options.limitOverrides ?? {}) };
    const epoch = ++this.epoch;
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.lastError = ev.error.message;
    };
    const lostPromise = device.lost.then((info) => {
      if (this.gpu?.device === device) this.gpu.lost = info;
      return info;
    });
    const maxPart = Math.min(limits.maxStorageBufferBindingSize!, limits.maxBufferSize!);
    const tiles = tilesFor(found.info, limits);
    const wg = Math.min(256, limits.maxComputeInvocationsPerWorkgroup ?? 256, limits.maxComputeWorkgroupSizeX ?? 256);
    const storage = (dt: DType): WType => {
      const w = storageOf(dt, f16);
      if (!w) throw new Error(`${dt} has no WGSL storage type`);
      return w;
    };
    const layout = (dt: DType, numel: number): Layout => {
      const wtype = storage(dt);
      const bytes = wtype === 'f16' ? 2 : 4;
      const partElems = Math.max(4, Math.floor(maxPart / bytes / 4) * 4);
      return { wtype, numel, partElems };
    };
    const maxPerDim = limits.maxComputeWorkgroupsPerDimension ?? 65535;
    const ctx: KernelContext = { limits, f16, wg, tiles, layout, storage, grid: (g) => gridFor(g, maxPerDim) };
    const usage = BUFFER.STORAGE | BUFFER.COPY_SRC | BUFFER.COPY_DST;
    this.gpu = {
      device,
      found,
      limits,
      features: [...a.features].sort(),
      f16,
      pool: new BufferPool(device, usage, maxPart),
      staging: new BufferPool(device, BUFFER.MAP_READ | BUFFER.COPY_DST, limits.maxBufferSize!),
      cache: new PipelineCache(device),
      epoch,
      lostPromise,
      ctx,
      bindGroups: new Map(),
    };
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
    const g = this.gpu;
    const lost = g.lostPromise.then((info): never => {
      throw new DeviceLostError(
        `WebGPU device lost during ${what} (${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}); the next run opens a fresh device`,
        this.id,
      );
    });
    return Promise.race([p, lost]);
  }

  private lostError(what: string): DeviceLostError {
    const info = this.gpu.lost!;
    return new DeviceLostError(
      `WebGPU device lost during ${what} (${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}); the next run opens a fresh device`,
      this.id,
    );
  }

  // ---- support ---------------------------------------------------------------------------

  supports(node: Node): true | string {
    const host = hostOnlyReason(node);
    if (host) return host;
    const fam = kernelFor(node.op);
    if (!fam) return `no WGSL kernel for ${node.op}`;
    const check = (t: TensorType | undefined, allowInt64: boolean, what: string): string | undefined => {
      if (!t) return undefined;
      if (t.dtype === 'float64') return `${what} is float64: WGSL has no 64-bit floats`;
      if (isNarrow(t.dtype))
        return `${what} is ${t.dtype}: no WGSL kernels take this type (runs on the reference path)`;
      if (t.dtype === 'uint64') return `${what} is uint64: ${GPU_INT64_NOTE}`;
      if (t.dtype === 'int64' && !allowInt64)
        return `${what} is int64: ${GPU_INT64_NOTE} (only indices and shapes may be int64 here)`;
      return undefined;
    };
    const i64in = fam.int64Inputs;
    for (let i = 0; i < node.inputs.length; i++) {
      const why = check(node.inputs[i]?.type, i64in === 'all' || !!i64in?.includes(i), `input #${i}`);
      if (why) return why;
    }
    for (let i = 0; i < node.outputs.length; i++) {
      const why = check(node.outputs[i]?.type, !!fam.int64Outputs || i64in === 'all', `output #${i}`);
      if (why) return why;
    }
    if (fam.supports) {
      try {
        return fam.supports(node, attrsOf(node));
      } catch (e) {
        return (e as Error).message;
      }
    }
    return true;
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
    const node = step.node;
    const sig = JSON.stringify(
      ins.map((t, i) =>
        t
          ? [
              t.dtype,
              t.dims,
              step.hostInputs.includes(i) && t.host ? Array.from(t.host.data as ArrayLike<number | bigint>, Number) : 0,
            ]
          : null,
      ),
    );
    const hit = step.memo.get(sig);
    if (hit) return hit;
    const def = opDefOf(node);
    const attrs = attrsOf(node);
    let types: TensorType[];
    try {
      types = def.infer({
        node,
        attrs,
        types: ins.map((t) => (t ? { dtype: t.dtype, shape: t.dims } : undefined)),
        consts: ins.map((t) => t?.host),
      });
    } catch (e) {
      throw nodeError(node, e);
    }
    const ctx = this.gpu.ctx;
    const outs: OutInfo[] = types.map((t, k) => {
      if (!t.shape || !t.shape.every((d) => typeof d === 'number')) {
        throw nodeError(
          node,
          new Error(
            `output #${k} has shape ${formatType(t)} that depends on data; the WebGPU backend needs it known before running`,
          ),
        );
      }
      const dims = t.shape as number[];
      return {
        dtype: t.dtype,
        dims,
        layout: ctx.layout(
          t.dtype,
          dims.reduce((a, b) => a * b, 1),
        ),
      };
    });
    const fam = kernelFor(node.op)!;
    let plan: NodePlan;
    try {
      plan = fam.plan({ node, attrs, ins, outs, ctx });
    } catch (e) {
      throw nodeError(node, e);
    }
    for (const d of plan.dispatches) d.code = inlineHelpers(d.code);
    this.checkLimits(node, plan, ins, outs);
    const r = { plan, outs };
    step.memo.set(sig, r);
    return r;
  }

  private checkLimits(node: Node, plan: NodePlan, ins: (TensorInfo | undefined)[], outs: OutInfo[]): void {
    const L = this.gpu.limits;
    const maxBind = L.maxStorageBuffersPerShaderStage ?? 8;
    const maxBinding = Math.min(L.maxStorageBufferBindingSize!, L.maxBufferSize!);
    for (const d of plan.dispatches) {
      if (d.bindings.length <= maxBind) continue;
      // name the tensors that had to be split to explain the count
      const big = d.tensors
        .map(
          (r) =>
            ('in' in r
              ? [node.inputs[r.in]?.name, ins[r.in]?.layout]
              : 'out' in r
                ? [node.outputs[r.out]?.name, outs[r.out]?.layout]
                : ['temporary', plan.temps?.[r.tmp]]) as [string | undefined, Layout | undefined],
        )
        .filter(([, l]) => l && partsOf(l) > 1)
        .map(
          ([n, l]) =>
            `'${n}' (${(l!.numel * (l!.wtype === 'f16' ? 2 : 4)).toLocaleString('en-US')} bytes, ${partsOf(l!)} parts)`,
        );
      throw nodeError(
        node,
        new LimitError(
          `kernel ${d.label} needs ${d.bindings.length} storage buffers but the adapter allows ${maxBind} per shader stage (maxStorageBuffersPerShaderStage)` +
            (big.length
              ? `; ${big.join(', ')} exceed${big.length === 1 ? 's' : ''} maxStorageBufferBindingSize ${maxBinding.toLocaleString('en-US')} bytes and had to be bound in slices`
              : ''),
        ),
      );
    }
    for (const d of plan.dispatches) {
      const m = L.maxComputeWorkgroupsPerDimension ?? 65535;
      if (d.grid.some((g) => g > m))
        throw nodeError(
          node,
          new LimitError(
            `kernel ${d.label} dispatches ${d.grid.join('×')} workgroups; maxComputeWorkgroupsPerDimension is ${m}`,
          ),
        );
    }
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
      g.device.queue.submit([encoder.finish()]);
      encoder = undefined;
      pass = undefined;
      g.pool.flushPending();
    };
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
            const bind = this.bindGroup(g, d, entries);
            if (!encoder) {
              encoder = g.device.createCommandEncoder();
              pass = undefined;
            }
            if (!pass) pass = encoder.beginComputePass();
            pass.setPipeline(pipe);
            pass.setBindGroup(0, bind);
            pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
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

  /**
   * Bind groups are cached by layout and buffers: pooled buffers come back in the same pattern
   * run after run, so steady-state runs create no new GPU objects (browsers collect them late).
   */
  private bindGroup(g: Gpu, d: Dispatch, entries: GPUBindGroupEntry[]): GPUBindGroup {
    const key = `${d.bindings.map((b) => (b.readOnly ? 'r' : 'w')).join('')}:${entries.map((e) => bufferId((e.resource as GPUBufferBinding).buffer)).join(',')}`;
    let bg = g.bindGroups.get(key);
    if (!bg) {
      bg = g.device.createBindGroup({ layout: g.cache.layout(d.bindings), entries });
      if (g.bindGroups.size >= 8192) g.bindGroups.delete(g.bindGroups.keys().next().value!);
      g.bindGroups.set(key, bg);
    }
    return bg;
  }

  // ---- storage ---------------------------------------------------------------------------

  private allocStorage(l: Layout): Storage {
    const g = this.gpu;
    const bufs: GPUBuffer[] = [];
    for (let p = 0; p < partsOf(l); p++) bufs.push(g.pool.acquire(partBytes(l, p)));
    return new Storage(bufs, l, g.epoch);
  }

  private releaseStorage(s: Storage, deferred = false): void {
    if (--s.refs > 0) return;
    if (s.epoch !== this.gpu.epoch) return; // its device is gone
    for (const b of s.buffers) this.gpu.pool.release(b, deferred);
  }

  private releaseTensor(t: GpuTensor, deferred = false): void {
    if (t.storage) this.releaseStorage(t.storage, deferred);
    t.storage = undefined;
  }

  /** Make sure a tensor has GPU storage on the current device (lazy upload of host values). */
  private ensureStorage(t: GpuTensor): void {
    const g = this.gpu;
    if (t.storage && t.storage.epoch === g.epoch) return;
    if (!t.host) {
      throw new DeviceLostError(
        `tensor '${t.name}' ${t.type}[${t.dims.join(',')}] was on a WebGPU device that has been lost; run again to recompute it`,
        this.id,
      );
    }
    const l = g.ctx.layout(t.type, t.numel);
    const s = this.allocStorage(l);
    const arr = toStorageArray(t.host, l, t.name);
    for (let p = 0; p < s.buffers.length; p++) {
      const start = p * l.partElems;
      const n = Math.min(l.partElems, l.numel - start);
      if (n <= 0) continue;
      const bytes = n * arr.BYTES_PER_ELEMENT;
      if (bytes % 4 === 0) {
        g.device.queue.writeBuffer(s.buffers[p]!, 0, arr.buffer, arr.byteOffset + start * arr.BYTES_PER_ELEMENT, bytes);
      } else {
        const pad = new Uint8Array(Math.ceil(bytes / 4) * 4);
        pad.set(new Uint8Array(arr.buffer, arr.byteOffset + start * arr.BYTES_PER_ELEMENT, bytes));
        g.device.queue.writeBuffer(s.buffers[p]!, 0, pad);
      }
    }
    t.storage = s;
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
      if (!t.storage || t.storage.epoch !== g.epoch) {
        throw new DeviceLostError(
          `tensor '${t.name}' ${t.type}[${t.dims.join(',')}] was on a WebGPU device that has been lost; run again to recompute it`,
          this.id,
        );
      }
    }
    const reads: { t: GpuTensor; staging: GPUBuffer[]; out?: Tensor }[] = [];
    if (need.length) {
      const enc = g.device.createCommandEncoder();
      for (const t of need) {
        const st = t.storage!;
        const staging = st.buffers.map((b, p) => {
          const size = partBytes(st.layout, p);
          const s = g.staging.acquire(size);
          enc.copyBufferToBuffer(b, 0, s, 0, size);
          return s;
        });
        reads.push({ t, staging });
      }
      g.device.queue.submit([enc.finish()]);
      g.pool.flushPending();
      try {
        await this.guard(Promise.all(reads.flatMap((r) => r.staging.map((s) => s.mapAsync(MAP_READ)))), 'readback');
      } catch (e) {
        if (g.lost) throw this.lostError('readback');
        throw e;
      }
      for (const r of reads) {
        const l = r.t.storage!.layout;
        const eb = l.wtype === 'f16' ? 2 : 4;
        const total = Math.max(0, l.numel) * eb;
        let bytes: Uint8Array;
        if (r.staging.length === 1) {
          // one part: a single copy out of the mapped range
          bytes = new Uint8Array(r.staging[0]!.getMappedRange(0, Math.max(4, Math.ceil(total / 4) * 4)).slice(0));
        } else {
          bytes = new Uint8Array(total + 4);
          let off = 0;
          r.staging.forEach((s, p) => {
            const n = Math.min(l.partElems, Math.max(0, l.numel - p * l.partElems)) * eb;
            if (n) bytes.set(new Uint8Array(s.getMappedRange(0, Math.ceil(n / 4) * 4)).subarray(0, n), off);
            off += n;
          });
        }
        for (const s of r.staging) {
          s.unmap();
          g.staging.release(s);
        }
        r.out = fromStorageBytes(r.t.type, r.t.dims, l, bytes);
      }
    }
    return ts.map((t) => t.host ?? reads.find((r) => r.t === t)!.out!);
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
