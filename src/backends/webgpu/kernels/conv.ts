// Convolution and pooling families (shaders/conv.wgsl, shaders/pool.wgsl) and TopK
// (shaders/topk.wgsl). Window geometry (auto_pad, ceil_mode) comes from the shared nn helpers,
// so the kernels agree with the reference on every edge.

import { normAxis } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { exprOf } from '../../../ops/kernel/map.js';
import { geometry, readWindow } from '../../../ops/nn-util.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { broadcastOffset, fillTemplate, ShaderBuilder, strides, unflatten } from '../wgsl.js';
import { storeRule } from './elementwise.js';
import { exprToWgsl } from './kernel-ops.js';

interface Geo {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
}

/** WGSL for one window position: `q*` kernel coords from kk, `s*` input coords, `inb` in bounds, `off` offset. */
function windowCode(inSp: number[], outCoord: (d: number) => string, g: Geo): string {
  const ist = strides(inSp);
  const lines = [unflatten('kk', g.kernel, 'q')];
  inSp.forEach((_n, d) => {
    lines.push(
      `let s${d} = i32(${outCoord(d)}) * ${g.strides[d]}i - ${g.padBegin[d]}i + i32(q${d}) * ${g.dilations[d]}i;`,
    );
  });
  lines.push(`let inb = ${inSp.map((n, d) => `s${d} >= 0 && s${d} < ${n}i`).join(' && ') || 'true'};`);
  lines.push(`let off = ${inSp.map((_, d) => `u32(max(s${d}, 0i)) * ${ist[d]}u`).join(' + ') || '0u'};`);
  return lines.join(' ');
}

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
  const coords = `${unflatten('i', y.dims, 'y')} let g = y1 / ${MG}u; let xbase = y0 * ${C * XS}u; let wbase = y1 * ${CG * KN}u;`;
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
      { code, bindings: b.bindings, tensors, grid: a.ctx.grid(Math.ceil(n / a.ctx.wg)), label: `${a.node.op}:conv` },
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
    const body = `${windowCode(inSp, (d) => `y${d + 2}`, g)} if (inb) { let v = ${load}; ${isMax ? 'acc = max(acc, v);' : 'acc = acc + v;'} cnt = cnt + 1u; } if (${inPad}) { cntp = cntp + 1u; }`;
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
          bindings: b.bindings,
          tensors: [{ in: 0 }, { out: 0 }],
          grid: a.ctx.grid(Math.ceil(n / a.ctx.wg)),
          label: `${a.node.op}:pool`,
        },
      ],
    };
  },
});

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
          bindings: b.bindings,
          tensors: [{ in: 0 }, { out: 0 }, { out: 1 }],
          grid: a.ctx.grid(nout),
          label: 'nn.TopK:topk',
        },
      ],
    };
  },
});
