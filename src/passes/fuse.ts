// Fusion: chains of k.map become one k.map (one pass over memory instead of one per op), scalar
// constants are inlined into expressions, and a k.map that consumes a k.matmul/k.conv result
// becomes that kernel's epilogue (bias, activation, residual add, folded batch norm).
// A producer read several times by its consumer appears as a repeated subtree: code generators
// evaluate each distinct subtree once (see `linearize` in ops/kernel/expr.ts).

import type { Graph, Node, Value } from '../ir/graph.js';
import { isStatic, numel } from '../ir/shape.js';
import { getter } from '../ir/tensor.js';
import { exprOf } from '../ops/kernel/elementwise.js';
import { type Expr, input, num, printExpr, substitute } from '../ops/kernel/expr.js';
import type { Pass } from './pass.js';

function sizeOf(v: Value): number | undefined {
  const s = v.type?.shape;
  return s && isStatic(s) ? numel(s) : undefined;
}

/** Same element count (so fusing never recomputes a producer per broadcast copy). */
function sameSize(a: Value, b: Value): boolean {
  const sa = a.type?.shape,
    sb = b.type?.shape;
  if (!sa || !sb) return false;
  if (sa.length === sb.length && sa.every((d, i) => d === sb[i])) return true;
  const x = sizeOf(a),
    y = sizeOf(b);
  return x !== undefined && x === y;
}

/**
 * Repeated reads make trees grow (each LeakyRelu reads its input three times); past this size
 * the text form and compile times suffer more than a memory round trip costs.
 */
const MAX_TREE = 200;

function treeSize(e: Expr): number {
  return e.kind === 'call' ? 1 + e.args.reduce((a, x) => a + treeSize(x), 0) : 1;
}

function singleUse(g: Graph, v: Value, users: Map<Value, Node[]>): boolean {
  return (users.get(v)?.length ?? 0) === 1 && !g.outputs.includes(v) && v.producer !== undefined;
}

/** Rebuild a k.map with deduplicated inputs and inlined scalar constants. */
function canonical(inputs: Value[], e: Expr, inlineConsts: boolean): { inputs: Value[]; expr: Expr } {
  const kept: Value[] = [];
  const subs: Expr[] = inputs.map((v) => {
    const c = v.const;
    if (inlineConsts && c && c.size === 1 && c.type !== 'float64' && c.type !== 'int64' && c.type !== 'uint64') {
      return num(Number(getter(c)(0)));
    }
    let k = kept.indexOf(v);
    if (k < 0) {
      kept.push(v);
      k = kept.length - 1;
    }
    return input(k);
  });
  return { inputs: kept, expr: substitute(e, subs) };
}

/**
 * A producer's stored dtype rounds its results; fusing skips that store, so only fuse when the
 * rounding is the compute precision anyway (float32/float64) or the consumer stores the same type.
 * A bool producer may hold a cast (x != 0), which fusion would lose.
 */
function fusableProducer(p: unknown, c: unknown): boolean {
  const pd = (p as { value?: string } | undefined)?.value,
    cd = (c as { value?: string } | undefined)?.value;
  return pd === 'float32' || pd === 'float64' || (pd === 'float16' && cd === 'float16');
}

function setExpr(n: Node, e: Expr, attr: 'expr' | 'epilogue'): void {
  n.attrs[attr] = { kind: 'string', value: printExpr(e) };
}

