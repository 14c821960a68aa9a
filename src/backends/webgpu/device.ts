// The WebGPU Device: compiles units of a graph into WGSL dispatches, keeps tensors on the GPU
// between ops and runs, encodes one command encoder per run (one compute pass, dispatches
// batched), uploads through queue.writeBuffer and reads back through pooled staging buffers.
// A lost GPU device fails the run in flight with a clear error; the next call opens a fresh
// device and re-creates pipelines and weights (weights keep their host copy for that).

import { isBig } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../device.js';
import { compileUnit, type WebGpuUnit } from './compile-unit.js';
import { type GpuCounters, zeroCounters } from './counters.js';
import { DeviceLostError, GPU_INT64_NOTE, lostMessage } from './errors.js';
import { adapterName, type FoundAdapter, isCpuAdapter } from './gpu.js';
import { type Gpu, type OpenOptions, openGpu } from './open-device.js';
import { readBack } from './readback.js';
import { Residency } from './residency.js';
import { runUnit } from './run-unit.js';
import { gpuSupports } from './support.js';
import { GpuTensor } from './tensor.js';
import type { TileConfig } from './tiles.js';
import type { KernelTime } from './timestamps.js';
import './kernels/index.js';
import './kernels/attention.js';
import './kernels/rotary.js';
import './kernels/decode-qkv.js';
import './kernels/matmul-nbits.js';
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

let nextId = 0;

export class WebGpuDevice implements Device {
  readonly kind = 'webgpu' as const;
  readonly id: string;
  private gpu!: Gpu;
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

  private readonly res: Residency;

  private constructor(readonly options: WebGpuOptions) {
    this.id = options.id ?? `webgpu:${nextId++}`;
    this.res = new Residency(() => this.gpu, this.counters, this.id);
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
      buffersCreated: g.pool.stats.allocated + g.staging.stats.allocated + g.params.size,
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
    return compileUnit(
      { gpu: this.gpu, guard: (p, what) => this.guard(p, what), onProgress: this.options.onProgress },
      unit,
    );
  }

  // ---- run -------------------------------------------------------------------------------

  async run(cu: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    await this.ensureDevice();
    const cx = {
      gpu: this.gpu,
      res: this.res,
      counters: this.counters,
      kernelDispatches: this.kernelDispatches,
      guard: <T>(p: Promise<T>, what: string) => this.guard(p, what),
      lostError: (what: string) => this.lostError(what),
      download: (t: GpuTensor) => this.download(t),
      afterSubmit: () => this.afterSubmit?.(),
    };
    return runUnit(cx, cu as WebGpuUnit, inputs);
  }

  // ---- transfers -------------------------------------------------------------------------

  async upload(t: Tensor, name = ''): Promise<GpuTensor> {
    await this.ensureDevice();
    if (isBig(t.type) && t.type === 'uint64') throw new Error(`tensor '${name}' is uint64: ${GPU_INT64_NOTE}`);
    if (t.type === 'float64') throw new Error(`tensor '${name}' is float64: WGSL has no 64-bit floats`);
    const r = new GpuTensor(t.type, t.dims, undefined, t, name);
    // small tensors stay host-only until a kernel binds them (shape inputs never go up at all)
    if (t.size > 64) this.res.ensureStorage(r);
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
      if (!t.storage || t.storage.epoch !== g.epoch) throw this.res.goneError(t);
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
    this.res.releaseTensor(t);
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
