// Sequences: ordered lists of tensors of one dtype (ONNX sequence types). The static type of a
// sequence is its element type wrapped in 'sequence'; its shape is what every element is known to
// share (symbols where they differ). Values are immutable: every op returns a new sequence.

import { type DType, dtypeFromOnnx } from '../ir/dtype.js';
import type { Graph, TensorType } from '../ir/graph.js';
import { type InferContext, type OpDef, registerOps, type ValueRunContext } from '../ir/op-def.js';
import { freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { describeRunValue, type RunValue, TensorSequence } from '../ir/values.js';
import { scalarInt } from './math-util.js';
import { concatAlong, stackAlong } from './stack.js';
import { captureInputs, driveSteps, inferGraph, joinTypes, ownInputCount } from './subgraph.js';
import { ALL } from './util.js';

const SEQ_DTYPES: DType[] = [...ALL, 'string'];

export const seqOf = (t: TensorType): TensorType => ({ ...t, wrap: ['sequence', ...(t.wrap ?? [])] });
/** The element type of a sequence type. */
export const elemOf = (t: TensorType): TensorType => {
  const { wrap, ...rest } = t;
  return wrap && wrap.length > 1 ? { ...rest, wrap: wrap.slice(1) } : rest;
};

function seqType(ctx: InferContext, i: number, what: string): TensorType {
  const t = ctx.types[i];
  if (!t || t.wrap?.[0] !== 'sequence') throw new Error(`${what} must be a sequence, got ${formatType(t)}`);
  return t;
}

function tensorType(ctx: InferContext, i: number, what: string): TensorType {
  const t = ctx.types[i];
  if (!t || t.wrap?.length) throw new Error(`${what} must be a tensor, got ${formatType(t)}`);
  return t;
}

function seqArg(ctx: ValueRunContext, i: number): TensorSequence {
  const v = ctx.inputs[i];
  if (!(v instanceof TensorSequence)) throw new Error(`input #${i} must be a sequence, got ${describeRunValue(v)}`);
  return v;
}

function tensorArg(ctx: ValueRunContext, i: number): Tensor {
  const v = ctx.inputs[i];
  if (!(v instanceof Tensor)) throw new Error(`input #${i} must be a tensor, got ${describeRunValue(v)}`);
  return v;
}

/** A position in [-n, n) (or [-n, n] where `end` may be inserted at), as a non-negative index. */
function position(p: Tensor | undefined, n: number, inclusive: boolean, dflt: number): number {
  if (!p) return dflt;
  const k = scalarInt(p, 'position');
  const hi = inclusive ? n : n - 1;
  if (k < -n || k > hi) throw new Error(`position ${k} is out of range for a sequence of ${n} (allowed ${-n}..${hi})`);
  return k < 0 ? k + n : k;
}

const checkPosition = (ctx: InferContext, i: number) => {
  const t = ctx.types[i];
  if (t && t.dtype !== 'int32' && t.dtype !== 'int64') {
    throw new Error(`position must be int32 or int64, got ${formatType(t)}`);
  }
};

const values = (f: (ctx: ValueRunContext) => RunValue[]) => ({
  values: true,
  run: () => {
    throw new Error('sequence ops run through runValues');
  },
  runValues: f,
});

const sequenceEmpty: OpDef = {
  name: 'nn.SequenceEmpty',
  inputs: [],
  outputs: ['output'],
  attrs: { dtype: { kind: 'int', default: 1 } },
  infer: (ctx) => [seqOf({ dtype: dtypeFromOnnx(ctx.attrs.int('dtype', 1)) })],
  ...values((ctx) => [new TensorSequence(dtypeFromOnnx(ctx.attrs.int('dtype', 1)), [])]),
  onnx: { type: 'SequenceEmpty', minOpset: 11 },
};

const sequenceConstruct: OpDef = {
  name: 'nn.SequenceConstruct',
  inputs: ['inputs...'],
  outputs: ['output_sequence'],
  infer(ctx) {
    const ts = ctx.types.map((_, i) => tensorType(ctx, i, `input #${i}`));
    if (!SEQ_DTYPES.includes(ts[0]!.dtype)) throw new Error(`cannot make a sequence of ${ts[0]!.dtype}`);
    const elem = ts.slice(1).reduce<TensorType | undefined>((a, t, i) => joinTypes(a, t, `input #${i + 1}`), ts[0]);
    return [seqOf(elem!)];
  },
  ...values((ctx) => {
    const items = ctx.inputs.map((_, i) => tensorArg(ctx, i));
    return [new TensorSequence(items[0]!.type, items)];
  }),
  onnx: { type: 'SequenceConstruct', minOpset: 11 },
};

const sequenceInsert: OpDef = {
  name: 'nn.SequenceInsert',
  inputs: ['input_sequence', 'tensor', 'position?'],
  outputs: ['output_sequence'],
  infer(ctx) {
    const s = seqType(ctx, 0, 'input_sequence');
    const t = tensorType(ctx, 1, 'tensor');
    checkPosition(ctx, 2);
    if (s.dtype !== t.dtype) throw new Error(`cannot insert a ${formatType(t)} into a ${formatType(s)}`);
    // an empty sequence's elements have no known shape yet; the inserted tensor's is then as good as any
    const e = elemOf(s);
    return [seqOf(e.shape ? joinTypes(e, t, 'element')! : { dtype: t.dtype })];
  },
  ...values((ctx) => {
    const s = seqArg(ctx, 0);
    const t = tensorArg(ctx, 1);
    if (t.type !== s.elemType) throw new Error(`cannot insert a ${t.type} tensor into a sequence of ${s.elemType}`);
    const at = position(ctx.inputs[2] as Tensor | undefined, s.length, true, s.length);
    const items = [...s.items];
    items.splice(at, 0, t);
    return [new TensorSequence(s.elemType, items)];
  }),
  onnx: { type: 'SequenceInsert', minOpset: 11 },
};

const sequenceErase: OpDef = {
  name: 'nn.SequenceErase',
  inputs: ['input_sequence', 'position?'],
  outputs: ['output_sequence'],
  infer(ctx) {
    checkPosition(ctx, 1);
    return [seqType(ctx, 0, 'input_sequence')];
  },
  ...values((ctx) => {
    const s = seqArg(ctx, 0);
    if (!s.length) throw new Error('cannot erase from an empty sequence');
    const at = position(ctx.inputs[1] as Tensor | undefined, s.length, false, s.length - 1);
    return [
      new TensorSequence(
        s.elemType,
        s.items.filter((_, i) => i !== at),
      ),
    ];
  }),
  onnx: { type: 'SequenceErase', minOpset: 11 },
};

const sequenceAt: OpDef = {
  name: 'nn.SequenceAt',
  inputs: ['input_sequence', 'position'],
  outputs: ['tensor'],
  infer(ctx) {
    checkPosition(ctx, 1);
    return [elemOf(seqType(ctx, 0, 'input_sequence'))];
  },
  ...values((ctx) => {
    const s = seqArg(ctx, 0);
    return [s.items[position(tensorArg(ctx, 1), s.length, false, 0)]!];
  }),
  onnx: { type: 'SequenceAt', minOpset: 11 },
};

const sequenceLength: OpDef = {
  name: 'nn.SequenceLength',
  inputs: ['input_sequence'],
  outputs: ['length'],
  infer(ctx) {
    seqType(ctx, 0, 'input_sequence');
    return [{ dtype: 'int64', shape: [] }];
  },
  ...values((ctx) => [Tensor.from('int64', [BigInt(seqArg(ctx, 0).length)], [])]),
  onnx: { type: 'SequenceLength', minOpset: 11 },
};

/** Chunk sizes along the axis: size-1 pieces, pieces of one given size (the last shorter), or given sizes. */
function chunkSizes(n: number, split: Tensor | undefined): number[] {
  if (!split) return new Array(n).fill(1);
  const vals = split.toNumbers();
  if (split.dims.length === 0) {
    const k = vals[0]!;
    if (k <= 0) throw new Error(`split size ${k} must be positive`);
    return Array.from({ length: Math.ceil(n / k) }, (_, i) => Math.min(k, n - i * k));
  }
  const sum = vals.reduce((a, b) => a + b, 0);
  if (vals.some((v) => v < 0) || sum !== n) {
    throw new Error(`split sizes [${vals.join(',')}] must be non-negative and add up to ${n}`);
  }
  return vals;
}

const splitToSequence: OpDef = {
  name: 'nn.SplitToSequence',
  inputs: ['input', 'split?'],
  outputs: ['output_sequence'],
  attrs: { axis: { kind: 'int', default: 0 }, keepdims: { kind: 'int', default: 1 } },
  infer(ctx) {
    const x = tensorType(ctx, 0, 'input');
    const split = ctx.types[1];
    if (!x.shape) return [seqOf({ dtype: x.dtype })];
    const axis = normAxis(ctx.attrs.int('axis', 0), x.shape.length);
    const c = ctx.consts[1];
    let d: number | string | undefined;
    if (!split) d = 1;
    else if (c && c.dims.length === 0) {
      const size = x.shape[axis],
        k = Number(c.data[0]);
      if (typeof size === 'number' && size % k === 0) d = k;
    } else if (c && c.size && c.toNumbers().every((v) => v === c.toNumbers()[0])) d = c.toNumbers()[0];
    const keep = ctx.attrs.int('keepdims', 1) !== 0 || !!split;
    const shape = [...x.shape];
    if (keep) shape[axis] = d ?? freshDim('split');
    else shape.splice(axis, 1);
    return [seqOf({ dtype: x.dtype, shape })];
  },
  ...values((ctx) => {
    const x = tensorArg(ctx, 0);
    const split = ctx.inputs[1] as Tensor | undefined;
    const axis = normAxis(ctx.attrs.int('axis', 0), x.dims.length);
    const sizes = chunkSizes(x.dims[axis]!, split);
    const squeeze = !split && ctx.attrs.int('keepdims', 1) === 0;
    const items: Tensor[] = [];
    let at = 0;
    for (const k of sizes) {
      const piece = sliceRange(x, axis, at, k);
      at += k;
      items.push(squeeze ? piece.reshape(piece.dims.filter((_, i) => i !== axis)) : piece);
    }
    return [new TensorSequence(x.type, items)];
  }),
  onnx: { type: 'SplitToSequence', minOpset: 11 },
};

/** x restricted to [start, start+len) along axis. */
function sliceRange(x: Tensor, axis: number, start: number, len: number): Tensor {
  const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = x.dims[axis]!;
  const dims = [...x.dims];
  dims[axis] = len;
  const out = Tensor.zeros(x.type, dims);
  const src = x.data as unknown as unknown[],
    dst = out.data as unknown as unknown[];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < len * inner; i++) dst[o * len * inner + i] = src[(o * n + start) * inner + i];
  }
  return out;
}

