// Row reductions (shaders/reduce.wgsl) shared by the reduce and arg-reduce families: each output
// element is one workgroup folding its row.

import type { KernelContext, NodePlan, PlanArgs, TRef } from '../../kernel.js';
import { Params, typesKey } from '../../variant.js';
import { fillTemplate, lit, partsOf, ShaderBuilder, strides, type WType } from '../../wgsl.js';
import { storeRule } from './elementwise.js';
import { unflattenParams } from './index-math.js';

/** Threads per row: a power of two up to the adapter's row width, no wider than the row. */
export function rowWg(ctx: KernelContext, r: number): number {
  let w = 1;
  while (w < r && w < ctx.tiles.rowWg) w *= 2;
  return w;
}

/** WGSL for the flat input offset of (output o, reduced index r) over `dims` with `axes` reduced; sizes in P. */
function reduceOffset(dims: number[], axes: Set<number>, p: Params): string {
  const st = strides(dims);
  const kept = dims.map((_, i) => i).filter((i) => !axes.has(i));
  const red = dims.map((_, i) => i).filter((i) => axes.has(i));
  const lines = [
    unflattenParams(
      'o',
      kept.map((i) => dims[i]!),
      'k',
      p,
    ),
    unflattenParams(
      'r',
      red.map((i) => dims[i]!),
      'q',
      p,
    ),
  ];
  const terms = [...kept.map((d, j) => `k${j} * ${p.u(st[d]!)}`), ...red.map((d, j) => `q${j} * ${p.u(st[d]!)}`)];
  return `${lines.join(' ')} return ${terms.join(' + ') || '0u'};`;
}

export type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

export function reducePlan(a: PlanArgs, kind: Kind | 'ArgMax' | 'ArgMin', axes: Set<number>): NodePlan {
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
  // R is P.v[0].x
  if (kind === 'Mean') finishV = `a / ${acc}(P.v[0].x)`;
  const yw = y.layout.wtype;
  const finish = isArg
    ? 'y_set(o, i32(ai));'
    : `y_set(o, ${storeRule(yw === acc ? finishV : `${yw}(${finishV})`, y.dtype, yw)});`;
  const p = new Params();
  p.u(R);
  p.u(nout);
  const inOff = reduceOffset(x.dims, axes, p);
  const b = new ShaderBuilder().uniform(p.struct()).input('x', x.layout).output('y', y.layout);
  const wg = rowWg(a.ctx, R);
  const code = fillTemplate('reduce', {
    BINDINGS: b.header(),
    WG: wg,
    ARG: isArg ? 'true' : 'false',
    ACC: acc,
    INIT: init,
    IN_OFF: inOff,
    LOAD: load,
    COMBINE: combine,
    BETTER: better,
    FINISH: finish,
  });
  const tensors: TRef[] = [{ in: 0 }, { out: 0 }];
  const variant = {
    family: isArg ? 'argmax' : 'reduce',
    name: kind,
    key: {
      types: typesKey(a.ins, a.outs),
      parts: `${partsOf(x.layout)},${partsOf(y.layout)}`,
      wg,
      acc,
      kept: x.dims.length - axes.size,
      reduced: axes.size,
      ...(isArg ? { last: a.attrs.int('select_last_index', 0) } : {}),
    },
  };
  return {
    dispatches: [
      {
        code,
        variant,
        params: p.data(),
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(nout),
        label: `${a.node.op}:reduce`,
      },
    ],
  };
}
