// Calibrator for WebGPU devices ('webgpu', 'webgpu:<adapter>'): everything through the real
// shaders and the real device code path, each time to the end of the GPU's work.
//   - sustained k.matmul GFLOP/s: the size grows until one run is long enough to time (a real
//     GPU needs 2048², SwiftShader is busy for 20 ms at 256²), then runs are queued back to back
//   - copy bandwidth: a k.map over two inputs, grown until a run is long enough to time
//   - dispatch overhead: a chain of 17 tiny kernels in one submit against a single one
//   - unit overhead: one tiny unit, submit and wait (what every unit the runtime runs pays)
//   - upload (writeBuffer) and readback (copy, mapAsync) bandwidth, and latency from 1 KiB
// On a machine without a GPU the adapter is a CPU emulation: the numbers say so, and the profile
// notes that it computes on the host's cores (computesOn), so the planner does not count it as a
// second processor beside the WASM workers.

import {
  CALIBRATION_VERSION,
  type CalibrationContext,
  type CalibrationStep,
  type Calibrator,
  type Measurements,
  registerCalibrator,
} from '../../cost/calibrate/calibrator.js';
import { UnitBench } from '../../cost/calibrate/unit-bench.js';
import { WEBGPU } from '../../cost/catalog/local.js';
import { est } from '../../cost/figure.js';
import type { DeviceProfile } from '../../cost/profile.js';
import { GraphBuilder } from '../../ir/builder.js';
import { Tensor } from '../../ir/tensor.js';
import { WebGpuDevice } from './device.js';
import { adapterName, isCpuAdapter } from './gpu.js';

const fill = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7) % 13) * 0.01 - 0.05;
  return a;
};
const f32 = (dims: number[]) => new Tensor('float32', fill(dims.reduce((a, b) => a * b, 1)), dims);

export interface WebGpuCalibratorOptions {
  /** Fewer repeats and smaller transfers (seconds instead of tens of seconds on SwiftShader). */
  quick?: boolean;
}

export class WebGpuCalibrator implements Calibrator {
  readonly device: string;
  readonly description = 'WGSL kernels through the WebGPU device (sustained matmul, copy, dispatch, submit, transfers)';
  /** The adapter decides whether a cached profile applies. */
  config?: string;
  private dev?: WebGpuDevice;
  private own = false;
  private readonly opts: WebGpuCalibratorOptions;

  constructor(
    private readonly ctx: CalibrationContext,
    opts: WebGpuCalibratorOptions = {},
  ) {
    this.device = ctx.id;
    this.opts = { quick: ctx.quick, ...opts };
    if (ctx.device instanceof WebGpuDevice) this.use(ctx.device);
  }

  private use(d: WebGpuDevice): void {
    this.dev = d;
    this.config = `adapter=${adapterName(d.adapter.info)} ${CALIBRATION_VERSION}`;
  }

  async prepare(): Promise<void> {
    if (this.dev) return;
    const adapter = this.ctx.id.startsWith('webgpu:') ? this.ctx.id.slice(7) : undefined;
    this.use(await WebGpuDevice.create({ id: this.ctx.id, adapter }));
    this.own = true;
  }

  private get gpu(): WebGpuDevice {
    if (!this.dev) throw new Error('WebGpuCalibrator: prepare() opens the device before the steps run');
    return this.dev;
  }

  base(): DeviceProfile {
    const p = structuredClone(WEBGPU);
    // base() is read after the steps: the device's facts are still at hand (dispose comes last)
    p.id = this.device;
    if (this.dev) {
      const info = this.dev.adapter.info;
      p.name = `WebGPU: ${adapterName(info)}`;
      p.vendor = info.vendor || undefined;
      const L = this.dev.limits;
      if (L.maxStorageBufferBindingSize)
        p.maxBindingBytes = est(Math.min(L.maxStorageBufferBindingSize, L.maxBufferSize ?? Infinity), 'adapter limits');
      if (isCpuAdapter(info)) {
        p.computesOn = 'host-cpu';
        (p.notes ??= []).push(
          `${adapterName(info)} is a CPU implementation of WebGPU: its shaders run on the host's cores`,
        );
      }
    }
    return p;
  }

