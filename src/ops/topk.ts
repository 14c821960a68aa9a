// TopK: the K largest (or smallest) elements along an axis, with their int64 indices.
//
// Canonical form (opset 10+): K is a one-element int64 input. TopK-1 carried `k` as an attribute;
// the import hook moves it into a constant input. Order: by value (descending for largest,
// ascending for smallest); equal values keep the lower index first. NaN sorts above every number,
// as numpy's sort has it (first for largest=1, last for largest=0). With sorted=0 any order would
// do; the sorted order is returned.

import { isBig } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim, normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { reducePlan, scalarInt, toF64 } from './math-util.js';
import { bytesOf, checkDType, inType, NUMERIC, numelOf } from './util.js';

/** Comparator for ascending order with NaN last; ties are left to the index. */
function ascNum(a: number, b: number): number {
  const an = a !== a,
    bn = b !== b;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
const ascBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

const topk: OpDef = {
  name: 'nn.TopK',
  inputs: ['X', 'K'],
  outputs: ['Values', 'Indices'],
  attrs: {
    axis: { kind: 'int', default: -1 },
    largest: { kind: 'int', default: 1 },
    sorted: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const kt = inType(ctx, 1, 'K');
    checkDType(x, NUMERIC, 'X');
    checkDType(kt, ['int64'], 'K');
    if (
      kt.shape &&
      !(kt.shape.length === 1 && (kt.shape[0] === 1 || typeof kt.shape[0] === 'string')) &&
      kt.shape.length !== 0
    ) {
      throw new Error(`K ${formatType(kt)} must be a 1-D tensor with one element`);
    }
    if (!x.shape) return [{ dtype: x.dtype }, { dtype: 'int64' }];
    const axis = normAxis(ctx.attrs.int('axis', -1), x.shape.length);
    const shape = [...x.shape];
    const kc = ctx.consts[1];
    if (kc) {
      const k = scalarInt(kc, 'K');
      const d = x.shape[axis]!;
      if (k < 0) throw new Error(`K = ${k} must be >= 0`);
      if (typeof d === 'number' && k > d) throw new Error(`K = ${k} is larger than axis ${axis} of X ${formatType(x)}`);
      shape[axis] = k;
    } else {
      shape[axis] = freshDim('k');
    }
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape: [...shape] },
    ];
  },
  run({ inputs: [x, kt], attrs }) {
    const X = x!;
    const axis = normAxis(attrs.int('axis', -1), X.dims.length);
    const k = scalarInt(kt!, 'K');
    const dimLen = X.dims[axis]!;
    if (k < 0 || k > dimLen)
      throw new Error(`K = ${k} must be in [0, ${dimLen}] (axis ${axis} of X [${X.dims.join(',')}])`);
    const largest = attrs.int('largest', 1) !== 0;
    const { outer, inner } = reducePlan(X.dims, new Set([axis]));
    const outDims = [...X.dims];
    outDims[axis] = k;
    const values = Tensor.zeros(X.type, outDims);
    const indices = Tensor.zeros('int64', outDims);
    const { outer: outOuter, inner: outInner } = reducePlan(outDims, new Set([axis]));
    const idxOut = indices.data as BigInt64Array;
    const order = new Array<number>(dimLen);
    const big = isBig(X.type);
    const xb = big ? (X.data as BigInt64Array | BigUint64Array) : undefined;
    const xf = big ? undefined : toF64(X);
    // same-typed arrays: copying elements keeps float16 bits and 64-bit integers exact
    const xs = X.data as Float64Array;
    const vs = values.data as Float64Array;
    for (let o = 0; o < outer.length; o++) {
      const base = outer[o]!;
      for (let j = 0; j < dimLen; j++) order[j] = j;
      const cmpVal = xb
        ? (i: number, j: number) => ascBig(xb[base + inner[i]!]!, xb[base + inner[j]!]!)
        : (i: number, j: number) => ascNum(xf![base + inner[i]!]!, xf![base + inner[j]!]!);
      order.sort((i, j) => (largest ? -cmpVal(i, j) : cmpVal(i, j)) || i - j);
      const ob = outOuter[o]!;
      for (let t = 0; t < k; t++) {
        const src = order[t]!;
        vs[ob + outInner[t]!] = xs[base + inner[src]!]!;
        idxOut[ob + outInner[t]!] = BigInt(src);
      }
    }
    return [values, indices];
  },
  cost(ctx) {
    const n = numelOf(ctx.types[0]);
    return {
      flops: n * Math.max(1, Math.log2(Math.max(2, n))),
      bytes: bytesOf(ctx.types[0]) + ctx.outTypes.reduce((s, t) => s + bytesOf(t), 0),
    };
  },
  onnx: {
    type: 'TopK',
    // TopK-1 carried k as an attribute; from 10 it is the input K.
    import(ctx) {
      const k = ctx.take('k');
      if (!k) return;
      if (k.kind !== 'int') throw new Error(`attribute 'k' must be an int, got ${k.kind}`);
      ctx.node.inputs = [ctx.node.inputs[0]!, ctx.constant(Tensor.from('int64', [BigInt(k.value)]), 'K')];
    },
  },
};

registerOps([topk]);
