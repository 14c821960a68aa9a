// Shape manipulation without data movement (or with a plain permutation): Reshape, Flatten,
// Squeeze, Unsqueeze, Transpose, Shape, Size, Expand.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { broadcastShapes, type Dim, freshDim, normAxis, numel } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { forEachIndex, offsetOf, slots, stridesOf } from './layout.js';
import { attrToInput } from './onnx-import.js';
import { broadcastDims, broadcastIndex, bytesOf, checkDType, constInts, inType } from './util.js';

const moveCost = () => ({ flops: 0, bytes: 0 });

/** Resolve Reshape's target: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(inDims: readonly Dim[], target: number[], allowZero: boolean): Dim[] {
  let inferAt = -1;
  const out: Dim[] = target.map((d, i) => {
    if (d === -1) {
      if (inferAt >= 0) throw new Error(`shape [${target.join(',')}] has more than one -1`);
      inferAt = i;
      return -1;
    }
    if (d === 0 && !allowZero) {
      if (i >= inDims.length)
        throw new Error(`shape [${target.join(',')}] copies dim ${i} (0), but the input has rank ${inDims.length}`);
      return inDims[i]!;
    }
    if (d < 0) throw new Error(`shape [${target.join(',')}] has an invalid dim ${d}`);
    return d;
  });
  if (allowZero && inferAt >= 0 && target.includes(0))
    throw new Error('allowzero=1 with both 0 and -1 in the shape is ambiguous');
  const staticIn = inDims.every((d) => typeof d === 'number');
  const known = out.filter((d, i) => i !== inferAt && typeof d === 'number') as number[];
  const outSyms = out.filter((d, i) => i !== inferAt && typeof d === 'string') as string[];
  if (inferAt >= 0) {
    // symbols cancel between input and output; what is left decides the inferred dim
    const rest = inDims.filter((d) => typeof d === 'string') as string[];
    let subset = true;
    for (const s of outSyms) {
      const k = rest.indexOf(s);
      if (k < 0) subset = false;
      else rest.splice(k, 1);
    }
    const inNum = numel(inDims.filter((d) => typeof d === 'number') as number[]);
    const outNum = numel(known);
    if (subset && rest.length === 0) {
      if (outNum === 0 || inNum % outNum !== 0)
        throw new Error(`cannot reshape [${inDims.join(',')}] to [${target.join(',')}]`);
      out[inferAt] = inNum / outNum;
    } else if (subset && rest.length === 1 && inNum === outNum) out[inferAt] = rest[0]!;
    else out[inferAt] = freshDim('r');
  } else if (staticIn && !outSyms.length && numel(inDims as number[]) !== numel(known)) {
    throw new Error(
      `cannot reshape [${inDims.join(',')}] (${numel(inDims as number[])} elements) to [${target.join(',')}] ` +
        `(${numel(known)} elements)`,
    );
  }
  return out;
}

const reshape: OpDef = {
  name: 'nn.Reshape',
  inputs: ['data', 'shape'],
  outputs: ['reshaped'],
  attrs: { allowzero: { kind: 'int', default: 0 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const s = inType(ctx, 1, 'shape');
    checkDType(s, ['int64'], 'shape');
    const target = constInts(ctx, 1);
    if (target && t.shape)
      return [{ dtype: t.dtype, shape: reshapeDims(t.shape, target, ctx.attrs.int('allowzero', 0) === 1) }];
    if (target) return [{ dtype: t.dtype, shape: target.map((d) => (d > 0 ? d : freshDim('r'))) }];
    const r = s.shape?.[0];
    return [
      { dtype: t.dtype, shape: typeof r === 'number' ? Array.from({ length: r }, () => freshDim('r')) : undefined },
    ];
  },
  run({ inputs: [x, s], attrs }) {
    const dims = reshapeDims(x!.dims, toIntArray(s!), attrs.int('allowzero', 0) === 1) as number[];
    return [x!.reshape(dims)];
  },
  cost: moveCost,
  onnx: {
    type: 'Reshape',
    import(ctx) {
      attrToInput(ctx, 'shape', 1);
      ctx.take('consumed_inputs');
    },
  },
};

const flatten: OpDef = {
  name: 'nn.Flatten',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: 1 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    if (!t.shape) return [{ dtype: t.dtype, shape: [freshDim('f'), freshDim('f')] }];
    const r = t.shape.length;
    let axis = ctx.attrs.int('axis', 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) throw new Error(`axis ${ctx.attrs.int('axis', 1)} is out of range for rank ${r}`);
    const prod = (ds: Dim[]): Dim =>
      ds.every((d) => typeof d === 'number') ? numel(ds as number[]) : ds.length === 1 ? ds[0]! : freshDim('f');
    return [{ dtype: t.dtype, shape: [prod(t.shape.slice(0, axis)), prod(t.shape.slice(axis))] }];
  },
  run({ inputs: [x], attrs }) {
    const r = x!.dims.length;
    let axis = attrs.int('axis', 1);
    if (axis < 0) axis += r;
    return [x!.reshape([numel(x!.dims.slice(0, axis)), numel(x!.dims.slice(axis))])];
  },
  cost: moveCost,
  onnx: { type: 'Flatten' },
};

function squeezeDims(dims: readonly Dim[], axes: number[] | undefined): Dim[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const norm = axes.map((a) => normAxis(a, dims.length, 'axes entry'));
  for (const a of norm) {
    if (typeof dims[a] === 'number' && dims[a] !== 1)
      throw new Error(`cannot squeeze axis ${a}: its size is ${dims[a]}, not 1`);
  }
  return dims.filter((_, i) => !norm.includes(i));
}

const squeeze: OpDef = {
  name: 'nn.Squeeze',
  inputs: ['data', 'axes?'],
  outputs: ['squeezed'],
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    if (!t.shape) return [{ dtype: t.dtype }];
    const axes = constInts(ctx, 1);
    if (ctx.types[1] && !axes) return [{ dtype: t.dtype }];
    return [{ dtype: t.dtype, shape: squeezeDims(t.shape, axes) }];
  },
  run: ({ inputs: [x, a] }) => [x!.reshape(squeezeDims(x!.dims, a ? toIntArray(a) : undefined) as number[])],
  cost: moveCost,
  onnx: {
    type: 'Squeeze',
    import(ctx) {
      attrToInput(ctx, 'axes', 1);
    },
  },
};

function unsqueezeDims(dims: readonly Dim[], axes: number[]): Dim[] {
  const r = dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, r, 'axes entry'));
  if (new Set(norm).size !== norm.length) throw new Error(`axes [${axes.join(',')}] repeat an axis`);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : dims[j++]!);
  return out;
}

const unsqueeze: OpDef = {
  name: 'nn.Unsqueeze',
  inputs: ['data', 'axes'],
  outputs: ['expanded'],
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const axes = constInts(ctx, 1);
    if (!t.shape) return [{ dtype: t.dtype }];
    if (!axes) {
      const n = ctx.types[1]?.shape?.[0];
      return [
        {
          dtype: t.dtype,
          shape: typeof n === 'number' ? Array.from({ length: t.shape.length + n }, () => freshDim('u')) : undefined,
        },
      ];
    }
    return [{ dtype: t.dtype, shape: unsqueezeDims(t.shape, axes) }];
  },
  run: ({ inputs: [x, a] }) => [x!.reshape(unsqueezeDims(x!.dims, toIntArray(a!)) as number[])],
  cost: moveCost,
  onnx: {
    type: 'Unsqueeze',
    import(ctx) {
      attrToInput(ctx, 'axes', 1);
    },
  },
};

function permOf(rank: number, perm: number[] | undefined): number[] {
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`perm [${p.join(',')}] is not a permutation of 0..${rank - 1}`);
  }
  return p;
}

export function transposeTensor(x: Tensor, perm: number[]): Tensor {
  const outDims = perm.map((p) => x.dims[p]!);
  const out = Tensor.zeros(x.type, outDims);
  const inStrides = stridesOf(x.dims);
  const st = perm.map((p) => inStrides[p]!);
  const src = slots(x.data),
    dst = slots(out.data);
  forEachIndex(outDims, (idx, flat) => {
    dst[flat] = src[offsetOf(idx, st)]!;
  });
  return out;
}

const transpose: OpDef = {
  name: 'nn.Transpose',
  inputs: ['data'],
  outputs: ['transposed'],
  attrs: { perm: { kind: 'ints' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    if (!t.shape) return [{ dtype: t.dtype }];
    const perm = permOf(t.shape.length, ctx.attrs.has('perm') ? ctx.attrs.ints('perm') : undefined);
    return [{ dtype: t.dtype, shape: perm.map((p) => t.shape![p]!) }];
  },
  run: ({ inputs: [x], attrs }) => [
    transposeTensor(x!, permOf(x!.dims.length, attrs.has('perm') ? attrs.ints('perm') : undefined)),
  ],
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.types[0]) }),
  onnx: { type: 'Transpose' },
};

function shapeRange(rank: number, start: number, end: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(start), clamp(end)];
}

const shape: OpDef = {
  name: 'nn.Shape',
  inputs: ['data'],
  outputs: ['shape'],
  attrs: { start: { kind: 'int', default: 0 }, end: { kind: 'int' } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    if (!t.shape) return [{ dtype: 'int64', shape: [freshDim('rank')] }];
    const r = t.shape.length;
    const [s, e] = shapeRange(r, ctx.attrs.int('start', 0), ctx.attrs.has('end') ? ctx.attrs.int('end') : r);
    return [{ dtype: 'int64', shape: [Math.max(e - s, 0)] }];
  },
  run({ inputs: [x], attrs }) {
    const r = x!.dims.length;
    const [s, e] = shapeRange(r, attrs.int('start', 0), attrs.has('end') ? attrs.int('end') : r);
    return [Tensor.from('int64', x!.dims.slice(s, Math.max(s, e)).map(BigInt))];
  },
  cost: moveCost,
  onnx: { type: 'Shape' },
};

const size: OpDef = {
  name: 'nn.Size',
  inputs: ['data'],
  outputs: ['size'],
  infer: (ctx) => {
    inType(ctx, 0, 'data');
    return [{ dtype: 'int64', shape: [] }];
  },
  run: ({ inputs: [x] }) => [Tensor.from('int64', [BigInt(x!.size)], [])],
  cost: moveCost,
  onnx: { type: 'Size' },
};

const expand: OpDef = {
  name: 'nn.Expand',
  inputs: ['input', 'shape'],
  outputs: ['output'],
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    const target = constInts(ctx, 1);
    if (target && t.shape) return [{ dtype: t.dtype, shape: broadcastShapes(t.shape, target) }];
    return [{ dtype: t.dtype }];
  },
  run({ inputs: [x, s] }) {
    const outDims = broadcastDims(x!.dims, toIntArray(s!));
    const out = Tensor.zeros(x!.type, outDims);
    const idx = broadcastIndex(x!.dims, outDims);
    const src = slots(x!.data),
      dst = slots(out.data);
    for (let i = 0; i < out.size; i++) dst[i] = src[idx[i]!]!;
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) }),
  onnx: { type: 'Expand' },
};

registerOps([reshape, flatten, squeeze, unsqueeze, transpose, shape, size, expand]);
