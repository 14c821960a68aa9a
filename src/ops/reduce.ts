// Reductions over a set of axes: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare.
//
// Canonical form (ReduceSum-13, the others 18+): `axes` is an optional int64 input. Older opsets
// carried axes as an attribute; the import hook moves it into a constant input.
// Axes absent or empty: reduce every axis, or with noop_with_empty_axes=1 reduce over no axis at
// all, which still applies the elementwise steps of composite reductions (ReduceSumSquare squares,
// ReduceLogSum takes the log, ...). Reduction over an empty set yields the identity of the
// reduction: 0 for sums, 1 for products, -inf/+inf (floats) or the type's min/max (integers) for
// Max/Min, -inf for the log reductions and NaN for the mean.

import type { DType } from '../ir/dtype.js';
import { isBig, isFloat } from '../ir/dtype.js';
import { Node } from '../ir/graph.js';
import { type LowerContext, type OpDef, registerOps } from '../ir/op-def.js';
import { freshDim, normAxis, type Shape } from '../ir/shape.js';
import { Tensor, toIntArray } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { withLowering } from './kernel/lowering.js';
import { REDUCE_OPS } from './kernel/reduce.js';
import { fromF64, normAxes, type ReducePlan, reducePlan, toF64, typeMax, typeMin } from './math-util.js';
import { bytesOf, checkDType, inType, NUMERIC, numelOf } from './util.js';

type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp' | 'SumSquare';

/** Reduced axes (as a set) from the axes list and noop_with_empty_axes. */
function reducedSet(axes: number[], rank: number, noop: boolean): Set<number> {
  if (axes.length === 0) return noop ? new Set() : new Set(Array.from({ length: rank }, (_, i) => i));
  return new Set(normAxes(axes, rank));
}

// ---------------------------------------------------------------------------------------------
// Per-category loops. Each reduces group o (outer[o] + inner[j] for every j) into out[o].

function reduceFloat(kind: Kind, x: Float64Array, { outer, inner }: ReducePlan): Float64Array {
  const out = new Float64Array(outer.length);
  const n = inner.length;
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    let r: number;
    switch (kind) {
      case 'Sum':
      case 'Mean':
      case 'LogSum': {
        let s = 0;
        for (let j = 0; j < n; j++) s += x[base + inner[j]!]!;
        r = kind === 'Sum' ? s : kind === 'Mean' ? s / n : Math.log(s);
        break;
      }
      case 'Max': {
        r = -Infinity;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          if (v !== v) {
            r = NaN;
            break;
          } // NaN propagates, as numpy's maximum does
          if (v > r) r = v;
        }
        break;
      }
      case 'Min': {
        r = Infinity;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          if (v !== v) {
            r = NaN;
            break;
          }
          if (v < r) r = v;
        }
        break;
      }
      case 'Prod': {
        r = 1;
        for (let j = 0; j < n; j++) r *= x[base + inner[j]!]!;
        break;
      }
      case 'L1': {
        r = 0;
        for (let j = 0; j < n; j++) r += Math.abs(x[base + inner[j]!]!);
        break;
      }
      case 'L2':
      case 'SumSquare': {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          s += v * v;
        }
        r = kind === 'L2' ? Math.sqrt(s) : s;
        break;
      }
      case 'LogSumExp': {
        // shift by the largest finite element so exp cannot overflow; ±inf and NaN pass through exp
        let m = -Infinity;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          if (v > m && v !== Infinity) m = v;
        }
        if (m === -Infinity) m = 0;
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(x[base + inner[j]!]! - m);
        r = Math.log(s) + m;
        break;
      }
    }
    out[o] = r;
  }
  return out;
}

/** Wrap an integer held in a double to the value a `dtype` store would keep. */
function wrapper(dtype: DType): (v: number) => number {
  const cell = Tensor.zeros(dtype, [1]).data as Int32Array;
  return (v) => {
    cell[0] = v;
    return cell[0]!;
  };
}

