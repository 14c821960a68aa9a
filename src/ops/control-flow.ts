// Control flow: If (two branch graphs), Loop (a body run while a trip count and a condition
// allow, with loop-carried values and stacked scan outputs) and Scan (a body run over slices of
// its scan inputs). Subgraphs read outer values through captures (Graph.captures, bound to the
// node's trailing inputs), so every pass sees those dependencies as ordinary inputs.
// Types: loop-carried values are joined across iterations until they stop changing; a trip
// count that is not a constant gives scan outputs a symbolic leading dim.

import type { AttrReader } from '../ir/attributes.js';
import type { Graph, Node, TensorType } from '../ir/graph.js';
import { type ControlSteps, type InferContext, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, type RunValue } from '../ir/values.js';
import { reverseAlong, sliceAt, stackAlong } from './stack.js';
import { captureInputs, driveSteps, graphCost, inferGraph, joinTypes, ownInputCount, sameType } from './subgraph.js';

const BOOL_SCALAR: TensorType = { dtype: 'bool', shape: [] };
const I64_SCALAR: TensorType = { dtype: 'int64', shape: [] };

function truthy(v: RunValue | undefined, what: string): boolean {
  if (!(v instanceof Tensor) || v.size !== 1) {
    throw new Error(`${what} must be a one-element tensor, got ${describeRunValue(v)}`);
  }
  return Number(v.data[0]) !== 0;
}

function graphOf(ctx: { node: Node }, name: string): Graph {
  const a = ctx.node.attrs[name];
  if (!a || a.kind !== 'graph') throw new Error(`graph attribute '${name}' is missing`);
  return a.value;
}

const constBool = (ctx: InferContext, i: number): boolean | undefined => {
  const c = ctx.consts[i];
  return c && c.size === 1 ? Number(c.data[0]) !== 0 : undefined;
};

/** Carried types joined over iterations until stable; a change of container keeps the body's. */
type Types = (TensorType | undefined)[];