const concatFromSequence: OpDef = {
  name: 'nn.ConcatFromSequence',
  inputs: ['input_sequence'],
  outputs: ['concat_result'],
  attrs: { axis: { kind: 'int', required: true }, new_axis: { kind: 'int', default: 0 } },
  infer(ctx) {
    const e = elemOf(seqType(ctx, 0, 'input_sequence'));
    if (!e.shape) return [{ dtype: e.dtype }];
    const stack = ctx.attrs.int('new_axis', 0) !== 0;
    const axis = normAxis(ctx.attrs.int('axis'), e.shape.length + (stack ? 1 : 0));
    const shape = [...e.shape];
    if (stack) shape.splice(axis, 0, freshDim('seq'));
    else shape[axis] = freshDim('concat');
    return [{ dtype: e.dtype, shape }];
  },
  ...values((ctx) => {
    const s = seqArg(ctx, 0);
    if (!s.length) throw new Error('cannot concatenate an empty sequence');
    const first = s.items[0]!;
    const stack = ctx.attrs.int('new_axis', 0) !== 0;
    const axis = normAxis(ctx.attrs.int('axis'), first.dims.length + (stack ? 1 : 0));
    return [
      stack
        ? stackAlong(s.items, axis, s.elemType, first.dims, 'ConcatFromSequence')
        : concatAlong(s.items, axis, s.elemType, 'ConcatFromSequence'),
    ];
  }),
  onnx: { type: 'ConcatFromSequence', minOpset: 11 },
};