  steps(): CalibrationStep[] {
    const q = !!this.opts.quick;
    return [
      { name: 'matmul float32 (sustained)', run: () => this.matmul(q) },
      { name: 'copy bandwidth, upload and readback', run: () => this.copy(q) },
      { name: 'dispatch and submit overhead, transfer latency', run: () => this.overheads(q) },
    ];
  }

  /** A bench of `make(size)`, the size growing by `factor` until one run takes >= minMs (or maxSize). */
  private async grow(
    size: number,
    maxSize: number,
    factor: number,
    minMs: number,
    make: (size: number) => Promise<UnitBench>,
  ): Promise<{ bench: UnitBench; size: number; one: number; createMs: number }> {
    let createMs = -1;
    for (;;) {
      // the first create compiles the kernel's pipeline (later sizes may reuse it): a first-run cost
      const t0 = performance.now();
      const bench = await make(size);
      if (createMs < 0) createMs = performance.now() - t0;
      const one = await bench.best(1, 1);
      if (one >= minMs || size * factor > maxSize) return { bench, size, one, createMs };
      bench.dispose();
      size *= factor;
    }
  }

  private async matmul(quick: boolean): Promise<Measurements> {
    // small sizes time the overhead, not the arithmetic: a real GPU needs 2048², SwiftShader is
    // busy for 20 ms at 256²
    const {
      bench,
      size: n,
      one,
      createMs,
    } = await this.grow(256, 2048, 2, 15, (n) => {
      const g = new GraphBuilder(`calibrate-matmul-${n}`);
      const a = g.input('a', 'float32', [n, n]);
      g.output(g.op('MatMul', [a, g.constant(f32([n, n]))]), 'y');
      return UnitBench.create(this.gpu, g.build(), [f32([n, n])]);
    });
    // runs queued back to back for ~60-120 ms of work, so the queue never drains
    const k = Math.max(2, Math.min(32, Math.ceil((quick ? 60 : 120) / one)));
    const ms = await bench.sustained(k, quick ? 1 : 2);
    bench.dispose();
    const gflops = (2 * n ** 3) / (ms * 1e6);
    // the compute curve: smaller matmuls the same way (a big GPU runs a 128-row matmul at a tenth
    // of its peak; the roofline needs that to predict the small kernels models are made of)
    const curve = [{ flops: 2 * n ** 3, gflops }];
    for (let m = 128; m < n; m *= 2) curve.push({ flops: 2 * m ** 3, gflops: await this.matmulAt(m, quick) });
    return { matmulGflops: { float32: gflops }, matmulCurve: curve, compileKernelUs: [createMs * 1e3] };
  }

  /**
   * Sustained GFLOP/s of m x m matmuls inside a unit, as a model runs them: a chain of 8 in one
   * unit (one submit for all eight, not one each), units queued back to back for ~20-40 ms. The
   * per-dispatch cost stays in (applyMeasurements takes it out once it is measured).
   */
  private async matmulAt(m: number, quick: boolean): Promise<number> {
    const chain = 8;
    const g = new GraphBuilder(`calibrate-matmul-chain-${m}`);
    let x = g.input('a', 'float32', [m, m]);
    for (let i = 0; i < chain; i++) x = g.op('MatMul', [x, g.constant(f32([m, m]), `w${i}`)]);
    g.output(x, 'y');
    const bench = await UnitBench.create(this.gpu, g.build(), [f32([m, m])]);
    try {
      const one = await bench.best(1, 1);
      const k = Math.max(2, Math.min(64, Math.ceil((quick ? 20 : 40) / Math.max(one, 0.01))));
      return (chain * 2 * m ** 3) / ((await bench.sustained(k, quick ? 1 : 2)) * 1e6);
    } finally {
      bench.dispose();
    }
  }

