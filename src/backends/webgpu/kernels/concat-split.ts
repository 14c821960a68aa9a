// Concat scatters each input into its slab of the output; Split gathers each output's slab.

import { normAxis } from '../../../ir/shape.js';
import { type Dispatch, registerKernels } from '../kernel.js';
import { strides, unflatten } from '../wgsl.js';
import { copyKernel, offsetFrom } from './lib/copy.js';

registerKernels({
  ops: ['nn.Concat'],
  plan(a) {
    const y = a.outs[0]!;
    const r = y.dims.length;
    const axis = normAxis(a.attrs.int('axis'), r);
    const yst = strides(y.dims);
    const ds: Dispatch[] = [];
    let off = 0;
    a.ins.forEach((x, j) => {
      if (!x) return;
      const n = x.layout.numel;
      if (n > 0) {
        const coords = x.dims.map((_, k) => (k === axis && off ? `(c${k} + ${off}u)` : `c${k}`));
        const body = `    ${unflatten('i', x.dims, 'c')}\n    y_set(${offsetFrom(coords, yst)}, x(i));`;
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Concat:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: j } }],
            { name: 'y', layout: y.layout, ref: { out: 0 } },
            body,
          ),
        );
      }
      off += x.dims[axis]!;
    });
    return { dispatches: ds };
  },
});

registerKernels({
  ops: ['nn.Split'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const axis = normAxis(a.attrs.int('axis', 0), x.dims.length);
    const st = strides(x.dims);
    const ds: Dispatch[] = [];
    let off = 0;
    a.outs.forEach((y, j) => {
      const n = y.layout.numel;
      if (n > 0) {
        const coords = y.dims.map((_, k) => (k === axis && off ? `(c${k} + ${off}u)` : `c${k}`));
        const body = `    ${unflatten('i', y.dims, 'c')}\n    y_set(i, x(${offsetFrom(coords, st)}));`;
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Split:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
            { name: 'y', layout: y.layout, ref: { out: j } },
            body,
          ),
        );
      }
      off += y.dims[axis]!;
    });
    return { dispatches: ds };
  },
});