/** SequenceMap: the body once per position; sequence inputs give their element, tensors themselves. */
const sequenceMap: OpDef = {
  name: 'nn.SequenceMap',
  inputs: ['input_sequence', 'additional_inputs...?'],
  outputs: ['out_sequence...'],
  attrs: { body: { kind: 'graph', required: true } },
  infer(ctx) {
    const body = (ctx.node.attrs.body as { value: Graph }).value;
    const own = ctx.types.slice(0, ownInputCount(ctx.node));
    seqType(ctx, 0, 'input_sequence');
    const ins = own.map((t) => (t && t.wrap?.[0] === 'sequence' ? elemOf(t) : t));
    const outs = inferGraph(body, ins, captureInputs(ctx.node, ctx.types));
    return outs.map((t, i) => {
      if (!t) throw new Error(`body output #${i} has no type`);
      return seqOf(t);
    });
  },
  values: true,
  run: () => {
    throw new Error('SequenceMap runs through runValues');
  },
  runValues(ctx) {
    return driveSteps(this.steps!(ctx));
  },
  *steps(ctx) {
    const body = (ctx.node.attrs.body as { value: Graph }).value;
    const own = ctx.inputs.slice(0, ownInputCount(ctx.node));
    const caps = captureInputs(ctx.node, ctx.inputs);
    const n = seqArg(ctx, 0).length;
    own.forEach((v, i) => {
      if (v instanceof TensorSequence && v.length !== n) {
        throw new Error(`input #${i} has ${v.length} elements, input_sequence ${n}`);
      }
    });
    const results: Tensor[][] = body.outputs.map(() => []);
    for (let k = 0; k < n; k++) {
      const inputs = own.map((v) => (v instanceof TensorSequence ? v.items[k] : v));
      const outs: RunValue[] = yield { graph: body, inputs, captures: caps };
      outs.forEach((o, j) => {
        if (!(o instanceof Tensor)) {
          throw new Error(`body output #${j} is ${describeRunValue(o)}; SequenceMap collects tensors`);
        }
        results[j]!.push(o);
      });
    }
    return results.map((items, j) => new TensorSequence(items[0]?.type ?? body.outputs[j]!.type!.dtype, items));
  },
  onnx: { type: 'SequenceMap', minOpset: 17 },
};

registerOps([
  sequenceEmpty,
  sequenceConstruct,
  sequenceInsert,
  sequenceErase,
  sequenceAt,
  sequenceLength,
  splitToSequence,
  concatFromSequence,
  sequenceMap,
]);
