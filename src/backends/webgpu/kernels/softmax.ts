// Softmax family (shaders/softmax.wgsl): softmax, log-softmax and hardmax, one workgroup per row,
// and the lowered k.softmax.

import { normAxis } from '../../../ir/shape.js';
import { registerKernels } from '../kernel.js';
import { typesKey } from '../variant.js';
import { fillTemplate, partsOf, ShaderBuilder } from '../wgsl.js';
import { delegate } from './lib/expr.js';
import { rowWg } from './lib/rows.js';

registerKernels({
  ops: ['nn.Softmax', 'nn.LogSoftmax', 'nn.Hardmax'],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    if (y.layout.numel === 0) return { dispatches: [] };
    const dims = x.dims;
    let R: number, nout: number, stride: number;
    if (a.attrs.int('coerce_2d', 0) === 1) {
      let ax = a.attrs.int('axis', 1);
      if (ax < 0) ax += dims.length;
      R = dims.slice(ax).reduce((p, q) => p * q, 1);
      nout = dims.slice(0, ax).reduce((p, q) => p * q, 1);
      stride = 1;
    } else {
      const ax = normAxis(a.attrs.int('axis', -1), dims.length);
      R = dims[ax]!;
      const inner = dims.slice(ax + 1).reduce((p, q) => p * q, 1);
      nout = x.layout.numel / Math.max(1, R);
      stride = inner;
    }
    if (R === 0 || nout === 0) return { dispatches: [] };
    const kind = a.node.op === 'nn.Softmax' ? 0 : a.node.op === 'nn.LogSoftmax' ? 1 : 2;
    const yw = y.layout.wtype;
    const b = new ShaderBuilder().uniform().input('x', x.layout).output('y', y.layout);
    const wg = rowWg(a.ctx, R);
    const store = y.dtype === 'float16' && yw === 'f32' ? 'f16round(out)' : 'out';
    const code = fillTemplate('softmax', { BINDINGS: b.header(), WG: wg, KIND: kind, OUT: yw, STORE: store });
    const parts = `${partsOf(x.layout)},${partsOf(y.layout)}`;
    return {
      dispatches: [
        {
          code,
          variant: {
            family: 'softmax',
            name: a.node.op.replace('nn.', ''),
            key: { types: typesKey(a.ins, a.outs), parts, wg, store: store === 'out' ? 'plain' : 'f16round' },
          },
          // the row's length, rows, and the stride of its elements (the product of the dims after the axis)
          params: new Uint32Array([R, nout, stride, R * stride]),
          bindings: b.bindings,
          tensors: [{ in: 0 }, { out: 0 }],
          grid: a.ctx.grid(nout),
          label: `${a.node.op}:softmax`,
        },
      ],
    };
  },
});

registerKernels({
  ops: ['k.softmax'],
  plan: (a) => {
    const op = a.attrs.int('log', 0) ? 'nn.LogSoftmax' : 'nn.Softmax';
    return delegate(op, (x) => ({ axis: { kind: 'int', value: x.int('axis') } }))(a);
  },
});
