// The kernel dialect's expressions as WGSL: k.map bodies and k.matmul / k.conv epilogues are
// generated from the expression tree (shared subtrees computed once via linearize()), and
// delegate() runs a row family's nn planner for a k.* op with nn-style attributes.

import { type Attr, AttrReader } from '../../../../ir/attributes.js';
import { Tensor } from '../../../../ir/tensor.js';
import { type Expr, linearize } from '../../../../ops/kernel/expr.js';
import { kernelFor, type PlanArgs } from '../../kernel.js';
import { lit, type WType } from '../../wgsl.js';
import { storeRule } from './elementwise.js';

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
export function storeF32(v: string, dtype: string, w: WType): string {
  if (dtype === 'bool') return `select(0u, 1u, ${v} != 0.0)`;
  const x = w === 'f32' ? v : `${w}(${v})`;
  return storeRule(x, dtype as never, w);
}

/** Run a row family's planner with nn.*-style attributes. */
export function delegate(op: string, toAttrs: (a: AttrReader) => Record<string, Attr>, hostAxes = false) {
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
