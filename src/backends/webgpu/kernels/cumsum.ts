// CumSum on the copy template: one thread per line along the axis (exclusive and reverse).

import { normAxis } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { registerKernels } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { lit } from '../wgsl.js';
import { copyKernel } from './lib/copy.js';
import { storeRule } from './lib/elementwise.js';

registerKernels({
  ops: ['nn.CumSum'],
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    if (y.layout.numel === 0) return { dispatches: [] };
    const axis = normAxis(Number(toIntArray(a.ins[1]!.host!)[0]), x.dims.length);
    const R = x.dims[axis]!;
    const inner = x.dims.slice(axis + 1).reduce((p, q) => p * q, 1);
    const lines = y.layout.numel / R;
    const excl = a.attrs.int('exclusive', 0) === 1,
      rev = a.attrs.int('reverse', 0) === 1;
    const w = y.layout.wtype;
    const body = [
      `    let outer = i / ${inner}u; let inn = i - outer * ${inner}u; let base = outer * ${R * inner}u + inn;`,
      `    var acc = ${lit(0, w)};`,
      `    for (var s = 0u; s < ${R}u; s = s + 1u) {`,
      `      let r = ${rev ? `${R - 1}u - s` : 's'};`,
      `      let v = x(base + r * ${inner}u);`,
      excl
        ? `      y_set(base + r * ${inner}u, ${storeRule('acc', y.dtype, w)}); acc = acc + v;`
        : `      acc = acc + v; y_set(base + r * ${inner}u, ${storeRule('acc', y.dtype, w)});`,
      `    }`,
    ].join('\n');
    return {
      dispatches: [
        copyKernel(
          a.ctx,
          'nn.CumSum:scan',
          lines,
          [{ name: 'x', layout: x.layout, ref: { in: 0 } }],
          { name: 'y', layout: y.layout, ref: { out: 0 } },
          body,
          { family: 'cumsum', name: 'scan', key: bakedKey(a) },
        ),
      ],
    };
  },
});
