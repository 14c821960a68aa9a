// The kernel dialect (k.*) from the shared lowering and fusion passes: k.map expressions and
// k.matmul epilogues become WGSL (run-time generated from the expression tree, shared subtrees
// computed once via linearize()); k.softmax, k.reduce and k.layernorm reuse the row families.

import { AttrReader } from '../../../ir/attributes.js';
import { Tensor } from '../../../ir/tensor.js';
import { type Expr, linearize } from '../../../ops/kernel/expr.js';
import { exprOf } from '../../../ops/kernel/map.js';
import { REDUCE_OPS } from '../../../ops/kernel/reduce.js';
import { kernelFor, type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { broadcastOffset, lit, unflatten, type WType } from '../wgsl.js';
import { planElementwise, storeRule } from './elementwise.js';
import { type MatmulSpec, matmulDispatch } from './matmul.js';

const F: Record<string, (a: string[]) => string> = {
  neg: ([a]) => `-(${a})`,
  abs: ([a]) => `abs(${a})`,
  sqrt: ([a]) => `sqrt(${a})`,
  rsqrt: ([a]) => `inverseSqrt(${a})`,
  recip: ([a]) => `(1.0 / ${a})`,
  exp: ([a]) => `exp(${a})`,
  log: ([a]) => `log(${a})`,
  sin: ([a]) => `sin(${a})`,
  cos: ([a]) => `cos(${a})`,
  tan: ([a]) => `tan(${a})`,
  tanh: ([a]) => `tanh_s(${a})`,
  sigmoid: ([a]) => `sigmoid_s(${a})`,
  softplus: ([a]) => `softplus_s(${a})`,
  erf: ([a]) => `erf_s(${a})`,
  relu: ([a]) => `max(${a}, 0.0)`,
  floor: ([a]) => `floor(${a})`,
  ceil: ([a]) => `ceil(${a})`,
  round: ([a]) => `round(${a})`,
  sign: ([a]) => `sign(${a})`,
  not: ([a]) => `select(1.0, 0.0, ${a} != 0.0)`,
  isnan: ([a]) => `select(0.0, 1.0, is_nan(${a}))`,
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `(${a} / ${b})`,
  pow: ([a, b]) => `pow_s(${a}, ${b})`,
  max: ([a, b]) => `max(${a}, ${b})`,
  min: ([a, b]) => `min(${a}, ${b})`,
  eq: ([a, b]) => `select(0.0, 1.0, ${a} == ${b})`,
  lt: ([a, b]) => `select(0.0, 1.0, ${a} < ${b})`,
  le: ([a, b]) => `select(0.0, 1.0, ${a} <= ${b})`,
  gt: ([a, b]) => `select(0.0, 1.0, ${a} > ${b})`,
  ge: ([a, b]) => `select(0.0, 1.0, ${a} >= ${b})`,
  and: ([a, b]) => `select(0.0, 1.0, ${a} != 0.0 && ${b} != 0.0)`,
  or: ([a, b]) => `select(0.0, 1.0, ${a} != 0.0 || ${b} != 0.0)`,
  xor: ([a, b]) => `select(0.0, 1.0, (${a} != 0.0) != (${b} != 0.0))`,
  select: ([c, x, y]) => `select(${y}, ${x}, ${c} != 0.0)`,
  clamp: ([x, lo, hi]) => `min(max(${x}, ${lo}), ${hi})`,
};

/** f32 WGSL statements for an expression; returns the statements and the result name. */
export function exprToWgsl(e: Expr, inputs: string[], prefix = 't'): { lines: string[]; result: string } {
  const steps = linearize(e);
  const lines: string[] = [];
  steps.forEach((s, i) => {
    let v: string;
    if (s.kind === 'in') v = inputs[s.index] ?? '0.0';
    else if (s.kind === 'const') v = lit(s.value, 'f32');
    else {
      const g = F[s.fn];
      if (!g) throw new Error(`no WGSL for kernel function '${s.fn}'`);
      v = g(s.args.map((a) => `${prefix}${a}`));
    }
    lines.push(`let ${prefix}${i}: f32 = ${v};`);
  });
  return { lines, result: `${prefix}${steps.length - 1}` };
}

/** Store an f32 result into the output's storage type. */
function storeF32(v: string, dtype: string, w: WType): string {
  if (dtype === 'bool') return `select(0u, 1u, ${v} != 0.0)`;
  const x = w === 'f32' ? v : `${w}(${v})`;
  return storeRule(x, dtype as never, w);
}

registerKernels({
  ops: ['k.map'],
  plan(a) {
    const e = exprOf(a.attrs.string('expr'));
    const outDt = a.outs[0]!.dtype;
    return planElementwise(a, (args, w) => {
      const ins = args.map((x) => (x ? (x.w === 'f32' ? x.code : `f32(${x.code})`) : '0.0'));
      const { lines, result } = exprToWgsl(e, ins);
      return { pre: lines, expr: storeF32(result, outDt, w) };
    });
  },
});

registerKernels({
  ops: ['k.matmul'],
  plan(a) {
    const A = a.ins[0]!,
      B = a.ins[1]!,
      y = a.outs[0]!;
    const transA = a.attrs.int('transA', 0) === 1,
      transB = a.attrs.int('transB', 0) === 1;
    const ra = A.dims.length,
      rb = B.dims.length;
    const M = transA ? A.dims[ra - 1]! : A.dims[ra - 2]!,
      K = transA ? A.dims[ra - 2]! : A.dims[ra - 1]!;
    const N = transB ? B.dims[rb - 2]! : B.dims[rb - 1]!;
    const batch = y.dims.slice(0, -2);
    const pad = (x: number[]) => [...new Array<number>(batch.length - x.length).fill(1), ...x];
    const e = exprOf(a.attrs.string('epilogue', '$0'));
    const extra: MatmulSpec['extra'] = [];
    const names = ['acc'];
    const pre: string[] = [];
    const outDims = y.dims;
    let coords = false;
    a.ins.slice(2).forEach((t, j) => {
      if (!t) {
        names.push('0.0');
        return;
      }
      const name = `e${j}`;
      extra.push({ name, layout: t.layout, ref: { in: j + 2 } as TRef });
      let off: string;
      if (t.layout.numel === 1) off = '0u';
      else {
        coords = true;
        off = broadcastOffset(t.dims, outDims, 'o');
      }
      pre.push(`let x${j} = f32(${name}(${off}));`);
      names.push(`x${j}`);
    });
    if (coords) {
      pre.unshift(`${unflatten('b', batch, 'o')} let o${batch.length} = r; let o${batch.length + 1} = c;`);
    }
    const { lines, result } = exprToWgsl(e, names);
    const yw = y.layout.wtype;
    const epilogue = `_ = r; _ = c; _ = b; ${pre.join(' ')} ${lines.join(' ')} return ${storeF32(result, y.dtype, yw)};`;
    return matmulDispatch(a, {
      M,
      N,
      K,
      batch,
      aBatch: pad(A.dims.slice(0, -2)),
      bBatch: pad(B.dims.slice(0, -2)),
      transA,
      transB,
      a: A.layout,
      b: B.layout,
      y: y.layout,
      acc: 'f32',
      epilogue,
      extra,
      label: 'k.matmul',
    });
  },
});

/** Run a row family's planner with nn.*-style attributes. */
function delegate(
  op: string,
  toAttrs: (a: AttrReader) => Record<string, import('../../../ir/attributes.js').Attr>,
  hostAxes = false,
) {
  return (a: PlanArgs) => {
    const fam = kernelFor(op)!;
    const attrs = new AttrReader(toAttrs(a.attrs), a.node.describe());
    const ins = [...a.ins];
    if (hostAxes) {
      // k.reduce carries axes as an attribute; the nn planner reads them as a host input
      const axes = a.attrs.ints('axes');
      ins[1] = {
        dtype: 'int64',
        dims: [axes.length],
        layout: a.ctx.layout('int64', axes.length),
        host: Tensor.from('int64', axes.map(BigInt)),
      };
    }
    // the nn planner reads its op name from the node: show it the nn op
    const node = new Proxy(a.node, { get: (t, p) => (p === 'op' ? op : Reflect.get(t, p)) });
    return fam.plan({ ...a, node, attrs, ins });
  };
}

registerKernels({
  ops: ['k.softmax'],
  plan: (a) => {
    const op = a.attrs.int('log', 0) ? 'nn.LogSoftmax' : 'nn.Softmax';
    return delegate(op, (x) => ({ axis: { kind: 'int', value: x.int('axis') } }))(a);
  },
});

registerKernels({
  ops: ['k.reduce'],
  plan: (a) =>
    delegate(
      `nn.${REDUCE_OPS[a.attrs.string('op')]}`,
      (x) => ({ keepdims: { kind: 'int', value: x.int('keepdims', 1) } }),
      true,
    )(a),
});

registerKernels({
  ops: ['k.layernorm'],
  plan: (a) =>
    delegate(a.attrs.int('rms', 0) ? 'nn.RMSNormalization' : 'nn.LayerNormalization', (x) => ({
      axis: { kind: 'int', value: x.int('axis') },
      epsilon: { kind: 'float', value: x.float('epsilon', 1e-5) },
    }))(a),
});
