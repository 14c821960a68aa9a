// Calibrator for the plain JavaScript CPU path (the reference interpreter's device): a blocked
// f32/f64 matmul, a large typed-array copy, and the per-call overhead of a tiny kernel.
// Each benchmark takes the best of several repeats: the peak is what the model wants.

import { JS_CPU } from '../catalog/local.js';
import type { CalibrationStep, Calibrator, Measurements } from './calibrator.js';
import { registerCalibrator } from './calibrator.js';

const now = () => performance.now();

function bestOf(repeats: number, f: () => void): number {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    f();
    best = Math.min(best, now() - t0);
  }
  return best; // ms
}

/** C += A·B with the i-k-j loop order (unit-stride inner loop), n x n. */
function matmul(
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  c: Float32Array | Float64Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j]!;
    }
  }
}

function matmulStep(n: number, dtype: 'float32' | 'float64', repeats: number): CalibrationStep {
  return {
    name: `matmul ${dtype} ${n}x${n}`,
    run(): Measurements {
      const Arr = dtype === 'float32' ? Float32Array : Float64Array;
      const a = new Arr(n * n).map((_, i) => (i % 7) * 0.1);
      const b = new Arr(n * n).map((_, i) => (i % 5) * 0.1);
      const c = new Arr(n * n);
      matmul(a, b, c, n); // warm up the JIT
      const ms = bestOf(repeats, () => matmul(a, b, c, n));
      return { matmulGflops: { [dtype]: (2 * n ** 3) / (ms * 1e6) } };
    },
  };
}

function copyStep(mb: number, repeats: number): CalibrationStep {
  return {
    name: `copy ${mb} MB`,
    run(): Measurements {
      const n = (mb * 2 ** 20) / 8;
      const src = new Float64Array(n).fill(1);
      const dst = new Float64Array(n);
      dst.set(src);
      const ms = bestOf(repeats, () => dst.set(src));
      return { copyGBs: (2 * n * 8) / (ms * 1e6) };
    },
  };
}

function dispatchStep(calls: number): CalibrationStep {
  return {
    name: 'dispatch overhead',
    run(): Measurements {
      const x = new Float32Array(4).fill(1);
      const y = new Float32Array(4);
      // the smallest kernel the interpreter would run: a 4-element add through a closure call
      const kernel = (a: Float32Array, o: Float32Array) => {
        for (let i = 0; i < a.length; i++) o[i] = a[i]! + 1;
        return o;
      };
      let sink = 0;
      const run = () => {
        for (let i = 0; i < calls; i++) sink += kernel(x, y)[0]!;
      };
      run();
      const ms = bestOf(5, run);
      if (sink < 0) throw new Error('unreachable');
      return { dispatchUs: (ms * 1e3) / calls };
    },
  };
}

export interface JsCpuOptions {
  quick?: boolean;
}

export class JsCpuCalibrator implements Calibrator {
  readonly device = 'cpu';
  readonly description = 'plain JavaScript on the main thread';
  constructor(private readonly opts: JsCpuOptions = {}) {}
  base() {
    return JS_CPU;
  }
  steps(): CalibrationStep[] {
    const q = this.opts.quick;
    return [
      matmulStep(q ? 32 : 64, 'float32', q ? 2 : 5),
      matmulStep(q ? 48 : 128, 'float32', q ? 2 : 5),
      matmulStep(q ? 64 : 256, 'float32', q ? 1 : 3),
      matmulStep(q ? 48 : 128, 'float64', q ? 2 : 5),
      copyStep(q ? 4 : 64, q ? 2 : 5),
      dispatchStep(q ? 10_000 : 200_000),
    ];
  }
}

registerCalibrator('cpu', () => new JsCpuCalibrator());
