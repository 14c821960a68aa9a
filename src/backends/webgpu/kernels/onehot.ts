// OneHot on the copy template.

import { normAxis } from '../../../ir/shape.js';
import { registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { copyKernel } from './lib/copy.js';

// OneHot: output element (o, k, b) holds values[1] where indices[o, b] (negative: + depth) == k,
// values[0] elsewhere; depth is read on the host, so the shape is known when planning
registerKernels({
  ops: ['nn.OneHot'],
  int64Inputs: [0, 1],
  hostInputs: () => [1],
  plan(a) {
    const ind = a.ins[0]!,
      vals = a.ins[2]!,
      y = a.outs[0]!;
    const n = y.layout.numel;
    if (n === 0) return { dispatches: [] };
    const axis = normAxis(a.attrs.int('axis', -1), ind.dims.length + 1, 'axis');
    const depth = y.dims[axis]!;
    const inner = ind.dims.slice(axis).reduce((p, q) => p * q, 1);
    const body = [
      `    let o = i / ${depth * inner}u; let k = i32((i / ${inner}u) % ${depth}u); let b = i % ${inner}u;`,
      `    var g = i32(ind(o * ${inner}u + b)); if (g < 0) { g = g + ${depth}i; }`,
      `    y_set(i, select(v(0u), v(1u), g == k));`,
    ].join('\n');
    const ins = [
      { name: 'ind', layout: ind.layout, ref: { in: 0 } as TRef },
      { name: 'v', layout: vals.layout, ref: { in: 2 } as TRef },
    ];
    return {
      dispatches: [
        copyKernel(a.ctx, 'nn.OneHot:layout', n, ins, { name: 'y', layout: y.layout, ref: { out: 0 } }, body, {
          family: 'onehot',
          name: 'onehot',
          key: bakedKey(a),
        }),
      ],
    };
  },
});
