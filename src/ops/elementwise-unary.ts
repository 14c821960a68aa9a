// Unary elementwise math: y = f(x), same shape and type.

import type { DType } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Scalar } from '../ir/tensor.js';
import { call } from './kernel/expr.js';
import { $0, mapLowering, withLowering } from './kernel/lowering.js';
import { erf, roundHalfEven } from './math.js';
import { checkDType, elementwiseCost, FLOATS, INTS, inType, mapUnary, NUMERIC } from './util.js';

const SIGNED_INTS: DType[] = ['int8', 'int16', 'int32', 'int64'];

/** A unary op over `types`; `big` handles 64-bit integers, otherwise the number function is used. */
export function unaryOp(
  type: string,
  types: DType[],
  f: (x: number) => number,
  opts: { big?: (x: bigint) => bigint; flops?: number; out?: DType } = {},
): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['X'],
    outputs: ['Y'],
    infer(ctx) {
      const t = inType(ctx, 0, 'X');
      checkDType(t, types, 'X');
      return [{ dtype: opts.out ?? t.dtype, shape: t.shape }];
    },
    run({ inputs: [x] }) {
      const big = opts.big;
      const fn = big ? (v: Scalar) => (typeof v === 'bigint' ? big(v) : f(v)) : (v: Scalar) => f(Number(v));
      return [mapUnary(x!, opts.out ?? x!.type, fn)];
    },
    cost: elementwiseCost(opts.flops ?? 1),
    onnx: { type },
  };
}

const abs = (x: bigint) => (x < 0n ? -x : x);
const sign = (x: bigint) => (x > 0n ? 1n : x < 0n ? -1n : 0n);

/** Kernel forms: each op is one k.map function of its input. */
const LOWER = Object.fromEntries(
  Object.entries({
    'nn.Abs': 'abs',
    'nn.Neg': 'neg',
    'nn.Sqrt': 'sqrt',
    'nn.Reciprocal': 'recip',
    'nn.Exp': 'exp',
    'nn.Log': 'log',
    'nn.Sin': 'sin',
    'nn.Cos': 'cos',
    'nn.Tan': 'tan',
    'nn.Tanh': 'tanh',
    'nn.Sigmoid': 'sigmoid',
    'nn.Erf': 'erf',
    'nn.Relu': 'relu',
    'nn.Floor': 'floor',
    'nn.Ceil': 'ceil',
    'nn.Round': 'round',
    'nn.Sign': 'sign',
    'nn.IsNaN': 'isnan',
  }).map(([op, fn]) => [op, mapLowering(() => call(fn, $0))]),
);

registerOps(
  withLowering(
    [
      unaryOp('Abs', NUMERIC, Math.abs, { big: abs }),
      unaryOp('Neg', [...FLOATS, ...SIGNED_INTS], (x) => -x, { big: (x) => -x }),
      unaryOp('Sign', NUMERIC, (x) => (Number.isNaN(x) ? NaN : Math.sign(x)), { big: sign }),
      unaryOp('Relu', [...FLOATS, ...SIGNED_INTS], (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), {
        big: (x) => (x > 0n ? x : 0n),
      }),
      unaryOp('Sqrt', FLOATS, Math.sqrt),
      unaryOp('Reciprocal', FLOATS, (x) => 1 / x),
      unaryOp('Exp', FLOATS, Math.exp, { flops: 4 }),
      unaryOp('Log', FLOATS, Math.log, { flops: 4 }),
      unaryOp('Ceil', FLOATS, Math.ceil),
      unaryOp('Floor', FLOATS, Math.floor),
      unaryOp('Round', FLOATS, roundHalfEven),
      unaryOp('Sin', FLOATS, Math.sin, { flops: 4 }),
      unaryOp('Cos', FLOATS, Math.cos, { flops: 4 }),
      unaryOp('Tan', FLOATS, Math.tan, { flops: 4 }),
      unaryOp('Asin', FLOATS, Math.asin, { flops: 4 }),
      unaryOp('Acos', FLOATS, Math.acos, { flops: 4 }),
      unaryOp('Atan', FLOATS, Math.atan, { flops: 4 }),
      unaryOp('Sinh', FLOATS, Math.sinh, { flops: 4 }),
      unaryOp('Cosh', FLOATS, Math.cosh, { flops: 4 }),
      unaryOp('Asinh', FLOATS, Math.asinh, { flops: 4 }),
      unaryOp('Acosh', FLOATS, Math.acosh, { flops: 4 }),
      unaryOp('Atanh', FLOATS, Math.atanh, { flops: 4 }),
      unaryOp('Tanh', FLOATS, Math.tanh, { flops: 4 }),
      unaryOp('Sigmoid', FLOATS, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), {
        flops: 4,
      }),
      unaryOp('Erf', [...FLOATS, ...INTS], erf, { flops: 8 }),
      unaryOp('IsNaN', FLOATS, (x) => (Number.isNaN(x) ? 1 : 0), { out: 'bool' }),
    ],
    LOWER,
  ),
);
