// Seeded weights and inputs for generated test models.

import { rng } from '../../src/cli/random-inputs.js';
import { Tensor } from '../../src/ir/tensor.js';

export function seeded(seed: number) {
  const r = rng(seed);
  return {
    /** Uniform in [-scale, scale). */
    tensor(dims: number[], scale = 0.5): Tensor {
      const n = dims.reduce((a, b) => a * b, 1);
      return new Tensor(
        'float32',
        Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale),
        dims,
      );
    },
    /** Positive values (variances, scales). */
    positive(dims: number[], lo = 0.5, hi = 1.5): Tensor {
      const n = dims.reduce((a, b) => a * b, 1);
      return new Tensor(
        'float32',
        Float32Array.from({ length: n }, () => lo + r() * (hi - lo)),
        dims,
      );
    },
  };
}
