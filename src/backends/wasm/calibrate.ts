// Calibrator for the WASM device ('wasm'): a packed-weight matmul, a streaming add, the cost of
// tiny kernels, and transfers into and out of linear memory. It measures the device the runtime
// opened when it is handed one (its thread count is part of the cached profile's configuration),
// else one device with the default thread count for every step. Each figure is a best of repeats.

import {
  CALIBRATION_VERSION,
  type CalibrationContext,
  type CalibrationStep,
  type Calibrator,
  type Measurements,
  registerCalibrator,
} from '../../cost/calibrate/calibrator.js';
import { UnitBench } from '../../cost/calibrate/unit-bench.js';
import { WASM } from '../../cost/catalog/local.js';
import type { DeviceProfile } from '../../cost/profile.js';
import { GraphBuilder } from '../../ir/builder.js';
import { Tensor } from '../../ir/tensor.js';
import { WasmDevice } from './device.js';

const fill = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7) % 13) * 0.01;
  return a;
};
const f32 = (dims: number[]) => new Tensor('float32', fill(dims.reduce((a, b) => a * b, 1)), dims);

export class WasmCalibrator implements Calibrator {
  readonly device: string;
  readonly description = 'WASM SIMD kernels on the worker pool';
  config?: string;
  private dev?: WasmDevice;
  private own = false;

  constructor(private readonly ctx: CalibrationContext) {
    this.device = ctx.id;
    if (ctx.device instanceof WasmDevice) this.use(ctx.device);
  }

  private use(d: WasmDevice): void {
    this.dev = d;
    this.config = `threads=${d.threads} ${CALIBRATION_VERSION}`;
  }

  async prepare(): Promise<void> {
    if (this.dev) return;
    this.use(await WasmDevice.create({ id: this.ctx.id, onWarning: () => {} }));
    this.own = true;
  }

  private get wasm(): WasmDevice {
    if (!this.dev) throw new Error('WasmCalibrator: prepare() opens the device before the steps run');
    return this.dev;
  }

  base(): DeviceProfile {
    const p = structuredClone(WASM);
    p.id = this.device;
    p.computesOn = 'host-cpu';
    if (this.dev) p.name = `WASM SIMD, ${this.dev.threads} thread${this.dev.threads > 1 ? 's' : ''}`;
    p.notes = [...(p.notes ?? []), "WASM kernels run on the main thread and the pool's workers: the host's cores"];
    return p;
  }

  steps(): CalibrationStep[] {
    const q = !!this.ctx.quick;
    return [
      ...(q ? [256, 512] : [256, 512, 1024]).map((n) => this.matmulStep(n, q)),
      this.addStep(q ? 8 : 32, q),
      this.overheadStep(q),
      this.transferStep(q ? 8 : 32, q),
    ];
  }

  private matmulStep(n: number, quick: boolean): CalibrationStep {
    return {
      name: `matmul float32 ${n}x${n}`,
      run: async (): Promise<Measurements> => {
        const g = new GraphBuilder(`calibrate-matmul-${n}`);
        const a = g.input('a', 'float32', [n, n]);
        g.output(g.op('MatMul', [a, g.constant(f32([n, n]))]), 'y');
        const b = await UnitBench.create(this.wasm, g.build(), [f32([n, n])]);
        await b.warm(quick ? 60 : 150); // the first runs plan and tier up
        const ms = await b.best(quick ? 3 : 5, 0);
        b.dispose();
        const gflops = (2 * n ** 3) / (ms * 1e6);
        return { matmulGflops: { float32: gflops }, matmulCurve: [{ flops: 2 * n ** 3, gflops }] };
      },
    };
  }

  private addStep(mib: number, quick: boolean): CalibrationStep {
    return {
      name: `add ${mib} MiB`,
      run: async (): Promise<Measurements> => {
        const n = (mib * 2 ** 20) / 4;
        const g = new GraphBuilder('calibrate-add');
        const a = g.input('a', 'float32', [n]),
          c = g.input('b', 'float32', [n]);
        g.output(g.op('Add', [a, c]), 'c');
        const b = await UnitBench.create(this.wasm, g.build(), [f32([n]), f32([n])]);
        const ms = await b.best(quick ? 3 : 5, 1);
        b.dispose();
        // three expressions, the median kept: one compile that met a busy worker does not set it
        const compiles = [];
        for (const f of ['Tanh', 'Sigmoid', 'Exp']) compiles.push(await this.compileUs(f));
        return { copyGBs: (3 * n * 4) / (ms * 1e6), compileKernelUs: compiles };
      },
    };
  }