/** Integers of up to 32 bits: wrapping sums and products (exact modulo 2^32), like a C kernel. */
function reduceSmallInt(kind: Kind, dtype: DType, x: Float64Array, plan: ReducePlan): Float64Array {
  const { outer, inner } = plan;
  const n = inner.length;
  const wrap = wrapper(dtype);
  if (kind === 'Max' || kind === 'Min' || kind === 'L2' || kind === 'LogSum' || kind === 'LogSumExp') {
    if (kind === 'Max' || kind === 'Min') {
      const out = new Float64Array(outer.length);
      const init = Number(kind === 'Max' ? typeMin(dtype) : typeMax(dtype));
      for (let o = 0; o < outer.length; o++) {
        let r = init;
        for (let j = 0; j < n; j++) {
          const v = x[outer[o]! + inner[j]!]!;
          if (kind === 'Max' ? v > r : v < r) r = v;
        }
        out[o] = r;
      }
      return out;
    }
    // results that are not integers: computed in double, truncated by the store
    return reduceFloat(kind, x, plan);
  }
  const out = new Float64Array(outer.length);
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    let r = kind === 'Prod' ? 1 : 0;
    for (let j = 0; j < n; j++) {
      const v = x[base + inner[j]!]!;
      switch (kind) {
        case 'Sum':
        case 'Mean':
          r = (r + v) | 0;
          break;
        case 'Prod':
          r = Math.imul(r, v);
          break;
        case 'L1':
          r = (r + Math.abs(v)) | 0;
          break;
        case 'SumSquare':
          r = (r + Math.imul(v, v)) | 0;
          break;
      }
    }
    r = wrap(r);
    out[o] = kind === 'Mean' ? (n === 0 ? 0 : Math.trunc(r / n)) : r;
  }
  return out;
}

/** 64-bit integers: exact bigint arithmetic, wrapped to 64 bits on store. */
function reduceBig(kind: Kind, dtype: DType, x: BigInt64Array | BigUint64Array, plan: ReducePlan): Tensor['data'] {
  const { outer, inner } = plan;
  const n = inner.length;
  const out = dtype === 'int64' ? new BigInt64Array(outer.length) : new BigUint64Array(outer.length);
  const wrap = (v: bigint) => (dtype === 'int64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    let r: bigint;
    switch (kind) {
      case 'Max':
      case 'Min': {
        r = (kind === 'Max' ? typeMin(dtype) : typeMax(dtype)) as bigint;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          if (kind === 'Max' ? v > r : v < r) r = v;
        }
        break;
      }
      case 'Prod': {
        r = 1n;
        for (let j = 0; j < n; j++) r = wrap(r * x[base + inner[j]!]!);
        break;
      }
      case 'Sum':
      case 'Mean':
      case 'L1':
      case 'SumSquare': {
        r = 0n;
        for (let j = 0; j < n; j++) {
          const v = x[base + inner[j]!]!;
          r += kind === 'L1' ? (v < 0n ? -v : v) : kind === 'SumSquare' ? v * v : v;
        }
        r = wrap(r);
        if (kind === 'Mean') r = n === 0 ? 0n : r / BigInt(n);
        break;
      }
      default: {
        // L2, LogSum, LogSumExp: not integers; computed in double
        const vals = new Float64Array(n);
        for (let j = 0; j < n; j++) vals[j] = Number(x[base + inner[j]!]!);
        const f = reduceFloat(kind, vals, {
          outer: new Int32Array([0]),
          inner: Int32Array.from(vals, (_, j) => j),
        })[0]!;
        r = Number.isFinite(f) ? BigInt(Math.trunc(f)) : 0n;
      }
    }
    out[o] = wrap(r);
  }
  return out;
}

function reduceBool(kind: Kind, x: Uint8Array, { outer, inner }: ReducePlan): Uint8Array {
  const out = new Uint8Array(outer.length);
  for (let o = 0; o < outer.length; o++) {
    let r = kind === 'Max' ? 0 : 1; // any / all; the empty set gives false / true
    for (let j = 0; j < inner.length; j++) {
      const v = x[outer[o]! + inner[j]!]! ? 1 : 0;
      r = kind === 'Max' ? r | v : r & v;
    }
    out[o] = r;
  }
  return out;
}

export function reduceTensor(kind: Kind, x: Tensor, axes: number[], keepdims: boolean, noop: boolean): Tensor {
  const rank = x.dims.length;
  const red = reducedSet(axes, rank, noop);
  const plan = reducePlan(x.dims, red);
  const outDims: number[] = [];
  x.dims.forEach((d, i) => {
    if (!red.has(i)) outDims.push(d);
    else if (keepdims) outDims.push(1);
  });
  const dtype = x.type;
  if (dtype === 'bool') return new Tensor('bool', reduceBool(kind, x.data as Uint8Array, plan), outDims);
  if (isBig(dtype)) return new Tensor(dtype, reduceBig(kind, dtype, x.data as BigInt64Array, plan), outDims);
  const xf = toF64(x);
  const r = isFloat(dtype) ? reduceFloat(kind, xf, plan) : reduceSmallInt(kind, dtype, xf, plan);
  return fromF64(dtype, outDims, r);
}

/** Opset from which `axes` is an input rather than an attribute. */
const AXES_INPUT_SINCE: Record<Kind, number> = {
  Sum: 13,
  Mean: 18,
  Max: 18,
  Min: 18,
  Prod: 18,
  L1: 18,
  L2: 18,
  LogSum: 18,
  LogSumExp: 18,
  SumSquare: 18,
};

