// Control flow: If (two branch graphs) and Loop (a body run while a trip count and a condition
// allow, with loop-carried values and stacked scan outputs); Scan is in scan.ts. Subgraphs read
// outer values through captures (Graph.captures, bound to the node's trailing inputs), so every
// pass sees those dependencies as ordinary inputs.
// Types: loop-carried values are joined across iterations until they stop changing; a trip
// count that is not a constant gives scan outputs a symbolic leading dim.

import type { Graph, Node, TensorType } from '../ir/graph.js';
import { type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, type RunValue } from '../ir/values.js';
import { stackAlong } from './stack.js';
import { captureInputs, driveSteps, graphCost, inferGraph, joinTypes, ownInputCount, sameType } from './subgraph.js';

const BOOL_SCALAR: TensorType = { dtype: 'bool', shape: [] };
const I64_SCALAR: TensorType = { dtype: 'int64', shape: [] };

export function truthy(v: RunValue | undefined, what: string): boolean {
  if (!(v instanceof Tensor) || v.size !== 1) {
    throw new Error(`${what} must be a one-element tensor, got ${describeRunValue(v)}`);
  }
  return Number(v.data[0]) !== 0;
}

export function graphOf(ctx: { node: Node }, name: string): Graph {
  const a = ctx.node.attrs[name];
  if (!a || a.kind !== 'graph') throw new Error(`graph attribute '${name}' is missing`);
  return a.value;
}

const constBool = (ctx: InferContext, i: number): boolean | undefined => {
  const c = ctx.consts[i];
  return c && c.size === 1 ? Number(c.data[0]) !== 0 : undefined;
};

/** Carried types joined over iterations until stable; a change of container keeps the body's. */
export type Types = (TensorType | undefined)[];

export function carriedFixpoint(initial: Types, step: (cur: Types) => Types, what: string) {
  let cur = initial;
  let outs = step(cur);
  for (let round = 0; round < 4; round++) {
    const next = cur.map((c, i) => {
      const o = outs[i];
      if (c && o && (c.wrap?.join() ?? '') !== (o.wrap?.join() ?? '')) {
        // opt<seq> in, seq out (Loop 16): keep the containers it starts with, join the element shapes
        const bare = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: t.shape });
        const shape = joinTypes(bare(c), bare(o), `${what} #${i}`)!.shape;
        return { ...c, shape };
      }
      return joinTypes(c, o, `${what} #${i}`);
    });
    if (next.every((t, i) => sameType(t, cur[i]))) break;
    cur = next;
    outs = step(cur);
  }
  // final values: the initial one when the body never runs, else the body's
  const final = cur.map((c, i) => {
    const o = outs[i];
    if (c && o && (c.wrap?.join() ?? '') !== (o.wrap?.join() ?? '')) return o;
    return c ?? o;
  });
  return { cur, outs, final };
}

const ifOp: OpDef = {
  name: 'nn.If',
  inputs: ['cond', 'captures...?'],
  outputs: ['outputs...'],
  attrs: { then_branch: { kind: 'graph', required: true }, else_branch: { kind: 'graph', required: true } },
  values: true,
  infer(ctx) {
    const cond = ctx.types[0];
    if (!cond || cond.dtype !== 'bool') throw new Error(`cond must be bool, got ${formatType(cond)}`);
    const caps = captureInputs(ctx.node, ctx.types);
    const known = constBool(ctx, 0);
    // a branch that cannot run on these shapes is an error only where it is taken: Silero VAD's
    // 8 kHz branch rejects a 16 kHz frame, and the sample rate is an input
    const branch = (name: string) => {
      try {
        return { types: inferGraph(graphOf(ctx, name), [], caps) };
      } catch (e) {
        return { error: e as Error };
      }
    };
    const then = branch('then_branch'),
      other = branch('else_branch');
    if (known !== undefined) {
      const taken = known ? then : other;
      if (taken.error) throw taken.error;
      return taken.types as TensorType[];
    }
    if (then.error && other.error) throw then.error;
    if (then.error || other.error) return (then.types ?? other.types) as TensorType[];
    if (then.types!.length !== other.types!.length) {
      throw new Error(`then_branch has ${then.types!.length} outputs, else_branch ${other.types!.length}`);
    }
    return then.types!.map((t, i) => joinTypes(t, other.types![i], `output #${i}`)) as TensorType[];
  },
  run() {
    throw new Error('If runs through runValues');
  },
  runValues(ctx) {
    return driveSteps(this.steps!(ctx));
  },
  *steps(ctx) {
    const branch = truthy(ctx.inputs[0], 'cond') ? 'then_branch' : 'else_branch';
    return yield { graph: graphOf(ctx, branch), inputs: [], captures: captureInputs(ctx.node, ctx.inputs) };
  },
  // the costlier branch (which one runs is only known at run time)
  cost(ctx) {
    const a = graphCost(graphOf(ctx, 'then_branch')),
      b = graphCost(graphOf(ctx, 'else_branch'));
    return a.flops >= b.flops ? a : b;
  },
  onnx: { type: 'If' },
};

