// Slice: starts/ends/axes/steps with the spec's clamping rules (negative steps included).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, freshDim, normAxis } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { forEachIndex, offsetOf, slots, stridesOf } from './layout.js';
import { attrToInput } from './onnx-import.js';
import { bytesOf, checkDType, constInts, inType } from './util.js';

export interface AxisSlice {
  axis: number;
  start: number;
  step: number;
  count: number;
}

/** Clamp one axis's slice as the spec says; count is the number of elements taken. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  if (step === 0) throw new Error('steps must not contain 0');
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
  } else {
    start = Math.min(Math.max(start, 0), dim - 1);
    end = Math.min(Math.max(end, -1), dim - 1);
  }
  return { start, count: Math.max(0, Math.ceil((end - start) / step)) };
}

function parse(rank: number, starts: number[], ends: number[], axes?: number[], steps?: number[]) {
  if (starts.length !== ends.length) throw new Error(`starts has ${starts.length} entries but ends has ${ends.length}`);
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank, 'axes entry'));
  if (ax.length !== starts.length) throw new Error(`axes has ${ax.length} entries but starts has ${starts.length}`);
  if (new Set(ax).size !== ax.length) throw new Error(`axes [${ax.join(',')}] repeat an axis`);
  const st = steps ?? starts.map(() => 1);
  if (st.length !== starts.length) throw new Error(`steps has ${st.length} entries but starts has ${starts.length}`);
  return { ax, st };
}

const BIG = 2 ** 31 - 1;

const slice: OpDef = {
  name: 'nn.Slice',
  inputs: ['data', 'starts', 'ends', 'axes?', 'steps?'],
  outputs: ['output'],
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    for (const i of [1, 2, 3, 4])
      if (ctx.types[i]) checkDType(ctx.types[i]!, ['int32', 'int64'], ['', 'starts', 'ends', 'axes', 'steps'][i]!);
    if (!t.shape) return [{ dtype: t.dtype }];
    const starts = constInts(ctx, 1),
      ends = constInts(ctx, 2);
    const axes = ctx.types[3] ? constInts(ctx, 3) : undefined;
    const steps = ctx.types[4] ? constInts(ctx, 4) : undefined;
    const unknown = !starts || !ends || (ctx.types[3] && !axes) || (ctx.types[4] && !steps);
    if (unknown) {
      // which axes are sliced is unknown unless axes is constant
      if (axes) {
        const norm = axes.map((a) => normAxis(a, t.shape!.length, 'axes entry'));
        return [{ dtype: t.dtype, shape: t.shape.map((d, i) => (norm.includes(i) ? freshDim('s') : d)) }];
      }
      return [{ dtype: t.dtype, shape: t.shape.map(() => freshDim('s')) }];
    }
    const { ax, st } = parse(t.shape.length, starts, ends, axes, steps);
    const shape: Dim[] = [...t.shape];
    ax.forEach((a, i) => {
      const d = t.shape![a]!;
      if (typeof d === 'number') shape[a] = sliceAxis(d, starts[i]!, ends[i]!, st[i]!).count;
      else shape[a] = starts[i] === 0 && st[i] === 1 && ends[i]! >= BIG ? d : freshDim('s');
    });
    return [{ dtype: t.dtype, shape }];
  },
  run({ inputs: [x, s, e, a, stp] }) {
    const dims = x!.dims;
    const starts = toIntArray(s!),
      ends = toIntArray(e!);
    const { ax, st } = parse(
      dims.length,
      starts,
      ends,
      a ? toIntArray(a) : undefined,
      stp ? toIntArray(stp) : undefined,
    );
    const begin = dims.map(() => 0),
      step = dims.map(() => 1),
      outDims = [...dims];
    ax.forEach((axis, i) => {
      const r = sliceAxis(dims[axis]!, starts[i]!, ends[i]!, st[i]!);
      begin[axis] = r.start;
      step[axis] = st[i]!;
      outDims[axis] = r.count;
    });
    const out = Tensor.zeros(x!.type, outDims);
    const strides = stridesOf(dims);
    const base = offsetOf(begin, strides);
    const st2 = strides.map((s2, i) => s2 * step[i]!);
    const src = slots(x!.data),
      dst = slots(out.data);
    forEachIndex(outDims, (idx, flat) => {
      dst[flat] = src[base + offsetOf(idx, st2)]!;
    });
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) }),
  onnx: {
    type: 'Slice',
    // Slice-1 carried starts/ends/axes as attributes.
    import(ctx) {
      if (ctx.opset >= 10) return;
      const axes = ctx.node.attrs.axes;
      attrToInput(ctx, 'starts', 1);
      attrToInput(ctx, 'ends', 2);
      if (axes) attrToInput(ctx, 'axes', 3);
    },
  },
};

registerOps([slice]);
