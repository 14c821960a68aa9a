// Control-flow folding: an If whose condition is a constant is replaced by the branch it takes,
// and a Loop whose trip count is a constant (and whose condition cannot stop it early) is
// unrolled into copies of its body, scan outputs stacked with Unsqueeze + Concat. What is left
// then meets constant folding and the kernel passes like any other node. Bodies are copied, not
// moved; a nested subgraph is shared by its copies (its captures are explicit, so it reads only
// its owner's inputs).

import { type Graph, Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { constantFolding } from './constant-folding.js';
import { deadCodeElimination } from './dce.js';
import type { Pass } from './pass.js';

/** Unroll at most this many iterations, and at most this many copied nodes per loop. */
const MAX_TRIPS = 64;
const MAX_UNROLLED_NODES = 4096;

class Namer {
  private used = new Set<string>();
  constructor(g: Graph) {
    const visit = (v: Value | null) => {
      if (v) this.used.add(v.name);
    };
    g.inputs.forEach(visit);
    for (const n of g.nodes) {
      n.inputs.forEach(visit);
      n.outputs.forEach(visit);
    }
  }
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/**
 * Copy a subgraph's nodes into the parent with `bind` giving each of its inputs and captures a
 * parent value; returns the new nodes and the parent values of the subgraph's outputs.
 */
interface Inlined {
  nodes: Node[];
  outputs: Value[];
}

function inlineBody(body: Graph, bind: Map<Value, Value>, namer: Namer, suffix: string): Inlined {
  const map = new Map(bind);
  const get = (v: Value | null): Value | null => (v ? (v.const ? v : (map.get(v) ?? missing(v))) : null);
  const missing = (v: Value): never => {
    throw new Error(`inlining '${body.name}': value '${v.name}' is not bound`);
  };
  const nodes = body.nodes.map((n) => {
    const outs = n.outputs.map((o) => {
      if (!o) return null;
      const c = new Value(namer.fresh(`${o.name}${suffix}`), o.type);
      map.set(o, c);
      return c;
    });
    const ins = n.inputs.map(get);
    return new Node(n.op, ins, outs, { ...n.attrs }, n.name ? `${n.name}${suffix}` : '');
  });
  return { nodes, outputs: body.outputs.map((v) => get(v)!) };
}

function graphAttr(n: Node, k: string): Graph | undefined {
  const a = n.attrs[k];
  return a?.kind === 'graph' ? a.value : undefined;
}
function boolConst(v: Value | null | undefined): boolean | undefined {
  return v?.const && v.const.size === 1 ? Number(v.const.data[0]) !== 0 : undefined;
}

/** The body's condition output is true whenever its condition input is (a constant true, or passed through). */
function keepsGoing(body: Graph): boolean {
  const c = body.outputs[0];
  if (!c) return false;
  if (c.const) return boolConst(c) === true;
  if (c === body.inputs[1]) return true;
  const p = c.producer;
  return !!p && p.op === 'nn.Identity' && p.inputs[0] === body.inputs[1] && body.nodes.includes(p);
}

function bindCaptures(n: Node, body: Graph, bind: Map<Value, Value>): void {
  const start = n.inputs.length - body.captures.length;
  body.captures.forEach((c, i) => bind.set(c, n.inputs[start + i]!));
}

function foldIf(n: Node, namer: Namer): Inlined | undefined {
  const cond = boolConst(n.inputs[0]);
  if (cond === undefined) return undefined;
  const branch = graphAttr(n, cond ? 'then_branch' : 'else_branch')!;
  const bind = new Map<Value, Value>();
  bindCaptures(n, branch, bind);
  return inlineBody(branch, bind, namer, `.${cond ? 'then' : 'else'}`);
}

function unrollLoop(n: Node, namer: Namer): Inlined | undefined {
  const body = graphAttr(n, 'body')!;
  const m = n.inputs[0];
  if (!m?.const || !keepsGoing(body)) return undefined;
  if (n.inputs[1] && boolConst(n.inputs[1]) !== true) return undefined;
  const trips = Number(m.const.data[0]);
  const own = n.inputs.length - body.captures.length;
  const carriedCount = own - 2;
  const scanCount = body.outputs.length - 1 - carriedCount;
  if (trips < 0 || trips > MAX_TRIPS || trips * body.nodes.length > MAX_UNROLLED_NODES) return undefined;
  if (scanCount > 0 && trips === 0) return undefined; // an empty scan output's shape needs the run
  if (body.outputs.some((v) => v.type?.wrap?.length)) return undefined;
  const nodes: Node[] = [];
  let carried = n.inputs.slice(2, own) as Value[];
  const scans: Value[][] = Array.from({ length: scanCount }, () => []);
  const condValue = new Value(namer.fresh(`${n.outputs[0]?.name ?? 'loop'}.cond`), { dtype: 'bool', shape: [] });
  condValue.const = Tensor.from('bool', [1], []);
  for (let i = 0; i < trips; i++) {
    const iter = new Value(namer.fresh(`${n.outputs[0]?.name ?? 'loop'}.iter${i}`), { dtype: 'int64', shape: [] });
    iter.const = Tensor.from('int64', [BigInt(i)], []);
    const bind = new Map<Value, Value>([
      [body.inputs[0]!, iter],
      [body.inputs[1]!, condValue],
    ]);
    body.inputs.slice(2).forEach((v, j) => bind.set(v, carried[j]!));
    bindCaptures(n, body, bind);
    const r = inlineBody(body, bind, namer, `.it${i}`);
    nodes.push(...r.nodes);
    carried = r.outputs.slice(1, 1 + carriedCount);
    r.outputs.slice(1 + carriedCount).forEach((v, k) => scans[k]!.push(v));
  }
  const axes = new Value(namer.fresh('loop.axes0'), { dtype: 'int64', shape: [1] });
  axes.const = Tensor.from('int64', [0n], [1]);
  const stacked = scans.map((list, k) => {
    const parts = list.map((v) => {
      const t =
        v.type && (v.type.shape ? { dtype: v.type.dtype, shape: [1, ...v.type.shape] } : { dtype: v.type.dtype });
      const u = new Value(namer.fresh(`${v.name}.row`), t);
      nodes.push(new Node('nn.Unsqueeze', [v, axes], [u]));
      return u;
    });
    const old = n.outputs[carriedCount + k];
    const out = new Value(namer.fresh(`${old?.name ?? 'scan'}.stacked`), old?.type);
    nodes.push(new Node('nn.Concat', parts, [out], { axis: { kind: 'int', value: 0 } }));
    return out;
  });
  return { nodes, outputs: [...carried, ...stacked] };
}

/** Constant folding and DCE inside the bodies that stay (a Constant in a Loop body runs once, not per trip). */
function simplifyBodies(nodes: Node[]): number {
  let changed = 0;
  for (const n of nodes) {
    for (const a of Object.values(n.attrs)) {
      if (a.kind !== 'graph') continue;
      changed += simplifyBodies(a.value.nodes);
      if (constantFolding.run(a.value).changed) changed++;
      if (deadCodeElimination.run(a.value).changed) changed++;
    }
  }
  return changed;
}

export const controlFlow: Pass = {
  name: 'control-flow',
  description: 'inline If with a constant condition, unroll Loop with a small constant trip count, fold inside bodies',
  run(g: Graph) {
    const namer = new Namer(g);
    let folded = 0,
      unrolled = 0;
    const kept: Node[] = [];
    const replace: [Value, Value][] = [];
    for (const n of g.nodes) {
      const r = n.op === 'nn.If' ? foldIf(n, namer) : n.op === 'nn.Loop' ? unrollLoop(n, namer) : undefined;
      if (!r) {
        kept.push(n);
        continue;
      }
      if (n.op === 'nn.If') folded++;
      else unrolled++;
      kept.push(...r.nodes);
      n.outputs.forEach((o, i) => {
        if (o) replace.push([o, r.outputs[i]!]);
      });
    }
    g.nodes = kept;
    const simplified = simplifyBodies(g.nodes);
    for (const [from, to] of replace) {
      const outputs = g.outputs.map((v) => v === from);
      g.replaceAllUses(from, to);
      // a graph output keeps its name (callers fetch by it): an Identity gives it the folded value
      if (outputs.some(Boolean)) {
        g.nodes.push(new Node('nn.Identity', [to], [from]));
        g.outputs = g.outputs.map((v, i) => (outputs[i] ? from : v));
      }
    }
    return {
      changed: folded + unrolled + simplified > 0,
      summary: `inlined ${folded} If, unrolled ${unrolled} Loop, simplified ${simplified} bodies`,
    };
  },
};