const loop: OpDef = {
  name: 'nn.Loop',
  inputs: ['M?', 'cond?', 'v_initial...?'],
  outputs: ['v_final_and_scan_outputs...?'],
  attrs: { body: { kind: 'graph', required: true } },
  values: true,
  infer(ctx) {
    const body = graphOf(ctx, 'body');
    const own = ownInputCount(ctx.node);
    const types = ctx.types.slice(0, own);
    const caps = captureInputs(ctx.node, ctx.types);
    const m = types[0],
      c = types[1];
    if (m && m.dtype !== 'int64') throw new Error(`trip count M must be int64, got ${formatType(m)}`);
    if (c && c.dtype !== 'bool') throw new Error(`cond must be bool, got ${formatType(c)}`);
    const n = own - 2;
    if (body.inputs.length !== n + 2) {
      throw new Error(
        `body takes ${body.inputs.length} inputs; it needs ${n + 2} ` +
          `(iteration, condition and ${n} loop-carried values)`,
      );
    }
    const k = body.outputs.length - 1 - n;
    if (k < 0) throw new Error(`body returns ${body.outputs.length} values; it needs at least ${n + 1}`);
    const initial = types.slice(2).map((t, i) => t ?? body.inputs[2 + i]!.type);
    let all: (TensorType | undefined)[] = [];
    const { final } = carriedFixpoint(
      initial,
      (cur) => {
        all = inferGraph(body, [I64_SCALAR, BOOL_SCALAR, ...cur], caps);
        return all.slice(1, 1 + n);
      },
      'loop-carried value',
    );
    const condOut = all[0];
    if (condOut && condOut.dtype !== 'bool') {
      throw new Error(`body's condition output is ${formatType(condOut)}; bool expected`);
    }
    // trips: exactly M when nothing can stop the loop early, else a symbol
    const mConst = ctx.consts[0];
    const runsAll = !ctx.node.inputs[1] || constBool(ctx, 1) === true;
    const exact: Dim = mConst && runsAll && isAlwaysTrue(body) ? Number(mConst.data[0]) : freshDim('trips');
    const scans = all.slice(1 + n).map((t, i) => {
      if (!t) return undefined;
      if (t.wrap?.length) throw new Error(`scan output #${i} is ${formatType(t)}; scan outputs are tensors`);
      return { dtype: t.dtype, ...(t.shape ? { shape: [exact, ...t.shape] } : {}) };
    });
    return [...final, ...scans] as TensorType[];
  },
  run() {
    throw new Error('Loop runs through runValues');
  },
  runValues(ctx) {
    return driveSteps(this.steps!(ctx));
  },
  *steps(ctx) {
    const body = graphOf(ctx, 'body');
    const own = ownInputCount(ctx.node);
    const caps = captureInputs(ctx.node, ctx.inputs);
    const [mIn, cIn] = ctx.inputs;
    const m = mIn === undefined ? Infinity : Number((mIn as Tensor).data[0]);
    let cond = cIn === undefined ? true : truthy(cIn, 'cond');
    let carried = ctx.inputs.slice(2, own);
    const n = carried.length;
    const k = body.outputs.length - 1 - n;
    const scans: Tensor[][] = Array.from({ length: k }, () => []);
    for (let i = 0; i < m && cond; i++) {
      const iter = Tensor.from('int64', [BigInt(i)], []);
      const outs: RunValue[] = yield {
        graph: body,
        inputs: [iter, Tensor.from('bool', [1], []), ...carried],
        captures: caps,
      };
      cond = truthy(outs[0], "the body's condition output");
      carried = outs.slice(1, 1 + n);
      outs.slice(1 + n).forEach((v, j) => {
        if (!(v instanceof Tensor)) {
          throw new Error(`scan output #${j} is ${describeRunValue(v)}; scan outputs are tensors`);
        }
        scans[j]!.push(v);
      });
    }
    const stacked = scans.map((list, j) => {
      const t = body.outputs[1 + n + j]!.type;
      const elem = list[0]?.dims ?? (t?.shape ?? []).map((d) => (typeof d === 'number' ? d : 0));
      return stackAlong(list, 0, list[0]?.type ?? t!.dtype, elem, `scan output #${j}`);
    });
    return [...(carried as RunValue[]), ...stacked];
  },
  // the body once per trip: the trip count where it is a constant, else one trip
  cost(ctx) {
    const m = ctx.node.inputs[0]?.const;
    const trips = m ? Math.max(0, Number(m.data[0])) : 1;
    const c = graphCost(graphOf(ctx, 'body'));
    return { flops: c.flops * trips, bytes: c.bytes * trips };
  },
  onnx: { type: 'Loop' },
};

/** The body's condition output is always true (a constant true, or the condition passed through). */
function isAlwaysTrue(body: Graph): boolean {
  const c = body.outputs[0];
  if (!c) return false;
  if (c.const) return c.const.size === 1 && Number(c.const.data[0]) !== 0;
  if (c === body.inputs[1]) return true;
  const p = c.producer;
  return !!p && p.op === 'nn.Identity' && p.inputs[0] === body.inputs[1] && body.nodes.includes(p);
}

registerOps([ifOp, loop]);
