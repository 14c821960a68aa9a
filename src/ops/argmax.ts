// ArgMax and ArgMin along one axis (int64 indices), with keepdims and select_last_index.
// NaN follows numpy: a NaN beats every number (so the first NaN is the answer, or the last one
// with select_last_index); among equal values the first index wins, or the last with
// select_last_index.

import type { DType } from '../ir/dtype.js';
import { isBig } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis, type Shape } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { reducePlan, toF64 } from './math-util.js';
import { bytesOf, checkDType, inType, NUMERIC, numelOf } from './util.js';

/** Index (within the reduced axis) of the winning element of each group. */
function argReduce(x: Tensor, axis: number, isMax: boolean, last: boolean): Int32Array {
  const { outer, inner } = reducePlan(x.dims, new Set([axis]));
  const n = inner.length;
  if (n === 0 && outer.length > 0)
    throw new Error(`cannot take Arg${isMax ? 'Max' : 'Min'} along axis ${axis} of size 0`);
  const out = new Int32Array(outer.length);
  if (isBig(x.type)) {
    const d = x.data as BigInt64Array | BigUint64Array;
    for (let o = 0; o < outer.length; o++) {
      const base = outer[o]!;
      let best = 0;
      let bv = d[base]!;
      for (let j = 1; j < n; j++) {
        const v = d[base + inner[j]!]!;
        if (isMax ? v > bv || (last && v === bv) : v < bv || (last && v === bv)) {
          best = j;
          bv = v;
        }
      }
      out[o] = best;
    }
    return out;
  }
  const d = toF64(x);
  for (let o = 0; o < outer.length; o++) {
    const base = outer[o]!;
    let best = 0;
    let bv = d[base]!;
    for (let j = 1; j < n; j++) {
      const v = d[base + inner[j]!]!;
      let take: boolean;
      if (bv !== bv)
        take = last && v !== v; // a NaN is only replaced by a later NaN
      else if (v !== v)
        take = true; // NaN beats every number
      else take = isMax ? v > bv || (last && v === bv) : v < bv || (last && v === bv);
      if (take) {
        best = j;
        bv = v;
      }
    }
    out[o] = best;
  }
  return out;
}

function argOp(type: 'ArgMax' | 'ArgMin'): OpDef {
  const isMax = type === 'ArgMax';
  return {
    name: `nn.${type}`,
    inputs: ['data'],
    outputs: ['reduced'],
    attrs: {
      axis: { kind: 'int', default: 0 },
      keepdims: { kind: 'int', default: 1 },
      select_last_index: { kind: 'int', default: 0 },
    },
    infer(ctx) {
      const x = inType(ctx, 0, 'data');
      checkDType(x, NUMERIC as DType[], 'data');
      if (!x.shape) return [{ dtype: 'int64' }];
      const rank = x.shape.length;
      const axis = normAxis(ctx.attrs.int('axis', 0), rank);
      const keep = ctx.attrs.int('keepdims', 1) !== 0;
      const shape: Shape = [];
      x.shape.forEach((d, i) => {
        if (i !== axis) shape.push(d);
        else if (keep) shape.push(1);
      });
      return [{ dtype: 'int64', shape }];
    },
    run({ inputs: [x], attrs }) {
      const rank = x!.dims.length;
      const axis = normAxis(attrs.int('axis', 0), rank);
      const keep = attrs.int('keepdims', 1) !== 0;
      const idx = argReduce(x!, axis, isMax, attrs.int('select_last_index', 0) !== 0);
      const dims = x!.dims.flatMap((d, i) => (i !== axis ? [d] : keep ? [1] : []));
      const out = Tensor.zeros('int64', dims);
      const o = out.data as BigInt64Array;
      for (let i = 0; i < idx.length; i++) o[i] = BigInt(idx[i]!);
      return [out];
    },
    cost(ctx) {
      return { flops: numelOf(ctx.types[0]), bytes: bytesOf(ctx.types[0]) + bytesOf(ctx.outTypes[0]) };
    },
    onnx: { type },
  };
}

registerOps([argOp('ArgMax'), argOp('ArgMin')]);
