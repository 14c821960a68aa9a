// Trilu: a copy that keeps the upper or lower triangle of the last two dims.

import { toIntArray } from '../../../ir/tensor.js';
import { registerKernels } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { lit, unflatten } from '../wgsl.js';
import { copyKernel } from './lib/copy.js';

registerKernels({
  ops: ['nn.Trilu'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const kk = a.ins[1]?.host ? Number(toIntArray(a.ins[1].host)[0]) : 0;
    const upper = a.attrs.int('upper', 1) === 1;
    const cond = upper ? `i32(c${r - 1}) - i32(c${r - 2}) >= ${kk}i` : `i32(c${r - 1}) - i32(c${r - 2}) <= ${kk}i`;
    const w = x.layout.wtype;
    const zero = lit(0, w);
    return a.outs[0]!.layout.numel && x.layout.numel
      ? {
          dispatches: [
            copyKernel(
              a.ctx,
              'nn.Trilu:layout',
              a.outs[0]!.layout.numel,
              [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
              { name: 'y', layout: a.outs[0]!.layout, ref: { out: 0 } },
              `    ${unflatten('i', x.dims, 'c')}\n    y_set(i, select(${zero}, x(i), ${cond}));`,
              { family: 'trilu', name: upper ? 'upper' : 'lower', key: bakedKey(a) },
            ),
          ],
        }
      : { dispatches: [] };
  },
});
