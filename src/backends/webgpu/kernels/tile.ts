// Tile: a gather with the source coordinate c mod the input dim.

import { registerKernels } from '../kernel.js';
import { gatherPlan } from './lib/copy.js';

registerKernels({
  ops: ['nn.Tile'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    return gatherPlan(a, 'tile', (k, p) => `c${k} % ${p.u(x.dims[k]!)}`);
  },
});
