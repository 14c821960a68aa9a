// Convolution family (shaders/conv.wgsl): nn.Conv and the fused k.conv (bias and activation
// epilogues). Window geometry (auto_pad) comes from the shared nn helpers, so the kernels agree
// with the reference on every edge.

import { exprOf } from '../../../ops/kernel/elementwise.js';
import { geometry, readWindow } from '../../../ops/nn-util.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { broadcastOffset, fillTemplate, ShaderBuilder, unflatten } from '../wgsl.js';
import { storeRule } from './lib/elementwise.js';
import { exprToWgsl } from './lib/expr.js';
import { type Geo, windowCode } from './lib/window.js';

function planConv(
  a: PlanArgs,
  g: Geo,
  group: number,
  store: (acc: string) => string,
  extra: { name: string; idx: number }[],
) {
  const x = a.ins[0]!,
    w = a.ins[1]!,
    y = a.outs[0]!;
  const n = y.layout.numel;
  if (n === 0) return { dispatches: [] };
  const C = x.dims[1]!,
    M = w.dims[0]!,
    CG = C / group,
    MG = M / group;
  const inSp = x.dims.slice(2),
    KN = g.kernel.reduce((p, q) => p * q, 1),
    XS = inSp.reduce((p, q) => p * q, 1);
  const b = new ShaderBuilder().input('x', x.layout).input('w', w.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }];
  for (const e of extra) {
    b.input(e.name, a.ins[e.idx]!.layout);
    tensors.push({ in: e.idx });
  }
  b.output('y', y.layout);
  tensors.push({ out: 0 });
  const coords =
    `${unflatten('i', y.dims, 'y')} let g = y1 / ${MG}u; let xbase = y0 * ${C * XS}u; let wbase = ` +
    `y1 * ${CG * KN}u;`;
  const win = `${windowCode(inSp, (d) => `y${d + 2}`, g)} if (inb) { acc = acc + f32(x(xc + off)) * f32(w(wc + kk)); }`;
  const code = fillTemplate('conv', {
    BINDINGS: b.header(),
    WG: a.ctx.wg,
    N: n,
    COORDS: coords,
    CG,
    XCH: XS,
    KN,
    WINDOW: win,
    STORE: `  y_set(i, ${store('acc')});`,
  });
  return {
    dispatches: [
      {
        code,
        variant: { family: 'conv', name: 'direct', key: { ...bakedKey(a), wg: a.ctx.wg } },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(Math.ceil(n / a.ctx.wg)),
        label: `${a.node.op}:conv`,
      },
    ],
  };
}

function storeF(a: PlanArgs, v: string): string {
  const y = a.outs[0]!;
  const w = y.layout.wtype;
  return storeRule(w === 'f32' ? v : `${w}(${v})`, y.dtype, w);
}

registerKernels({
  ops: ['nn.Conv'],
  plan(a) {
    const x = a.ins[0]!,
      w = a.ins[1]!;
    const win = readWindow(a.attrs, x.dims.length - 2, a.attrs.ints('kernel_shape', w.dims.slice(2)));
    const geo = geometry(x.dims.slice(2), win);
    const g: Geo = {
      kernel: win.kernel,
      strides: win.strides,
      dilations: win.dilations,
      padBegin: geo.map((q) => q.padBegin),
      padEnd: geo.map((q) => q.padEnd),
    };
    const hasB = !!a.ins[2];
    return planConv(
      a,
      g,
      a.attrs.int('group', 1),
      (acc) => storeF(a, hasB ? `${acc} + f32(bias(y1))` : acc),
      hasB ? [{ name: 'bias', idx: 2 }] : [],
    );
  },
});

registerKernels({
  ops: ['k.conv'],
  plan(a) {
    const x = a.ins[0]!,
      w = a.ins[1]!,
      y = a.outs[0]!;
    const sp = x.dims.length - 2;
    const pads = a.attrs.ints('pads', new Array(2 * sp).fill(0));
    const g: Geo = {
      kernel: w.dims.slice(2),
      strides: a.attrs.ints('strides', new Array(sp).fill(1)),
      dilations: a.attrs.ints('dilations', new Array(sp).fill(1)),
      padBegin: pads.slice(0, sp),
      padEnd: pads.slice(sp),
    };
    const e = exprOf(a.attrs.string('epilogue', '$0'));
    const extra = a.ins.slice(2).map((_, j) => ({ name: `e${j}`, idx: j + 2 }));
    const names = [
      'acc',
      ...extra.map((x2) => {
        const t = a.ins[x2.idx]!;
        return `f32(${x2.name}(${t.layout.numel === 1 ? '0u' : broadcastOffset(t.dims, y.dims, 'y')}))`;
      }),
    ];
    return planConvEpi(a, g, e, extra, names);
  },
});

/** k.conv with its epilogue statements spliced before the store. */
function planConvEpi(
  a: PlanArgs,
  g: Geo,
  e: ReturnType<typeof exprOf>,
  extra: { name: string; idx: number }[],
  names: string[],
) {
  const { lines, result } = exprToWgsl(e, names);
  const plan = planConv(a, g, a.attrs.int('group', 1), () => storeF(a, result), extra);
  for (const d of plan.dispatches) d.code = d.code.replace('  y_set(i, ', `  ${lines.join(' ')}\n  y_set(i, `);
  return plan;
}
