// Measured contention between two local devices: the same kind of work (a matmul sized to take
// tens of milliseconds on each) timed on each device alone and on both at once. If the pair
// finishes no sooner together than one after the other, the devices share what they compute on
// (a CPU-emulated GPU and the WASM workers on the same two cores, or the JavaScript interpreter
// and the WASM pool that both run on the main thread) and the planner must not count on running
// them side by side.

import type { Device } from '../backends/device.js';
import type { PairMeasurement } from '../cost/calibrate/calibrator.js';
import { UnitBench } from '../cost/calibrate/unit-bench.js';
import { type DeviceProfile, peakFlopsFor } from '../cost/profile.js';
import { GraphBuilder } from '../ir/builder.js';
import { Tensor } from '../ir/tensor.js';

const fill = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 5) % 11) * 0.01 - 0.05;
  return a;
};
const f32 = (n: number) => new Tensor('float32', fill(n * n), [n, n]);

/** A fixed batch of runs on one device, ~targetMs long when the device has the machine to itself. */
export class Workload {
  private constructor(
    readonly device: Device,
    private readonly bench: UnitBench,
    readonly n: number,
    readonly runs: number,
    readonly aloneMs: number,
  ) {}

  static async create(device: Device, profile: DeviceProfile, targetMs = 40): Promise<Workload> {
    // first size from the profile (a run of ~8 ms), then grow while a run is too short to time
    const peak = peakFlopsFor(profile, 'float32');
    let n = 2 ** Math.round(Math.log2(Math.cbrt((8e-3 * peak) / 2)));
    n = Math.min(1024, Math.max(64, n));
    for (;;) {
      const g = new GraphBuilder(`contention-${device.id}-${n}`);
      const a = g.input('a', 'float32', [n, n]);
      g.output(g.op('Relu', [g.op('MatMul', [a, g.constant(f32(n))])]), 'y');
      const bench = await UnitBench.create(device, g.build(), [f32(n)]);
      const one = await bench.best(2, 1);
      if (one >= 4 || n >= 1024) {
        const runs = Math.max(1, Math.min(64, Math.round(targetMs / Math.max(one, 1e-3))));
        const w = new Workload(device, bench, n, runs, Infinity);
        const alone = Math.min(await w.run(), await w.run());
        return new Workload(device, bench, n, runs, alone);
      }
      bench.dispose();
      n *= 2;
    }
  }

  /** ms for the whole batch. */
  async run(): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < this.runs; i++) await this.bench.time();
    return performance.now() - t0;
  }

  dispose(): void {
    this.bench.dispose();
  }
}

/**
 * Both workloads started together, in both orders (a device whose run computes on the main thread
 * holds it until done, so who starts first matters): the better of the two is what overlap can
 * give at best.
 */
export async function measurePair(a: Workload, b: Workload): Promise<PairMeasurement> {
  const both = async (x: Workload, y: Workload) => {
    const t0 = performance.now();
    await Promise.all([x.run(), y.run()]);
    return performance.now() - t0;
  };
  const together = Math.min(await both(a, b), await both(b, a));
  return { aloneMs: [a.aloneMs, b.aloneMs], togetherMs: together, speedup: (a.aloneMs + b.aloneMs) / together };
}
