// ArgMax / ArgMin on the row-reduction template (first or last index of the extreme).

import { normAxis } from '../../../ir/shape.js';
import { registerKernels } from '../kernel.js';
import { reducePlan } from './lib/rows.js';

registerKernels({
  ops: ['nn.ArgMax', 'nn.ArgMin'],
  int64Outputs: true,
  plan(a) {
    const x = a.ins[0]!;
    return reducePlan(a, a.node.op.slice(3) as 'ArgMax', new Set([normAxis(a.attrs.int('axis', 0), x.dims.length)]));
  },
});
