// Concat scatters each input into its slab of the output; Split gathers each output's slab.

import { normAxis } from '../../../ir/shape.js';
import { type Dispatch, registerKernels } from '../kernel.js';
import { typesKey } from '../variant.js';
import { strides } from '../wgsl.js';
import { copyKernel, copyParams } from './lib/copy.js';
import { offsetParams, unflattenParams } from './lib/index-math.js';

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
        // every input is the same program (its offset along the axis and its dims are in P)
        const p = copyParams(a.ctx, n);
        const unflat = unflattenParams('i', x.dims, 'c', p);
        const coords = x.dims.map((_, k) => (k === axis ? `(c${k} + ${p.u(off)})` : `c${k}`));
        const body = `    ${unflat}\n    y_set(${offsetParams(coords, yst, p)}, x(i));`;
        const v = { family: 'concat-split', name: 'concat', key: { rank: r, axis, types: typesKey([x], [y]) } };
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Concat:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: j } }],
            { name: 'y', layout: y.layout, ref: { out: 0 } },
            body,
            v,
            p,
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
        const p = copyParams(a.ctx, n);
        const unflat = unflattenParams('i', y.dims, 'c', p);
        const coords = y.dims.map((_, k) => (k === axis ? `(c${k} + ${p.u(off)})` : `c${k}`));
        const body = `    ${unflat}\n    y_set(i, x(${offsetParams(coords, st, p)}));`;
        const key = { rank: x.dims.length, axis, types: typesKey([x], [y]) };
        ds.push(
          copyKernel(
            a.ctx,
            'nn.Split:layout',
            n,
            [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
            { name: 'y', layout: y.layout, ref: { out: j } },
            body,
            { family: 'concat-split', name: 'split', key },
            p,
          ),
        );
      }
      off += y.dims[axis]!;
    });
    return { dispatches: ds };
  },
});
