// Dropout on WASM: a view at inference; a mask output or a training_mode not known to be false
// (random dropout) takes the reference path.

import type { WasmFamily } from '../plan.js';
import { view } from './lib/copy.js';

export const KERNELS: WasmFamily = {
  planners: {
    'nn.Dropout': (ctx) => {
      const n = ctx.node;
      const training = n.inputs[2];
      const mayTrain = !!training && !(training.const && !training.const.data[0]);
      if (n.outputs[1] || mayTrain) return 'cpu';
      return view(ctx);
    },
  },
  anyDtype: ['nn.Dropout'],
};
