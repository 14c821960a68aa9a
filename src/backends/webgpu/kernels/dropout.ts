// Dropout at inference is a view of its input; the mask output and training mode (random) are
// refused so that those nodes run on the reference path, visibly.

import { registerKernels } from '../kernel.js';

registerKernels({
  ops: ['nn.Dropout'],
  int64Inputs: [1],
  supports(node) {
    if (node.outputs[1]) return 'Dropout with a mask output';
    const training = node.inputs[2];
    if (training && !(training.const && !training.const.data[0])) {
      return 'Dropout with a training_mode input (random in training)';
    }
    return true;
  },
  plan: () => ({ alias: [0], dispatches: [] }),
});