  /** Copy bandwidth from an Add over two inputs; upload and readback bandwidth on the same tensors. */
  private async copy(quick: boolean): Promise<Measurements> {
    const gpu = this.gpu;
    const make = (n: number) => {
      const g = new GraphBuilder('calibrate-copy');
      const a = g.input('a', 'float32', [n]),
        b = g.input('b', 'float32', [n]);
      g.output(g.op('Add', [a, b]), 'c');
      return UnitBench.create(gpu, g.build(), [f32([n]), f32([n])]);
    };
    // 1 Mi elements (4 MiB a tensor) and up, until a run takes >= 10 ms
    const { bench, size: n } = await this.grow(2 ** 20, 2 ** 24, 4, 10, make);
    const ms = await bench.sustained(quick ? 2 : 4, quick ? 1 : 2);
    const bytes = n * 4;
    const host = f32([n]);
    let up = Infinity,
      down = Infinity;
    for (let r = 0; r < (quick ? 2 : 4); r++) {
      let t0 = performance.now();
      const d = await gpu.upload(host);
      await gpu.finish();
      up = Math.min(up, performance.now() - t0);
      gpu.release(d);
      // readback needs a tensor the GPU wrote (an uploaded one keeps its host copy)
      const [o] = await bench.runOnce();
      t0 = performance.now();
      await gpu.download(o!);
      down = Math.min(down, performance.now() - t0);
      gpu.release(o!);
    }
    bench.dispose();
    return { copyGBs: (3 * bytes) / (ms * 1e6), uploadGBs: bytes / (up * 1e6), readbackGBs: bytes / (down * 1e6) };
  }

  /**
   * Per-dispatch cost from a chain of tiny kernels in one submit against a single one; the rest
   * of the single one's time is the unit's fixed cost. Transfer latency from 1 KiB tensors.
   */
  private async overheads(quick: boolean): Promise<Measurements> {
    const gpu = this.gpu;
    const reps = quick ? 6 : 15;
    const chain = (len: number) => {
      const g = new GraphBuilder(`calibrate-dispatch-${len}`);
      let x = g.input('x', 'float32', [256]);
      // no elementwise fusion here: every node is its own dispatch, as unfusable kernels are
      for (let i = 0; i < len; i++) x = g.op(i % 2 ? 'Neg' : 'Relu', [x]);
      g.output(x, 'y');
      return UnitBench.create(gpu, g.build(), [f32([256])], ['lower', 'dce']);
    };
    const one = await chain(1),
      many = await chain(17);
    await one.best(1, 1);
    await many.best(1, 1);
    // interleaved, so a burst of load on the machine hits both alike
    let t1 = Infinity,
      t17 = Infinity;
    for (let r = 0; r < reps; r++) {
      t1 = Math.min(t1, await one.time());
      t17 = Math.min(t17, await many.time());
    }
    const dispatchMs = Math.max(0, (t17 - t1) / 16);
    const small = f32([256]); // > 64 elements: smaller tensors stay on the host until a kernel reads them
    let up = Infinity,
      down = Infinity;
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      const d = await gpu.upload(small);
      await gpu.finish();
      up = Math.min(up, performance.now() - t0);
      gpu.release(d);
      const [o] = await one.runOnce();
      t0 = performance.now();
      await gpu.download(o!);
      down = Math.min(down, performance.now() - t0);
      gpu.release(o!);
    }
    one.dispose();
    many.dispose();
    return {
      dispatchUs: dispatchMs * 1e3,
      unitUs: Math.max(0, t1 - dispatchMs) * 1e3,
      uploadLatencyUs: up * 1e3,
      readbackLatencyUs: down * 1e3,
    };
  }

  async dispose(): Promise<void> {
    if (this.own) await this.dev?.dispose();
    if (this.own) this.dev = undefined;
  }
}

registerCalibrator('webgpu', (ctx) => new WebGpuCalibrator(ctx));