function carriedFixpoint(initial: Types, step: (cur: Types) => Types, what: string) {
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
    const then = inferGraph(graphOf(ctx, 'then_branch'), [], caps);
    const other = inferGraph(graphOf(ctx, 'else_branch'), [], caps);
    if (then.length !== other.length) {
      throw new Error(`then_branch has ${then.length} outputs, else_branch ${other.length}`);
    }
    const known = constBool(ctx, 0);
    if (known !== undefined) return (known ? then : other) as TensorType[];
    return then.map((t, i) => joinTypes(t, other[i], `output #${i}`)) as TensorType[];
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

interface ScanLayout {
  n: number;
  m: number;
  batched: boolean;
  inDirs: number[];
  outDirs: number[];
  inAxes: number[];
  outAxes: number[];
}

type Ranks = (number | undefined)[];

function scanLayout(ctx: { node: Node; attrs: AttrReader }, ranks: Ranks, outRanks: Ranks): ScanLayout {
  const batched = ctx.attrs.int('batched', 0) !== 0;
  const own = ownInputCount(ctx.node) - (batched ? 1 : 0);
  const m = ctx.attrs.int('num_scan_inputs');
  const n = own - m;
  if (n < 0) throw new Error(`num_scan_inputs is ${m} but the node has only ${own} state and scan inputs`);
  const body = (ctx.node.attrs.body as { value: Graph }).value;
  const k = body.outputs.length - n;
  const inDirs = ctx.attrs.ints('scan_input_directions', new Array(m).fill(0));
  const outDirs = ctx.attrs.ints('scan_output_directions', new Array(k).fill(0));
  const axisOf = (list: number[], i: number, rank: number | undefined) =>
    rank === undefined ? list[i]! : normAxis(list[i]!, rank, 'scan axis');
  const inAxesRaw = ctx.attrs.ints('scan_input_axes', new Array(m).fill(0));
  const outAxesRaw = ctx.attrs.ints('scan_output_axes', new Array(k).fill(0));
  const inAxes = inAxesRaw.map((_, i) => axisOf(inAxesRaw, i, ranks[i]));
  // a scan output gains the scan axis: its axis counts against rank + 1
  const outAxes = outAxesRaw.map((_, i) =>
    axisOf(outAxesRaw, i, outRanks[i] === undefined ? undefined : outRanks[i]! + 1),
  );
  return { n, m, inDirs, outDirs, inAxes, outAxes, batched };
}

/** One unbatched scan: states and scan inputs in, final states and stacked scan outputs out. */
function* scanOnce(
  body: Graph,
  states: RunValue[],
  xs: Tensor[],
  caps: (RunValue | undefined)[],
  lay: ScanLayout,
): ControlSteps {
  const lens = xs.map((x, i) => x.dims[lay.inAxes[i]!]!);
  if (lens.some((l) => l !== lens[0])) {
    throw new Error(`scan inputs have different lengths along their scan axes (${lens.join(', ')})`);
  }
  const total = lens[0] ?? 0;
  const k = body.outputs.length - lay.n;
  const outs: Tensor[][] = Array.from({ length: k }, () => []);
  for (let t = 0; t < total; t++) {
    const slices = xs.map((x, i) => sliceAt(x, lay.inAxes[i]!, lay.inDirs[i] ? lens[0]! - 1 - t : t));
    const r: RunValue[] = yield { graph: body, inputs: [...states, ...slices], captures: caps };
    states = r.slice(0, lay.n);
    r.slice(lay.n).forEach((v, j) => {
      if (!(v instanceof Tensor)) throw new Error(`scan output #${j} is ${describeRunValue(v)}`);
      outs[j]!.push(v);
    });
  }
  const stacked = outs.map((list, j) => {
    const ty = body.outputs[lay.n + j]!.type;
    const elem = list[0]?.dims ?? (ty?.shape ?? []).map((d) => (typeof d === 'number' ? d : 0));
    let s = stackAlong(list, lay.outAxes[j]!, list[0]?.type ?? ty!.dtype, elem, `scan output #${j}`);
    if (lay.outDirs[j]) s = reverseAlong(s, lay.outAxes[j]!);
    return s;
  });
  return [...states, ...stacked];
}

const scan: OpDef = {
  name: 'nn.Scan',
  inputs: ['inputs...', 'captures...?'],
  outputs: ['final_state_and_scan_outputs...'],
  attrs: {
    body: { kind: 'graph', required: true },
    num_scan_inputs: { kind: 'int', required: true },
    scan_input_directions: { kind: 'ints' },
    scan_output_directions: { kind: 'ints' },
    scan_input_axes: { kind: 'ints' },
    scan_output_axes: { kind: 'ints' },
    /** Scan before opset 9: input 0 is sequence_lens, axis 0 of every input and output is a batch. */
    batched: { kind: 'int', default: 0 },
  },
  values: true,
  infer(ctx) {
    const body = graphOf(ctx, 'body');
    const batched = ctx.attrs.int('batched', 0) !== 0;
    const own = ctx.types.slice(batched ? 1 : 0, ownInputCount(ctx.node));
    const caps = captureInputs(ctx.node, ctx.types);
    const drop = (t: TensorType | undefined, axis: number): TensorType | undefined =>
      t && (t.shape ? { dtype: t.dtype, shape: t.shape.filter((_, i) => i !== axis) } : { dtype: t.dtype });
    const nStates = own.length - ctx.attrs.int('num_scan_inputs');
    const stateTypes = own.slice(0, nStates).map((t) => (batched ? drop(t, 0) : t));
    const xTypes = own.slice(nStates).map((t) => (batched ? drop(t, 0) : t));
    const outRanks = body.outputs.slice(nStates).map((v) => v.type?.shape?.length);
    const lay = scanLayout(
      ctx,
      xTypes.map((t) => t?.shape?.length),
      outRanks,
    );
    const sliceTypes = xTypes.map((t, i) => drop(t, lay.inAxes[i]!));
    const steps: Dim = xTypes[0]?.shape?.[lay.inAxes[0]!] ?? freshDim('steps');
    let all: (TensorType | undefined)[] = [];
    const { final } = carriedFixpoint(
      stateTypes,
      (cur) => {
        all = inferGraph(body, [...cur, ...sliceTypes], caps);
        return all.slice(0, lay.n);
      },
      'scan state',
    );
    const batch: Dim[] = batched ? [own[0]?.shape?.[0] ?? freshDim('batch')] : [];
    const withBatch = (t: TensorType | undefined) => t && (t.shape ? { ...t, shape: [...batch, ...t.shape] } : t);
    const outs = all.slice(lay.n).map((t, j) => {
      if (!t) return undefined;
      if (!t.shape) return { dtype: t.dtype };
      const shape = [...t.shape];
      shape.splice(lay.outAxes[j]!, 0, steps);
      return withBatch({ dtype: t.dtype, shape });
    });
    return [...final.map(withBatch), ...outs] as TensorType[];
  },
  run() {
    throw new Error('Scan runs through runValues');
  },
  runValues(ctx) {
    return driveSteps(this.steps!(ctx));
  },
  *steps(ctx) {
    const body = graphOf(ctx, 'body');
    const batched = ctx.attrs.int('batched', 0) !== 0;
    const own = ctx.inputs.slice(batched ? 1 : 0, ownInputCount(ctx.node));
    const caps = captureInputs(ctx.node, ctx.inputs);
    const m = ctx.attrs.int('num_scan_inputs');
    const xs = own.slice(own.length - m) as Tensor[];
    const rankShift = batched ? 1 : 0;
    const outRanks = body.outputs.slice(own.length - m).map((v) => v.type?.shape?.length);
    const lay = scanLayout(
      ctx,
      xs.map((x) => x.dims.length - rankShift),
      outRanks,
    );
    if (!batched) return yield* scanOnce(body, own.slice(0, lay.n) as RunValue[], xs, caps, lay);
    // before opset 9: run each batch row on its own (up to its sequence length) and stack the rows
    const lensT = ctx.inputs[0] as Tensor | undefined;
    const states = own.slice(0, lay.n) as Tensor[];
    const rows = xs[0]!.dims[0]!;
    const perRow: RunValue[][] = [];
    for (let b = 0; b < rows; b++) {
      const full = xs[0]!.dims[1 + lay.inAxes[0]!]!;
      const len = lensT ? Number(lensT.data[b]) : full;
      if (len !== full) {
        throw new Error(
          `sequence_lens[${b}] = ${len} is shorter than the scan length ${full}; ` + 'padded batches are not supported',
        );
      }
      perRow.push(
        yield* scanOnce(
          body,
          states.map((s) => sliceAt(s, 0, b)),
          xs.map((x) => sliceAt(x, 0, b)),
          caps,
          lay,
        ),
      );
    }
    return perRow[0]!.map((_, j) => {
      const parts = perRow.map((r) => r[j] as Tensor);
      return stackAlong(parts, 0, parts[0]!.type, parts[0]!.dims, `output #${j}`);
    });
  },
  // the body once per step (times the batch before opset 9), where the sizes are known
  cost(ctx) {
    const c = graphCost(graphOf(ctx, 'body'));
    const last = ctx.types[ownInputCount(ctx.node) - 1]?.shape;
    const batched = ctx.attrs.int('batched', 0) !== 0;
    const axis = batched ? 1 : (ctx.attrs.ints('scan_input_axes', [0]).at(-1) ?? 0);
    const known = (d: Dim | undefined) => (typeof d === 'number' ? d : 1);
    const steps = last && axis >= 0 ? known(last[axis]) * (batched ? known(last[0]) : 1) : 1;
    return { flops: c.flops * steps, bytes: c.bytes * steps };
  },
  onnx: {
    type: 'Scan',
    minOpset: 8,
    import(ctx) {
      if (ctx.opset >= 9) return;
      // opset 8: a batch axis in front, `directions` for the scan inputs, sequence_lens first
      const dirs = ctx.take('directions');
      if (dirs) ctx.node.attrs.scan_input_directions = dirs;
      ctx.node.attrs.batched = { kind: 'int', value: 1 };
    },
  },
};

registerOps([ifOp, loop, scan]);
