// CumSum and CumProd (opset 26): running sums / products along one axis (given as a scalar
// int32/int64 tensor input), optionally exclusive (each output excludes its own element) and/or
// reversed (they run from the end). Floats accumulate in double and round on store; integers wrap
// like C (bigint for 64-bit).

import { isBig, isFloat } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, reducePlan, scalarInt, toF64 } from './math-util.js';
import { bytesOf, checkDType, inType, NUMERIC, numelOf } from './util.js';

interface Combine {
  big(a: bigint, b: bigint): bigint;
  num(a: number, b: number, float: boolean): number;
  one: number;
}

const SUM: Combine = { big: (a, b) => BigInt.asIntN(64, a + b), num: (a, b, f) => (f ? a + b : (a + b) | 0), one: 0 };
// integers up to 32 bits wrap modulo 2^32: Math.imul keeps the low 32 bits of the product
const PROD: Combine = {
  big: (a, b) => BigInt.asIntN(64, a * b),
  num: (a, b, f) => (f ? a * b : Math.imul(a, b)),
  one: 1,
};

function cumulative(type: 'CumSum' | 'CumProd', op: Combine, minOpset: number): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['x', 'axis'],
    outputs: ['y'],
    attrs: {
      exclusive: { kind: 'int', default: 0 },
      reverse: { kind: 'int', default: 0 },
    },
    infer(ctx) {
      const x = inType(ctx, 0, 'x');
      const a = inType(ctx, 1, 'axis');
      checkDType(x, NUMERIC, 'x');
      checkDType(a, ['int32', 'int64'], 'axis');
      if (a.shape && !(a.shape.length === 0 || (a.shape.length === 1 && a.shape[0] === 1))) {
        throw new Error(`axis ${formatType(a)} must be a scalar`);
      }
      if (x.shape && ctx.consts[1]) normAxis(scalarInt(ctx.consts[1], 'axis'), x.shape.length);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    run({ inputs: [xt, at], attrs }) {
      const x = xt!;
      const axis = normAxis(scalarInt(at!, 'axis'), x.dims.length);
      const exclusive = attrs.int('exclusive', 0) !== 0;
      const reverse = attrs.int('reverse', 0) !== 0;
      const { outer, inner } = reducePlan(x.dims, new Set([axis]));
      const n = inner.length;
      // positions along the axis in the order the sum visits them
      const seq = Int32Array.from({ length: n }, (_, j) => inner[reverse ? n - 1 - j : j]!);
      if (isBig(x.type)) {
        const xv = x.data as BigInt64Array;
        const out = Tensor.zeros(x.type, x.dims);
        const y = out.data as BigInt64Array;
        for (const base of outer) {
          let s = BigInt(op.one);
          for (const off of seq) {
            const next = op.big(s, xv[base + off]!);
            y[base + off] = exclusive ? s : next;
            s = next;
          }
        }
        return [out];
      }
      const xv = toF64(x);
      const y = new Float64Array(x.size);
      const float = isFloat(x.type);
      for (const base of outer) {
        let s = op.one;
        for (const off of seq) {
          const next = op.num(s, xv[base + off]!, float);
          y[base + off] = exclusive ? s : next;
          s = next;
        }
      }
      return [fromF64(x.type, x.dims, y)];
    },
    cost(ctx) {
      return { flops: numelOf(ctx.types[0]), bytes: bytesOf(ctx.types[0]) * 2 };
    },
    onnx: { type, minOpset },
  };
}

registerOps([cumulative('CumSum', SUM, 11), cumulative('CumProd', PROD, 26)]);
