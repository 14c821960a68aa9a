// Dropout on WASM: a view at inference (training_mode known false, or a ratio known to be 0, which
// torch exports for a dropout of p=0 called with training=True); a mask output or a training_mode
// not known to be false with a ratio that may drop (random dropout) takes the reference path.

import type { WasmFamily } from '../plan.js';
import { view } from './lib/copy.js';

export const KERNELS: WasmFamily = {
  planners: {
    'nn.Dropout': (ctx) => {
      const n = ctx.node;
      const [, ratio, training] = n.inputs;
      const noDrop = !!ratio?.const && Number(ratio.const.data[0]) === 0;
      const mayTrain = !!training && !(training.const && !training.const.data[0]) && !noDrop;
      if (n.outputs[1] || mayTrain) return 'cpu';
      return view(ctx);
    },
  },
  anyDtype: ['nn.Dropout'],
};
