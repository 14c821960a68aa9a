// Concat and Split along one axis.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis, numel } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { slots } from './layout.js';
import { attrToInput } from './onnx-import.js';
import { bytesOf, checkDType, constInts, inType, sameDType } from './util.js';

const concat: OpDef = {
  name: 'nn.Concat',
  inputs: ['inputs...'],
  outputs: ['concat_result'],
  attrs: { axis: { kind: 'int', required: true } },
  infer(ctx) {
    const first = inType(ctx, 0, 'inputs[0]');
    const types = ctx.types.map((t, i) => {
      const u = t ?? inType(ctx, i);
      sameDType(first, u, `inputs[0] and inputs[${i}]`);
      return u;
    });
    const ranked = types.find((t) => t.shape);
    if (!ranked) return [{ dtype: first.dtype }];
    const r = ranked.shape!.length;
    const axis = normAxis(ctx.attrs.int('axis'), r);
    const shape: Dim[] = [...ranked.shape!];
    let total: Dim = 0;
    for (const [i, t] of types.entries()) {
      if (!t.shape) {
        total = freshDim('cat');
        continue;
      }
      if (t.shape.length !== r)
        throw new Error(`inputs[${i}] ${formatType(t)} has rank ${t.shape.length}, inputs[0] has rank ${r}`);
      t.shape.forEach((d, k) => {
        if (k === axis) return;
        const e = shape[k]!;
        if (typeof d === 'number' && typeof e === 'number' && d !== e) {
          throw new Error(
            `inputs[${i}] ${formatType(t)} differs from ${formatType(ranked)} in dim ${k} (only the axis ` +
              `${axis} may differ)`,
          );
        }
        if (typeof e === 'string' && typeof d === 'number') shape[k] = d;
      });
      const d = t.shape[axis]!;
      total =
        typeof total === 'number' && typeof d === 'number'
          ? total + d
          : typeof total === 'number' && total === 0
            ? d
            : freshDim('cat');
    }
    shape[axis] = total;
    return [{ dtype: first.dtype, shape }];
  },
  run({ inputs, attrs }) {
    const xs = inputs as Tensor[];
    const r = xs[0]!.dims.length;
    const axis = normAxis(attrs.int('axis'), r);
    const outDims = [...xs[0]!.dims];
    outDims[axis] = xs.reduce((a, t) => a + t.dims[axis]!, 0);
    const out = Tensor.zeros(xs[0]!.type, outDims);
    const outer = numel(outDims.slice(0, axis));
    const inner = numel(outDims.slice(axis + 1));
    const dst = slots(out.data);
    const rowOut = outDims[axis]! * inner;
    let off = 0;
    for (const t of xs) {
      const chunk = t.dims[axis]! * inner;
      const src = slots(t.data);
      for (let o = 0; o < outer; o++) for (let k = 0; k < chunk; k++) dst[o * rowOut + off + k] = src[o * chunk + k]!;
      off += chunk;
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) }),
  onnx: {
    type: 'Concat',
    import(ctx) {
      if (!ctx.attrs.has('axis')) ctx.node.attrs.axis = { kind: 'int', value: 1 };
    }, // Concat-1 defaulted to 1
  },
};

/** Sizes of each part: explicit, or equal parts (the last smaller when num_outputs does not divide). */
function splitSizes(dim: number, parts: number, split: number[] | undefined, uneven: boolean): number[] {
  if (split) {
    if (split.length !== parts) throw new Error(`split has ${split.length} entries for ${parts} outputs`);
    if (split.some((s) => s < 0)) throw new Error(`split [${split.join(',')}] has a negative size`);
    const sum = split.reduce((a, b) => a + b, 0);
    if (sum !== dim) throw new Error(`split [${split.join(',')}] sums to ${sum}, the axis has ${dim}`);
    return split;
  }
  if (!uneven && dim % parts !== 0) throw new Error(`axis of size ${dim} cannot be split into ${parts} equal parts`);
  const size = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(size, dim - i * size)));
}

const split: OpDef = {
  name: 'nn.Split',
  inputs: ['input', 'split?'],
  outputs: ['outputs...'],
  attrs: { axis: { kind: 'int', default: 0 }, num_outputs: { kind: 'int' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    if (ctx.types[1]) checkDType(ctx.types[1], ['int64'], 'split');
    const parts = ctx.node.outputs.length;
    if (ctx.attrs.has('num_outputs') && ctx.attrs.int('num_outputs') !== parts) {
      throw new Error(`num_outputs is ${ctx.attrs.int('num_outputs')} but the node has ${parts} outputs`);
    }
    if (!t.shape) return ctx.node.outputs.map(() => ({ dtype: t.dtype }));
    const axis = normAxis(ctx.attrs.int('axis', 0), t.shape.length);
    const d = t.shape[axis]!;
    const given = ctx.types[1] ? constInts(ctx, 1) : undefined;
    if (typeof d !== 'number' || (ctx.types[1] && !given)) {
      return ctx.node.outputs.map((_, i) => ({
        dtype: t.dtype,
        shape: t.shape!.map((x, k) => (k === axis ? (given ? given[i]! : freshDim('sp')) : x)),
      }));
    }
    const sizes = splitSizes(d, parts, given, ctx.attrs.has('num_outputs'));
    return sizes.map((s) => ({ dtype: t.dtype, shape: t.shape!.map((x, k) => (k === axis ? s : x)) }));
  },
  run({ node, inputs: [x, s], attrs }) {
    const dims = x!.dims;
    const axis = normAxis(attrs.int('axis', 0), dims.length);
    const sizes = splitSizes(dims[axis]!, node.outputs.length, s ? toIntArray(s) : undefined, attrs.has('num_outputs'));
    const outer = numel(dims.slice(0, axis));
    const inner = numel(dims.slice(axis + 1));
    const rowIn = dims[axis]! * inner;
    const src = slots(x!.data);
    let off = 0;
    return sizes.map((sz) => {
      const outDims = [...dims];
      outDims[axis] = sz;
      const out = Tensor.zeros(x!.type, outDims);
      const dst = slots(out.data);
      const chunk = sz * inner;
      for (let o = 0; o < outer; o++) for (let k = 0; k < chunk; k++) dst[o * chunk + k] = src[o * rowIn + off + k]!;
      off += chunk;
      return out;
    });
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) }),
  onnx: {
    type: 'Split',
    // Split-2/11 carried `split` as an attribute (Split-1 as either); from 13 it is an input.
    import(ctx) {
      if (ctx.node.attrs.split) attrToInput(ctx, 'split', 1);
    },
  },
};

registerOps([concat, split]);
