// Pooling family (shaders/pool.wgsl): max and average pooling, global pooling; window geometry
// (ceil_mode, count_include_pad) from the shared nn helpers.

import { geometry, readWindow } from '../../../ops/nn-util.js';
import { registerKernels } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { fillTemplate, ShaderBuilder, unflatten } from '../wgsl.js';
import { storeRule } from './lib/elementwise.js';
import { type Geo, windowCode } from './lib/window.js';

registerKernels({
  ops: ['nn.MaxPool', 'nn.AveragePool', 'nn.GlobalAveragePool', 'nn.GlobalMaxPool'],
  supports(node) {
    if (node.op === 'nn.MaxPool' && node.outputs[1]) return 'MaxPool with an Indices output';
    return true;
  },
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    const n = y.layout.numel;
    if (n === 0) return { dispatches: [] };
    const inSp = x.dims.slice(2);
    const global = a.node.op.includes('Global');
    let g: Geo;
    if (global)
      g = {
        kernel: inSp,
        strides: inSp.map(() => 1),
        dilations: inSp.map(() => 1),
        padBegin: inSp.map(() => 0),
        padEnd: inSp.map(() => 0),
      };
    else {
      const win = readWindow(a.attrs, inSp.length, a.attrs.ints('kernel_shape'), { ceil: true });
      const geo = geometry(inSp, win);
      g = {
        kernel: win.kernel,
        strides: win.strides,
        dilations: win.dilations,
        padBegin: geo.map((q) => q.padBegin),
        padEnd: geo.map((q) => q.padEnd),
      };
    }
    const isMax = a.node.op.includes('Max');
    const xw = x.layout.wtype;
    const acc = isMax ? (xw === 'f16' ? 'f32' : xw) : 'f32';
    const init = isMax ? (acc === 'f32' ? '-inf_f32()' : acc === 'i32' ? 'i32(-2147483647 - 1)' : '0u') : '0.0';
    const XS = inSp.reduce((p, q) => p * q, 1);
    const includePad = a.attrs.has('count_include_pad') && a.attrs.int('count_include_pad', 0) === 1;
    const coords = `${unflatten('i', y.dims, 'y')} let xc = (y0 * ${x.dims[1]}u + y1) * ${XS}u; var cntp = 0u;`;
    const load = acc === xw ? 'x(xc + off)' : `${acc}(x(xc + off))`;
    const inPad = inSp.map((nn, d) => `s${d} < ${nn + g.padEnd[d]!}i`).join(' && ') || 'true';
    const fold = isMax ? 'acc = max(acc, v);' : 'acc = acc + v;';
    const win = windowCode(inSp, (d) => `y${d + 2}`, g);
    const body = `${win} if (inb) { let v = ${load}; ${fold} cnt = cnt + 1u; } if (${inPad}) { cntp = cntp + 1u; }`;
    const yw = y.layout.wtype;
    const r = isMax ? 'acc' : `acc / f32(max(${includePad ? 'cntp' : 'cnt'}, 1u))`;
    const result = storeRule(yw === acc ? r : `${yw}(${r})`, y.dtype, yw);
    const b = new ShaderBuilder().input('x', x.layout).output('y', y.layout);
    const code = fillTemplate('pool', {
      BINDINGS: b.header(),
      WG: a.ctx.wg,
      N: n,
      COORDS: coords,
      ACC: acc,
      INIT: init,
      KN: g.kernel.reduce((p, q) => p * q, 1),
      WINDOW: body,
      RESULT: `${result}`,
    }).replace('  y_set(i,', '  _ = cntp; _ = cnt;\n  y_set(i,');
    return {
      dispatches: [
        {
          code,
          variant: { family: 'pool', name: a.node.op.replace(/^\w+\./, ''), key: { ...bakedKey(a), wg: a.ctx.wg } },
          bindings: b.bindings,
          tensors: [{ in: 0 }, { out: 0 }],
          grid: a.ctx.grid(Math.ceil(n / a.ctx.wg)),
          label: `${a.node.op}:pool`,
        },
      ],
    };
  },
});