  /**
   * Compiling a fused elementwise kernel: a tiny unit's first run (its expression generated,
   * compiled and loaded on every worker) less a steady run of it, microseconds.
   */
  private async compileUs(fn: string): Promise<number> {
    const g = new GraphBuilder('calibrate-compile');
    const a = g.input('a', 'float32', [256]),
      c = g.input('b', 'float32', [256]);
    // an expression nothing else compiles, so the module is new to this device
    g.output(g.op('Sigmoid', [g.op('Sub', [g.op('Mul', [g.op(fn, [a]), c]), g.op('Abs', [c])])]), 'y');
    const b = await UnitBench.create(this.wasm, g.build(), [f32([256]), f32([256])]);
    const first = await b.time();
    const steady = await b.best(5, 1);
    b.dispose();
    return Math.max(0, first - steady) * 1e3;
  }

  /**
   * A chain of 17 tiny kernels against a single one, on the device's own threads (waking the
   * pool is part of every kernel): per-kernel cost, and what is left of one run as the unit's.
   */
  private overheadStep(quick: boolean): CalibrationStep {
    return {
      name: 'dispatch overhead',
      run: async (): Promise<Measurements> => {
        const chain = (len: number) => {
          const g = new GraphBuilder(`calibrate-dispatch-${len}`);
          let x = g.input('x', 'float32', [64]);
          for (let i = 0; i < len; i++) x = g.op(i % 2 ? 'Neg' : 'Relu', [x]);
          g.output(x, 'y');
          return UnitBench.create(this.wasm, g.build(), [f32([64])], ['lower', 'dce']);
        };
        const one = await chain(1),
          many = await chain(17);
        const reps = quick ? 20 : 100;
        await one.best(1, 2);
        await many.best(1, 2);
        // interleaved, so a burst of load on the machine hits both alike
        let t1 = Infinity,
          t17 = Infinity;
        for (let r = 0; r < reps; r++) {
          t1 = Math.min(t1, await one.time());
          t17 = Math.min(t17, await many.time());
        }
        one.dispose();
        many.dispose();
        const perKernel = Math.max(0, (t17 - t1) / 16);
        return { dispatchUs: perKernel * 1e3, unitUs: Math.max(0, t1 - perKernel) * 1e3 };
      },
    };
  }

  private transferStep(mib: number, quick: boolean): CalibrationStep {
    return {
      name: `upload and readback ${mib} MiB`,
      run: async (): Promise<Measurements> => {
        const dev = this.wasm;
        const big = f32([(mib * 2 ** 20) / 4]),
          small = f32([256]);
        const time = async (f: () => Promise<unknown>) => {
          const t0 = performance.now();
          await f();
          return performance.now() - t0;
        };
        let up = Infinity,
          upLat = Infinity,
          down = Infinity,
          downLat = Infinity;
        const ub = await dev.upload(big),
          us = await dev.upload(small);
        // latency first: the big copies leave garbage whose collection lands in whatever runs next
        for (let r = 0; r < (quick ? 5 : 20); r++) {
          upLat = Math.min(upLat, await time(async () => dev.release(await dev.upload(small))));
          downLat = Math.min(downLat, await time(() => dev.download(us)));
        }
        for (let r = 0; r < (quick ? 3 : 5); r++) {
          up = Math.min(up, await time(async () => dev.release(await dev.upload(big))));
          down = Math.min(down, await time(() => dev.download(ub)));
        }
        dev.release(ub);
        dev.release(us);
        return {
          uploadGBs: big.byteLength / (up * 1e6),
          uploadLatencyUs: upLat * 1e3,
          readbackGBs: big.byteLength / (down * 1e6),
          readbackLatencyUs: downLat * 1e3,
        };
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.own) {
      await this.dev?.dispose();
      this.dev = undefined;
    }
  }
}

registerCalibrator('wasm', (ctx) => new WasmCalibrator(ctx));
