// Generators family on WebGPU: Identity is a view (the output is the input's storage).

import { registerKernels } from '../kernel.js';

registerKernels({ ops: ['nn.Identity'], plan: () => ({ alias: [0], dispatches: [] }) });
