// TopK (shaders/topk.wgsl): one workgroup per row, a bitonic sort in workgroup memory.

import { normAxis } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { registerKernels } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { fillTemplate, ShaderBuilder } from '../wgsl.js';

registerKernels({
  ops: ['nn.TopK'],
  int64Inputs: [1],
  int64Outputs: true,
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!,
      vals = a.outs[0]!,
      idx = a.outs[1]!;
    const axis = normAxis(a.attrs.int('axis', -1), x.dims.length);
    const K = Number(toIntArray(a.ins[1]!.host!)[0]);
    const R = x.dims[axis]!;
    const inner = x.dims.slice(axis + 1).reduce((p, q) => p * q, 1);
    const nout = x.layout.numel / Math.max(1, R);
    if (K === 0 || nout === 0) return { dispatches: [] };
    let wg = 1;
    while (wg < R && wg < a.ctx.tiles.rowWg) wg *= 2;
    const b = new ShaderBuilder().input('x', x.layout).output('vals', vals.layout).output('idx', idx.layout);
    const code = fillTemplate('topk', {
      BINDINGS: b.header(),
      R,
      NOUT: nout,
      WG: wg,
      K,
      INNER: inner,
      T: x.layout.wtype,
      CMP: a.attrs.int('largest', 1) === 1 ? '>' : '<',
    });
    return {
      dispatches: [
        {
          code,
          variant: { family: 'topk', name: 'topk', key: { ...bakedKey(a), wg: a.ctx.wg } },
          bindings: b.bindings,
          tensors: [{ in: 0 }, { out: 0 }, { out: 1 }],
          grid: a.ctx.grid(nout),
          label: 'nn.TopK:topk',
        },
      ],
    };
  },
});
