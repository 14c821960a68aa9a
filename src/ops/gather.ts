// Indexed reads: Gather, GatherElements, GatherND. Negative indices count from the end; an index
// out of range is an error that names it.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, normAxis, numel } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { forEachIndex, slots, stridesOf } from './layout.js';
import { bytesOf, checkDType, inType } from './util.js';

const INDEX_TYPES = ['int32', 'int64'] as const;

export function checkIndex(i: number, n: number, what: string): number {
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new Error(`${what} ${i} is out of range for a dim of size ${n}`);
  return j;
}

const readIdx = (t: Tensor) => {
  const d = t.data;
  return (i: number) => Number(d[i]!);
};

const gather: OpDef = {
  name: 'nn.Gather',
  inputs: ['data', 'indices'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: 0 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const ix = inType(ctx, 1, 'indices');
    checkDType(ix, [...INDEX_TYPES], 'indices');
    if (!t.shape || !ix.shape) return [{ dtype: t.dtype }];
    const axis = normAxis(ctx.attrs.int('axis', 0), t.shape.length);
    return [{ dtype: t.dtype, shape: [...t.shape.slice(0, axis), ...ix.shape, ...t.shape.slice(axis + 1)] }];
  },
  run({ inputs: [x, ind], attrs }) {
    const dims = x!.dims;
    const axis = normAxis(attrs.int('axis', 0), dims.length);
    const outer = numel(dims.slice(0, axis));
    const inner = numel(dims.slice(axis + 1));
    const n = dims[axis]!;
    const out = Tensor.zeros(x!.type, [...dims.slice(0, axis), ...ind!.dims, ...dims.slice(axis + 1)]);
    const src = slots(x!.data),
      dst = slots(out.data);
    const get = readIdx(ind!);
    const m = ind!.size;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < m; k++) {
        const j = checkIndex(get(k), n, 'index');
        const s = (o * n + j) * inner,
          d = (o * m + k) * inner;
        for (let i = 0; i < inner; i++) dst[d + i] = src[s + i]!;
      }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) + bytesOf(ctx.types[1]) }),
  onnx: { type: 'Gather' },
};

const gatherElements: OpDef = {
  name: 'nn.GatherElements',
  inputs: ['data', 'indices'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: 0 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const ix = inType(ctx, 1, 'indices');
    checkDType(ix, [...INDEX_TYPES], 'indices');
    if (t.shape && ix.shape && t.shape.length !== ix.shape.length) {
      throw new Error(`indices ${formatType(ix)} must have the rank of data ${formatType(t)}`);
    }
    if (t.shape) normAxis(ctx.attrs.int('axis', 0), t.shape.length);
    return [{ dtype: t.dtype, shape: ix.shape }];
  },
  run({ inputs: [x, ind], attrs }) {
    const dims = x!.dims;
    const axis = normAxis(attrs.int('axis', 0), dims.length);
    const out = Tensor.zeros(x!.type, ind!.dims);
    const strides = stridesOf(dims);
    const src = slots(x!.data),
      dst = slots(out.data);
    const get = readIdx(ind!);
    forEachIndex(ind!.dims, (idx, flat) => {
      let off = 0;
      for (let k = 0; k < idx.length; k++) {
        const v = k === axis ? checkIndex(get(flat), dims[k]!, 'index') : idx[k]!;
        off += v * strides[k]!;
      }
      dst[flat] = src[off]!;
    });
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) + bytesOf(ctx.types[1]) }),
  onnx: { type: 'GatherElements' },
};

const gatherND: OpDef = {
  name: 'nn.GatherND',
  inputs: ['data', 'indices'],
  outputs: ['output'],
  attrs: { batch_dims: { kind: 'int', default: 0 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'data');
    const ix = inType(ctx, 1, 'indices');
    checkDType(ix, ['int64'], 'indices');
    if (!t.shape || !ix.shape) return [{ dtype: t.dtype }];
    const b = ctx.attrs.int('batch_dims', 0);
    const last = ix.shape[ix.shape.length - 1];
    if (typeof last !== 'number') return [{ dtype: t.dtype }];
    if (b + last > t.shape.length)
      throw new Error(`indices' last dim ${last} plus batch_dims ${b} exceeds the rank of data ${t.shape.length}`);
    const shape: Dim[] = [...ix.shape.slice(0, -1), ...t.shape.slice(b + last)];
    return [{ dtype: t.dtype, shape: shape.length ? shape : [] }];
  },
  run({ inputs: [x, ind], attrs }) {
    const dims = x!.dims;
    const b = attrs.int('batch_dims', 0);
    const q = ind!.dims.length;
    const last = ind!.dims[q - 1]!;
    const batch = numel(dims.slice(0, b));
    const outDims = [...ind!.dims.slice(0, -1), ...dims.slice(b + last)];
    const out = Tensor.zeros(x!.type, outDims);
    const inner = numel(dims.slice(b + last));
    const perBatchIdx = numel(ind!.dims.slice(b, -1));
    const strides = stridesOf(dims.slice(b));
    const perBatchData = numel(dims.slice(b));
    const src = slots(x!.data),
      dst = slots(out.data);
    const get = readIdx(ind!);
    for (let bi = 0; bi < batch; bi++) {
      for (let k = 0; k < perBatchIdx; k++) {
        const row = (bi * perBatchIdx + k) * last;
        let off = bi * perBatchData;
        for (let j = 0; j < last; j++) off += checkIndex(get(row + j), dims[b + j]!, 'index') * strides[j]!;
        const d = (bi * perBatchIdx + k) * inner;
        for (let i = 0; i < inner; i++) dst[d + i] = src[off + i]!;
      }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: 2 * bytesOf(ctx.outTypes[0]) + bytesOf(ctx.types[1]) }),
  onnx: { type: 'GatherND' },
};

registerOps([gather, gatherElements, gatherND]);
