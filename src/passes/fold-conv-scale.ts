// fold-conv-scale: a k.conv whose epilogue only ever reads the accumulator as acc · s[m] (a
// BatchNormalization folded in by lowering, a per-channel scale) with s and the weights constant:
// the scale moves into a copy of the weights, leaving bias + activation, which conv kernels apply
// in registers instead of writing the raw result and mapping it again.

import { type Graph, type Node, Value } from '../ir/graph.js';
import { numel } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { exprOf } from '../ops/kernel/elementwise.js';
import { type Expr, input, printExpr, substitute } from '../ops/kernel/expr.js';
import type { Pass } from './pass.js';

/** The input index k such that every read of $0 in e is mul($0, $k) or mul($k, $0); undefined otherwise. */
function scaleInput(e: Expr): number | undefined {
  let k: number | undefined;
  let ok = true;
  const walk = (x: Expr): void => {
    if (!ok) return;
    if (x.kind === 'in') {
      if (x.index === 0) ok = false;
      return;
    }
    if (x.kind !== 'call') return;
    if (x.fn === 'mul') {
      const [p, q] = x.args;
      const other = p!.kind === 'in' && p!.index === 0 ? q : q!.kind === 'in' && q!.index === 0 ? p : undefined;
      if (other && other.kind === 'in' && other.index !== 0) {
        if (k === undefined) k = other.index;
        else if (k !== other.index) ok = false;
        return;
      }
    }
    x.args.forEach(walk);
  };
  walk(e);
  return ok ? k : undefined;
}

/** e with mul($0, $k) replaced by $0 and $k removed (inputs after it renumbered). */
function dropScale(e: Expr, k: number): Expr {
  const rec = (x: Expr): Expr => {
    if (x.kind === 'call' && x.fn === 'mul') {
      const [p, q] = x.args;
      if (
        (p!.kind === 'in' && p!.index === 0 && q!.kind === 'in' && q!.index === k) ||
        (q!.kind === 'in' && q!.index === 0 && p!.kind === 'in' && p!.index === k)
      )
        return input(0);
    }
    return x.kind === 'call' ? { ...x, args: x.args.map(rec) } : x;
  };
  const n = 64;
  return substitute(
    rec(e),
    Array.from({ length: n }, (_, i) => input(i < k ? i : i - 1)),
  );
}

function fold(n: Node): boolean {
  const w = n.inputs[1];
  const epi = n.attrs.epilogue;
  if (!w?.const || w.const.type !== 'float32' || epi?.kind !== 'string') return false;
  const e = exprOf(epi.value);
  const k = scaleInput(e);
  if (k === undefined) return false;
  // epilogue input $k is conv input 1 + k
  const sv = n.inputs[1 + k];
  const M = w.const.dims[0]!;
  if (!sv?.const || sv.const.type !== 'float32' || numel([...sv.const.dims]) !== M || sv.const.dims[0] !== M)
    return false;
  const s = sv.const.data as Float32Array,
    wd = w.const.data as Float32Array;
  const per = wd.length / M;
  const scaled = new Float32Array(wd.length);
  for (let m = 0; m < M; m++) for (let i = 0; i < per; i++) scaled[m * per + i] = wd[m * per + i]! * s[m]!;
  const nw = new Value(`${w.name}.scaled`, { dtype: 'float32', shape: [...w.const.dims] });
  nw.const = new Tensor('float32', scaled, w.const.dims);
  n.inputs = n.inputs.filter((_, i) => i !== 1 + k);
  n.inputs[1] = nw;
  n.attrs.epilogue = { kind: 'string', value: printExpr(dropScale(e, k)) };
  return true;
}

export const foldConvScale: Pass = {
  name: 'fold-conv-scale',
  description: 'move a per-channel scale of a k.conv epilogue (folded BatchNormalization) into its constant weights',
  run(g: Graph) {
    let count = 0;
    for (const n of g.nodes) if (n.op === 'k.conv' && fold(n)) count++;
    return { changed: count > 0, summary: `folded ${count} per-channel scales into conv weights` };
  },
};