function reduceOp(kind: Kind): OpDef {
  const type = `Reduce${kind}`;
  const types: DType[] = kind === 'Max' || kind === 'Min' ? [...NUMERIC, 'bool'] : NUMERIC;
  return {
    name: `nn.${type}`,
    inputs: ['data', 'axes?'],
    outputs: ['reduced'],
    attrs: {
      keepdims: { kind: 'int', default: 1 },
      noop_with_empty_axes: { kind: 'int', default: 0 },
    },
    infer(ctx) {
      const x = inType(ctx, 0, 'data');
      checkDType(x, types, 'data');
      const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
      const noop = ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
      const at = ctx.types[1];
      if (at) {
        checkDType(at, ['int64', 'int32'], 'axes');
        if (at.shape && at.shape.length > 1) throw new Error(`axes ${formatType(at)} must be a 1-D tensor`);
      }
      if (!x.shape) return [{ dtype: x.dtype }];
      const rank = x.shape.length;
      let axes: number[] | undefined;
      if (!at) axes = [];
      else if (ctx.consts[1]) axes = toIntArray(ctx.consts[1]);
      else if (at.shape?.[0] === 0) axes = [];
      if (!axes) {
        // axes only known at run time
        if (keepdims) return [{ dtype: x.dtype, shape: x.shape.map(() => freshDim('r')) }];
        const n = at!.shape?.[0];
        if (typeof n === 'number')
          return [{ dtype: x.dtype, shape: Array.from({ length: Math.max(0, rank - n) }, () => freshDim('r')) }];
        return [{ dtype: x.dtype }];
      }
      const red = reducedSet(axes, rank, noop);
      const shape: Shape = [];
      x.shape.forEach((d, i) => {
        if (!red.has(i)) shape.push(d);
        else if (keepdims) shape.push(1);
      });
      return [{ dtype: x.dtype, shape }];
    },
    run({ inputs: [x, axesT], attrs }) {
      const axes = axesT ? toIntArray(axesT) : [];
      return [reduceTensor(kind, x!, axes, attrs.int('keepdims', 1) !== 0, attrs.int('noop_with_empty_axes', 0) !== 0)];
    },
    cost(ctx) {
      const per = kind === 'LogSumExp' ? 4 : kind === 'L2' || kind === 'SumSquare' ? 2 : 1;
      return {
        flops: numelOf(ctx.types[0]) * per,
        bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]),
      };
    },
    onnx: {
      type,
      import(ctx) {
        const a = ctx.take('axes');
        if (!a) return;
        if (a.kind !== 'ints' && a.kind !== 'int') throw new Error(`attribute 'axes' must be ints, got ${a.kind}`);
        const list = a.kind === 'int' ? [a.value] : a.value;
        if (ctx.opset >= AXES_INPUT_SINCE[kind] && ctx.node.inputs[1]) {
          throw new Error(`axes is given both as an attribute and as an input`);
        }
        ctx.node.inputs = [ctx.node.inputs[0]!, ctx.constant(Tensor.from('int64', list.map(BigInt)), 'axes')];
      },
    },
  };
}

/** A float reduction over constant axes becomes k.reduce with the axes sorted and non-negative. */
function lowerReduce({ node, attrs }: LowerContext): Node | undefined {
  const x = node.inputs[0]?.type;
  const kind = Object.entries(REDUCE_OPS).find(([, v]) => `nn.${v}` === node.op)?.[0];
  if (!kind || !x?.shape || !isFloat(x.dtype)) return undefined;
  const ax = node.inputs[1];
  if (ax && !ax.const) return undefined;
  let axes = ax ? Array.from(ax.const!.data as ArrayLike<number | bigint>, Number) : [];
  if (!axes.length) {
    if (attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
    axes = x.shape.map((_, i) => i);
  }
  const norm = [...new Set(axes.map((v) => normAxis(v, x.shape!.length)))].sort((p, q) => p - q);
  return new Node(
    'k.reduce',
    [node.inputs[0]!],
    [node.outputs[0]!],
    {
      op: { kind: 'string', value: kind },
      axes: { kind: 'ints', value: norm },
      keepdims: { kind: 'int', value: attrs.int('keepdims', 1) },
    },
    node.name,
  );
}

const KINDS: Kind[] = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'L1', 'L2', 'LogSum', 'LogSumExp', 'SumSquare'];
registerOps(
  withLowering(
    KINDS.map(reduceOp),
    Object.fromEntries(KINDS.map((k) => [`nn.Reduce${k}`, { lower: lowerReduce, lowersTo: ['k.reduce'] }])),
  ),
);
