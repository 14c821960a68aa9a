// Scan: a body run over slices of its scan inputs, with loop-carried states (the opset 8 form
// batched over the leading dim, opset 9 and later with axes and directions per input and output).

import type { AttrReader } from '../ir/attributes.js';
import type { Graph, Node, TensorType } from '../ir/graph.js';
import { type ControlSteps, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { describeRunValue, type RunValue } from '../ir/values.js';
import { carriedFixpoint, graphOf } from './control-flow.js';
import { reverseAlong, sliceAt, stackAlong } from './stack.js';
import { captureInputs, driveSteps, graphCost, inferGraph, ownInputCount } from './subgraph.js';

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
registerOps([scan]);
