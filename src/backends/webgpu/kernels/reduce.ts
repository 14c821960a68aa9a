// Row families: reductions and arg-reductions (shaders/reduce.wgsl), softmax/log-softmax/hardmax
// (shaders/softmax.wgsl) and the normalizations (shaders/normalization.wgsl, BatchNormalization
// as an elementwise-style kernel). Each output row is one workgroup.

import { normAxis } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { type KernelContext, type NodePlan, type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { broadcastOffset, fillTemplate, lit, ShaderBuilder, strides, unflatten, type WType } from '../wgsl.js';
import { storeRule } from './elementwise.js';
import { copyKernel } from './layout.js';

/** Threads per row: a power of two up to the adapter's row width, no wider than the row. */
function rowWg(ctx: KernelContext, r: number): number {
  let w = 1;
  while (w < r && w < ctx.tiles.rowWg) w *= 2;
  return w;
}

/** WGSL for the flat input offset of (output o, reduced index r) over `dims` with `axes` reduced. */
function reduceOffset(dims: number[], axes: Set<number>): string {
  const st = strides(dims);
  const kept = dims.map((_, i) => i).filter((i) => !axes.has(i));
  const red = dims.map((_, i) => i).filter((i) => axes.has(i));
  const lines = [
    unflatten(
      'o',
      kept.map((i) => dims[i]!),
      'k',
    ),
    unflatten(
      'r',
      red.map((i) => dims[i]!),
      'q',
    ),
  ];
  const terms = [...kept.map((d, j) => `k${j} * ${st[d]}u`), ...red.map((d, j) => `q${j} * ${st[d]}u`)];
  return `${lines.join(' ')} return ${terms.join(' + ') || '0u'};`;
}

type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

function reducePlan(a: PlanArgs, kind: Kind | 'ArgMax' | 'ArgMin', axes: Set<number>): NodePlan {
  const x = a.ins[0]!,
    y = a.outs[0]!;
  const nout = y.layout.numel;
  if (nout === 0) return { dispatches: [] };
  const R = x.dims.reduce((p, d, i) => (axes.has(i) ? p * d : p), 1);
  const isArg = kind === 'ArgMax' || kind === 'ArgMin';
  const xw = x.layout.wtype;
  const acc: WType = isArg
    ? xw === 'f16'
      ? 'f32'
      : xw
    : kind === 'Max' || kind === 'Min'
      ? xw === 'f16'
        ? 'f32'
        : xw
      : xw === 'f16'
        ? 'f32'
        : xw;
  const big = (neg: boolean) =>
    acc === 'u32'
      ? neg
        ? '0u'
        : '0xffffffffu'
      : acc === 'i32'
        ? neg
          ? 'i32(-2147483647 - 1)'
          : '2147483647i'
        : neg
          ? '-inf_f32()'
          : 'inf_f32()';
  const zero = lit(0, acc),
    one = lit(1, acc);
  const conv = (v: string) => (xw === acc ? v : `${acc}(${v})`);
  let load = conv('v'),
    combine = 'a + b',
    init = zero,
    finishV = 'a',
    better = 'return false;';
  switch (kind) {
    case 'Sum':
    case 'Mean':
      break;
    case 'Max':
      combine = 'max(a, b)';
      init = big(true);
      break;
    case 'Min':
      combine = 'min(a, b)';
      init = big(false);
      break;
    case 'Prod':
      combine = 'a * b';
      init = one;
      break;
    case 'L1':
      load = `abs(${conv('v')})`;
      if (acc === 'u32') load = conv('v');
      break;
    case 'L2':
      load = `${conv('v')} * ${conv('v')}`;
      finishV = acc === 'f32' ? 'sqrt(a)' : `${acc}(sqrt(f32(a)))`;
      break;
    case 'SumSquare':
      load = `${conv('v')} * ${conv('v')}`;
      break;
    case 'LogSum':
      finishV = acc === 'f32' ? 'log_s(a)' : `${acc}(log_s(f32(a)))`;
      break;
    case 'LogSumExp':
      load = `${acc}(exp(f32(${conv('v')})))`;
      finishV = acc === 'f32' ? 'log_s(a)' : `${acc}(log_s(f32(a)))`;
      break;
    case 'ArgMax':
    case 'ArgMin': {
      const last = a.attrs.int('select_last_index', 0) === 1;
      const op = kind === 'ArgMax' ? '>' : '<';
      better = `if (b ${op} a) { return true; } if (b == a) { return ${last ? 'bi > ai' : 'bi < ai'}; } return false;`;
      init = zero;
      break;
    }
  }
  if (kind === 'Mean') finishV = acc === 'u32' || acc === 'i32' ? `a / ${lit(R, acc)}` : `a / ${lit(R, acc)}`;
  const yw = y.layout.wtype;
  const finish = isArg
    ? 'y_set(o, i32(ai));'
    : `y_set(o, ${storeRule(yw === acc ? finishV : `${yw}(${finishV})`, y.dtype, yw)});`;
  const b = new ShaderBuilder().input('x', x.layout).output('y', y.layout);
  const wg = rowWg(a.ctx, R);
  const code = fillTemplate('reduce', {
    BINDINGS: b.header(),
    R,
    NOUT: nout,
    WG: wg,
    ARG: isArg ? 'true' : 'false',
    ACC: acc,
    INIT: init,
    IN_OFF: reduceOffset(x.dims, axes),
    LOAD: load,
    COMBINE: combine,
    BETTER: better,
    FINISH: finish,
  });
  const tensors: TRef[] = [{ in: 0 }, { out: 0 }];
  return {
    dispatches: [{ code, bindings: b.bindings, tensors, grid: a.ctx.grid(nout), label: `${a.node.op}:reduce` }],
  };
}

registerKernels({
  ops: ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'L1', 'L2', 'LogSum', 'LogSumExp', 'SumSquare'].map(
    (k) => `nn.Reduce${k}`,
  ),
  int64Inputs: [1],
  hostInputs: () => [1],
  plan(a) {
    const x = a.ins[0]!;
    const r = x.dims.length;
    const axesList = a.ins[1]?.host ? toIntArray(a.ins[1].host) : [];
    const noop = a.attrs.int('noop_with_empty_axes', 0) === 1;
    if (!axesList.length && noop) return { alias: [0], dispatches: [] };
    const axes = new Set(axesList.length ? axesList.map((v) => normAxis(v, r, 'axes entry')) : x.dims.map((_, i) => i));
    return reducePlan(a, a.node.op.slice(9) as Kind, axes);
  },
});