export const fuseElementwise: Pass = {
  name: 'fuse-elementwise',
  description: 'merge chains of k.map into one k.map and inline scalar constants',
  run(g: Graph) {
    let merged = 0;
    const blocked = new Set<Node>();
    for (let changed = true; changed; ) {
      changed = false;
      const users = g.users();
      for (const n of g.nodes) {
        if (n.op !== 'k.map' || blocked.has(n)) continue;
        const idx = n.inputs.findIndex(
          (v, _i) =>
            v &&
            v.producer?.op === 'k.map' &&
            singleUse(g, v, users) &&
            sameSize(v, n.outputs[0]!) &&
            fusableProducer(v.producer.attrs.dtype, n.attrs.dtype),
        );
        if (idx < 0) continue;
        const p = n.inputs[idx]!.producer!;
        // n's inputs with p's inputs spliced in at idx; p's expression substituted for $idx
        const pIn = p.inputs as Value[];
        const before = n.inputs.slice(0, idx) as Value[],
          after = n.inputs.slice(idx + 1) as Value[];
        const shift = pIn.length - 1;
        const pExpr = substitute(
          exprOf((p.attrs.expr as { value: string }).value),
          pIn.map((_, k) => input(idx + k)),
        );
        const subs = n.inputs.map((_, k) => (k < idx ? input(k) : k === idx ? pExpr : input(k + shift)));
        const e = substitute(exprOf((n.attrs.expr as { value: string }).value), subs);
        if (treeSize(e) > MAX_TREE) {
          blocked.add(n);
          changed = true;
          break;
        }
        const dtype = (n.attrs.dtype as { value: string }).value;
        const c = canonical([...before, ...pIn, ...after], e, dtype !== 'float64');
        n.inputs = c.inputs;
        setExpr(n, c.expr, 'expr');
        g.nodes = g.nodes.filter((x) => x !== p);
        merged++;
        changed = true;
        break;
      }
    }
    // inline scalars in the k.maps that nothing was fused into
    for (const n of g.nodes) {
      if (n.op !== 'k.map' || (n.attrs.dtype as { value: string }).value === 'float64') continue;
      const c = canonical(n.inputs as Value[], exprOf((n.attrs.expr as { value: string }).value), true);
      if (c.inputs.length && c.inputs.length !== n.inputs.length) {
        n.inputs = c.inputs;
        setExpr(n, c.expr, 'expr');
      }
    }
    return { changed: merged > 0, summary: `merged ${merged} k.map nodes into their consumers` };
  },
};

export const fuseEpilogue: Pass = {
  name: 'fuse-epilogue',
  description: 'fold a k.map that consumes a k.matmul/k.conv result into that kernel as its epilogue',
  run(g: Graph) {
    let fused = 0;
    const blocked = new Set<Node>();
    for (let changed = true; changed; ) {
      changed = false;
      const users = g.users();
      for (const n of g.nodes) {
        if (n.op !== 'k.map' || blocked.has(n) || (n.attrs.dtype as { value: string }).value === 'bool') continue;
        const idx = n.inputs.findIndex(
          (v) =>
            v &&
            (v.producer?.op === 'k.matmul' || v.producer?.op === 'k.conv') &&
            singleUse(g, v, users) &&
            sameSize(v, n.outputs[0]!) &&
            v.type?.dtype === n.outputs[0]!.type?.dtype,
        );
        if (idx < 0) continue;
        const k = n.inputs[idx]!.producer!;
        // the other inputs of n move into k, so they must exist before k runs
        const at = g.nodes.indexOf(k);
        if (n.inputs.some((v, i) => i !== idx && v?.producer && g.nodes.indexOf(v.producer) > at)) continue;
        // epilogue inputs: $0 = accumulator, then k's existing extras, then n's other inputs
        const oldEpi = exprOf((k.attrs.epilogue as { value: string } | undefined)?.value ?? '$0');
        const extras = k.inputs.slice(2) as Value[];
        const others = n.inputs.filter((_, i) => i !== idx) as Value[];
        let j = 0;
        const subs = n.inputs.map((_, i) => (i === idx ? oldEpi : input(1 + extras.length + j++)));
        const e = substitute(exprOf((n.attrs.expr as { value: string }).value), subs);
        if (treeSize(e) > MAX_TREE) {
          blocked.add(n);
          changed = true;
          break;
        }
        // canonicalise over [acc, ...extras, ...others]; the accumulator must stay $0
        const acc = { name: '$acc' } as Value;
        const c = canonical([acc, ...extras, ...others], e, true);
        if (c.inputs[0] !== acc) continue;
        k.inputs = [k.inputs[0]!, k.inputs[1]!, ...c.inputs.slice(1)];
        setExpr(k, c.expr, 'epilogue');
        const out = n.outputs[0]!;
        k.outputs = [out];
        out.producer = k;
        g.nodes = g.nodes.filter((x) => x !== n);
        fused++;
        changed = true;
        break;
      }
    }
    return { changed: fused > 0, summary: `fused ${fused} k.map nodes into matmul/conv epilogues` };
  },
};
