// Subgraphs (If branches, Loop/Scan/SequenceMap bodies): running one on run-time values with the
// reference semantics of its nodes, inferring its types from the types the owning node feeds it,
// and joining the types of values that change across iterations or branches.

import { type Attr, AttrReader } from '../ir/attributes.js';
import { dtypeBytes } from '../ir/dtype.js';
import type { Graph, Node, TensorType, Value } from '../ir/graph.js';
import { inferNode, nodeError } from '../ir/infer.js';
import { type BodyCall, type ControlSteps, type Cost, lookupOp } from '../ir/op-def.js';
import { type Dim, freshDim } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, fitsType, type RunValue } from '../ir/values.js';
import { evalNodeValues } from './evaluate.js';

/** The graph attributes of a node, in attribute-name order. */
export function graphAttrs(node: Node): Graph[] {
  return Object.keys(node.attrs)
    .sort()
    .flatMap((k) => {
      const a: Attr = node.attrs[k]!;
      return a.kind === 'graph' ? [a.value] : [];
    });
}

/** How many of a node's inputs are its own (the rest are captures of its subgraphs). */
export function ownInputCount(node: Node): number {
  const g = graphAttrs(node)[0];
  return node.inputs.length - (g ? g.captures.length : 0);
}

/** The inputs that bind the subgraphs' captures. */
export function captureInputs<T>(node: Node, inputs: T[]): T[] {
  return inputs.slice(ownInputCount(node));
}

/** A Value's data must fit its static type: the reference is the oracle, so it checks itself. */
export function checkValue(node: Node, v: Value, x: RunValue | undefined): void {
  if (!v.type || x === undefined) return;
  if (!fitsType(x, v.type)) {
    throw nodeError(
      node,
      new Error(
        `produced ${describeRunValue(x)} for '${v.name}', but its type is ` +
          `${formatType(v.type)} (an inconsistent model, or a bug in the op)`,
      ),
    );
  }
}

/** Run a graph: inputs bind g.inputs, captures bind g.captures; returns g.outputs' values. */
type Maybe<T> = (T | undefined)[];

export function runGraph(g: Graph, inputs: Maybe<RunValue>, captures: Maybe<RunValue> = []): RunValue[] {
  const env = new Map<Value, RunValue | undefined>();
  g.inputs.forEach((v, i) => env.set(v, inputs[i]));
  g.captures.forEach((v, i) => env.set(v, captures[i]));
  const read = (v: Value | null): RunValue | undefined => {
    if (!v) return undefined;
    if (v.const) return v.const;
    if (!env.has(v)) {
      throw new Error(`graph '${g.name}': value '${v.name}' has no data (graph not in topological order?)`);
    }
    return env.get(v);
  };
  for (const node of g.nodes) {
    const outs = evalNodeValues(node, node.inputs.map(read));
    node.outputs.forEach((o, i) => {
      if (!o) return;
      const x = outs[i];
      if (x === undefined) throw nodeError(node, new Error(`produced no value for output #${i} '${o.name}'`));
      checkValue(node, o, x);
      env.set(o, x);
    });
  }
  return g.outputs.map((v) => {
    const x = read(v);
    if (x === undefined) throw new Error(`graph '${g.name}': output '${v.name}' has no value`);
    return x;
  });
}

/**
 * Types of a subgraph's outputs when its inputs and captures have the given types. Inputs given as
 * undefined keep their declared type. Every node's output type is re-inferred (the body is owned
 * by the node, so its types follow what the node feeds it).
 */
export function inferGraph(g: Graph, inputs: Maybe<TensorType>, captures: Maybe<TensorType>): Maybe<TensorType> {
  g.inputs.forEach((v, i) => {
    if (inputs[i]) v.type = inputs[i];
  });
  g.captures.forEach((v, i) => {
    if (captures[i]) v.type = captures[i];
  });
  for (const n of g.nodes) {
    const types = inferNode(n);
    n.outputs.forEach((o, i) => {
      if (o && types[i]) o.type = types[i];
    });
  }
  return g.outputs.map((v) => v.type);
}

const sameWrap = (a: TensorType, b: TensorType) =>
  (a.wrap?.length ?? 0) === (b.wrap?.length ?? 0) && (a.wrap ?? []).every((w, i) => w === b.wrap![i]);

/**
 * The most specific type both a and b fit: equal dims stay, a symbol in `a` stays (it already
 * stands for a size that varies), any other difference becomes a new symbol; different ranks lose
 * the shape. `what` names the value in the error for a dtype or container mismatch.
 */
export function joinTypes(a: TensorType | undefined, b: TensorType | undefined, what: string): TensorType | undefined {
  if (!a || !b) return a ?? b;
  if (a.dtype !== b.dtype || !sameWrap(a, b)) {
    throw new Error(`${what} is ${formatType(a)} on one path and ${formatType(b)} on another`);
  }
  const wrap = a.wrap?.length ? { wrap: a.wrap } : {};
  if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return { dtype: a.dtype, ...wrap };
  const shape: Dim[] = a.shape.map((d, i) => (d === b.shape![i] || typeof d === 'string' ? d : freshDim('n')));
  return { dtype: a.dtype, shape, ...wrap };
}

const elems = (t: TensorType | undefined) =>
  t?.shape ? t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1) : 0;
const bytes = (t: TensorType | undefined) => (t ? elems(t) * dtypeBytes(t.dtype) : 0);

/** Drive a control-flow op's steps with the reference interpreter. */
export function driveSteps(steps: ControlSteps): RunValue[] {
  let r = steps.next(undefined as unknown as RunValue[]);
  while (!r.done) r = steps.next(runGraph(r.value.graph, r.value.inputs, r.value.captures));
  return r.value;
}

/** Drive them with any (asynchronous) way of running a subgraph: a device backend's. */
export async function driveStepsAsync(
  steps: ControlSteps,
  run: (c: BodyCall) => Promise<RunValue[]>,
): Promise<RunValue[]> {
  let r = steps.next(undefined as unknown as RunValue[]);
  while (!r.done) r = steps.next(await run(r.value));
  return r.value;
}

/** FLOPs and bytes of one run of a subgraph: each node's cost rule, or the registry's default. */
export function graphCost(g: Graph): Cost {
  let flops = 0,
    moved = 0;
  for (const n of g.nodes) {
    const def = lookupOp(n.op);
    const types = n.inputs.map((v) => v?.type),
      outTypes = n.outputs.map((v) => v?.type);
    if (def?.cost) {
      const c = def.cost({ node: n, attrs: new AttrReader(n.attrs, n.describe()), types, outTypes });
      flops += c.flops;
      moved += c.bytes;
    } else {
      flops += outTypes.reduce((a, t) => a + elems(t), 0);
      moved += [...types, ...outTypes].reduce((a, t) => a + bytes(t), 0);
    }
  }
  return { flops, bytes: moved };
}

/** Two types say the same (used to stop the loop-carried fixpoint). */
export function sameType(a: TensorType | undefined, b: TensorType | undefined): boolean {
  return formatType(a) === formatType(b);
}