registerKernels({
  ops: ['nn.ArgMax', 'nn.ArgMin'],
  int64Outputs: true,
  plan(a) {
    const x = a.ins[0]!;
    return reducePlan(a, a.node.op.slice(3) as 'ArgMax', new Set([normAxis(a.attrs.int('axis', 0), x.dims.length)]));
  },
});

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

/** Scale/bias reader broadcast over the normalized dims (or per channel for instance norm). */
function affine(name: string, inDims: number[] | undefined, normDims: number[], perChannel?: number): string {
  if (!inDims) return `_ = o; _ = r; return ${name === 'sc' ? '1.0' : '0.0'};`;
  if (perChannel !== undefined) return `_ = r; return f32(${name}(o % ${perChannel}u));`;
  const n = inDims.reduce((p, q) => p * q, 1);
  if (n === 1) return `_ = o; _ = r; return f32(${name}(0u));`;
  const sameAsRow = inDims.length <= normDims.length && n === normDims.reduce((p, q) => p * q, 1);
  if (sameAsRow) return `_ = o; return f32(${name}(r));`;
  return `_ = o; ${unflatten('r', normDims, 'n')} return f32(${name}(${broadcastOffset(inDims, normDims, 'n')}));`;
}

registerKernels({
  ops: ['nn.LayerNormalization', 'nn.RMSNormalization', 'nn.InstanceNormalization'],
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    if (y.layout.numel === 0) return { dispatches: [] };
    const dims = x.dims;
    const inst = a.node.op === 'nn.InstanceNormalization';
    const ax = inst ? 2 : normAxis(a.attrs.int('axis', -1), dims.length);
    const R = dims.slice(ax).reduce((p, q) => p * q, 1);
    const nout = dims.slice(0, ax).reduce((p, q) => p * q, 1);
    const normDims = dims.slice(ax);
    const sc = a.ins[1],
      bi = a.ins[2];
    const b = new ShaderBuilder().input('x', x.layout);
    const tensors: TRef[] = [{ in: 0 }];
    if (sc) {
      b.input('sc', sc.layout);
      tensors.push({ in: 1 });
    }
    if (bi) {
      b.input('bi', bi.layout);
      tensors.push({ in: 2 });
    }
    b.output('y', y.layout);
    tensors.push({ out: 0 });
    const stats: string[] = [];
    a.outs.slice(1).forEach((o, k) => {
      if (!a.node.outputs[k + 1]) return;
      b.output(k === 0 ? 'mo' : 'io', o.layout);
      tensors.push({ out: k + 1 });
      stats.push(k === 0 ? `mo_set(o, ${o.layout.wtype}(mean));` : `io_set(o, ${o.layout.wtype}(inv));`);
    });
    const yw = y.layout.wtype;
    const ch = inst ? dims[1]! : undefined;
    const code = fillTemplate('normalization', {
      BINDINGS: b.header(),
      R,
      NOUT: nout,
      WG: rowWg(a.ctx, R),
      RMS: a.node.op === 'nn.RMSNormalization' ? 'true' : 'false',
      SCALE: affine('sc', sc?.dims, normDims, ch),
      BIAS: affine('bi', bi?.dims, normDims, ch),
      EPS: lit(a.attrs.float('epsilon', 1e-5), 'f32'),
      OUT: yw,
      STORE: y.dtype === 'float16' && yw === 'f32' ? 'f16round(v)' : 'v',
      STATS: stats.join(' '),
    });
    return {
      dispatches: [{ code, bindings: b.bindings, tensors, grid: a.ctx.grid(nout), label: `${a.node.op}:norm` }],
    };
  },
});

