// Softmax family (shaders/softmax.wgsl): softmax, log-softmax and hardmax, one workgroup per row,
// and the lowered k.softmax.

import { normAxis } from '../../../ir/shape.js';
import { registerKernels } from '../kernel.js';
import { fillTemplate, ShaderBuilder } from '../wgsl.js';
import { delegate } from './lib/expr.js';
import { rowWg } from './lib/rows.js';

registerKernels({
  ops: ['nn.Softmax', 'nn.LogSoftmax', 'nn.Hardmax'],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    if (y.layout.numel === 0) return { dispatches: [] };
    const dims = x.dims;
    let R: number, nout: number, stride: number, base: string;
    if (a.attrs.int('coerce_2d', 0) === 1) {
      let ax = a.attrs.int('axis', 1);
      if (ax < 0) ax += dims.length;
      R = dims.slice(ax).reduce((p, q) => p * q, 1);
      nout = dims.slice(0, ax).reduce((p, q) => p * q, 1);
      stride = 1;
      base = `return o * ${R}u;`;
    } else {
      const ax = normAxis(a.attrs.int('axis', -1), dims.length);
      R = dims[ax]!;
      const inner = dims.slice(ax + 1).reduce((p, q) => p * q, 1);
      nout = x.layout.numel / Math.max(1, R);
      stride = inner;
      base =
        inner === 1
          ? `return o * ${R}u;`
          : `let outer = o / ${inner}u; let inn = o - outer * ${inner}u; return outer * ${R * inner}u + inn;`;
    }
    if (R === 0 || nout === 0) return { dispatches: [] };
    const kind = a.node.op === 'nn.Softmax' ? 0 : a.node.op === 'nn.LogSoftmax' ? 1 : 2;
    const yw = y.layout.wtype;
    const b = new ShaderBuilder().input('x', x.layout).output('y', y.layout);
    const code = fillTemplate('softmax', {
      BINDINGS: b.header(),
      R,
      NOUT: nout,
      WG: rowWg(a.ctx, R),
      STRIDE: stride,
      KIND: kind,
      BASE: base,
      OUT: yw,
      STORE: y.dtype === 'float16' && yw === 'f32' ? 'f16round(out)' : 'out',
    });
    return {
      dispatches: [
        {
          code,
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