registerKernels({
  ops: ['nn.BatchNormalization'],
  supports(node, attrs) {
    if (attrs.int('training_mode', 0) === 1 || (node.outputs.length > 1 && node.outputs.slice(1).some(Boolean)))
      return 'training mode (running statistics outputs)';
    return true;
  },
  plan(a) {
    const x = a.ins[0]!,
      y = a.outs[0]!;
    const n = y.layout.numel;
    if (n === 0) return { dispatches: [] };
    const C = x.dims[1] ?? 1;
    const spatial = x.dims.slice(2).reduce((p, q) => p * q, 1);
    const eps = lit(a.attrs.float('epsilon', 1e-5), 'f32');
    const yw = y.layout.wtype;
    const v = `(f32(x(i)) - f32(mn(c))) * inverseSqrt(f32(vr(c)) + ${eps}) * f32(sc(c)) + f32(bi(c))`;
    const body = `    let c = (i / ${spatial}u) % ${C}u;\n    y_set(i, ${yw}(${y.dtype === 'float16' && yw === 'f32' ? `f16round(${v})` : v}));`;
    const ins = [
      ['x', 0],
      ['sc', 1],
      ['bi', 2],
      ['mn', 3],
      ['vr', 4],
    ].map(([name, i]) => ({
      name: name as string,
      layout: a.ins[i as number]!.layout,
      ref: { in: i as number } as TRef,
    }));
    return {
      dispatches: [
        copyKernel(a.ctx, 'nn.BatchNormalization:norm', n, ins, { name: 'y', layout: y.layout, ref: { out: 0 } }, body),
      ],
    };
  },
});
