// Arithmetic over broadcast inputs: Add, Sub, Mul, Div, Pow, Mod, and the variadic Max, Min,
// Sum, Mean.

import type { DType } from '../ir/dtype.js';
import { isBig } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Scalar } from '../ir/tensor.js';
import { call, type Expr, input, num } from './kernel/expr.js';
import { $0, $1, mapLowering, withLowering } from './kernel/lowering.js';
import {
  broadcastType,
  checkDType,
  elementwiseCost,
  FLOATS,
  inType,
  mapBroadcast,
  NUMERIC,
  sameDType,
} from './util.js';

type NumFn = (a: number, b: number) => number;
type BigFn = (a: bigint, b: bigint) => bigint;

/** Integer division truncates toward zero, as C and onnxruntime do; by zero it yields 0 rather than trapping. */
const intDiv: NumFn = (a, b) => (b === 0 ? 0 : Math.trunc(a / b));
const bigDiv: BigFn = (a, b) => (b === 0n ? 0n : a / b);

function binary(
  type: string,
  types: DType[],
  f: NumFn,
  big: BigFn,
  opts: { intF?: NumFn; attrs?: OpDef['attrs'] } = {},
): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['A', 'B'],
    outputs: ['C'],
    attrs: opts.attrs,
    infer(ctx) {
      const a = inType(ctx, 0, 'A');
      const b = inType(ctx, 1, 'B');
      checkDType(a, types, 'A');
      sameDType(a, b, 'A and B');
      return [broadcastType([a, b], a.dtype)];
    },
    run({ inputs: [a, b] }) {
      const dt = a!.type;
      const isInt = !FLOATS.includes(dt) && dt !== 'bool';
      const nf = isInt && opts.intF ? opts.intF : f;
      return [mapBroadcast([a!, b!], dt, (x, y) => (typeof x === 'bigint' ? big(x, y as bigint) : nf(x, y as number)))];
    },
    cost: elementwiseCost(1),
    onnx: {
      type,
      // opset < 7 carried explicit broadcast/axis attributes; numpy broadcasting covers the legal cases
      import(ctx) {
        ctx.take('broadcast');
        ctx.take('axis');
        ctx.take('consumed_inputs');
      },
    },
  };
}

/** Integer power by repeated squaring; a negative exponent gives 0 (or ±1 for a base of ±1). */
function ipow(base: bigint, exp: bigint): bigint {
  if (exp < 0n) return base === 1n ? 1n : base === -1n ? (exp % 2n === 0n ? 1n : -1n) : 0n;
  let r = 1n,
    b = base,
    e = exp;
  while (e > 0n) {
    if (e & 1n) r *= b;
    b *= b;
    e >>= 1n;
  }
  return r;
}

const pow: OpDef = {
  name: 'nn.Pow',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const y = inType(ctx, 1, 'Y');
    checkDType(x, NUMERIC, 'X');
    checkDType(y, NUMERIC, 'Y');
    return [broadcastType([x, y], x.dtype)];
  },
  run({ inputs: [x, y] }) {
    const dt = x!.type;
    const intOut = !FLOATS.includes(dt);
    return [
      mapBroadcast([x!, y!], dt, (a: Scalar, b: Scalar) => {
        if (intOut) {
          if (typeof b === 'number' && !Number.isInteger(b)) return Math.pow(Number(a), b);
          const r = ipow(BigInt(a), BigInt(b));
          return isBig(dt) ? r : Number(BigInt.asIntN(64, r));
        }
        return Math.pow(Number(a), Number(b));
      }),
    ];
  },
  cost: elementwiseCost(4),
  onnx: {
    type: 'Pow',
    import(ctx) {
      ctx.take('broadcast');
      ctx.take('axis');
    },
  },
};

/** Mod: fmod=0 takes the sign of the divisor (Python %), fmod=1 the sign of the dividend (C fmod). */
const mod: OpDef = {
  name: 'nn.Mod',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: { fmod: { kind: 'int', default: 0 } },
  infer(ctx) {
    const a = inType(ctx, 0, 'A');
    const b = inType(ctx, 1, 'B');
    checkDType(a, NUMERIC, 'A');
    sameDType(a, b, 'A and B');
    if (FLOATS.includes(a.dtype) && ctx.attrs.int('fmod', 0) !== 1)
      throw new Error('fmod must be 1 for floating-point inputs');
    return [broadcastType([a, b], a.dtype)];
  },
  run({ inputs: [a, b], attrs }) {
    const f = attrs.int('fmod', 0) === 1;
    return [
      mapBroadcast([a!, b!], a!.type, (x, y) => {
        if (typeof x === 'bigint') {
          const d = y as bigint;
          if (d === 0n) return 0n;
          const r = x % d;
          return f || r === 0n || r < 0n === d < 0n ? r : r + d;
        }
        const d = y as number;
        const r = x % d;
        if (f || Number.isNaN(r) || r === 0 || r < 0 === d < 0)
          return Number.isNaN(r) && !FLOATS.includes(a!.type) ? 0 : r;
        return r + d;
      }),
    ];
  },
  cost: elementwiseCost(2),
  onnx: { type: 'Mod' },
};

/** Max/Min/Sum/Mean: any number of inputs, broadcast together. */
function variadic(type: string, types: DType[], f: (xs: Scalar[]) => Scalar): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['data_0...'],
    outputs: [type.toLowerCase()],
    infer(ctx) {
      const first = inType(ctx, 0, 'data_0');
      checkDType(first, types, 'data_0');
      ctx.types.forEach((t, i) => {
        if (t) sameDType(first, t, `data_0 and data_${i}`);
      });
      return [broadcastType(ctx.types, first.dtype)];
    },
    run({ inputs }) {
      return [mapBroadcast(inputs as NonNullable<(typeof inputs)[number]>[], inputs[0]!.type, (...xs) => f(xs))];
    },
    cost: elementwiseCost(1),
    onnx: {
      type,
      import(ctx) {
        ctx.take('consumed_inputs');
      },
    },
  };
}

const maxOf = (xs: Scalar[]) =>
  xs.reduce((a, b) => (Number.isNaN(a) || (b as number) > (a as number) || Number.isNaN(b) ? b : a));
const minOf = (xs: Scalar[]) =>
  xs.reduce((a, b) => (Number.isNaN(a) || (b as number) < (a as number) || Number.isNaN(b) ? b : a));
const sumOf = (xs: Scalar[]): Scalar =>
  typeof xs[0] === 'bigint' ? (xs as bigint[]).reduce((a, b) => a + b) : (xs as number[]).reduce((a, b) => a + b);

/** k.map forms: binary ops fold over their inputs; a lone input of Sum/Max/Min is itself. */
const fold = (fn: string) =>
  mapLowering((n) => {
    if (n.inputs.length < 2) return ['nn.Sum', 'nn.Max', 'nn.Min'].includes(n.op) ? $0 : undefined;
    let e = call(fn, $0, $1);
    for (let i = 2; i < n.inputs.length; i++) e = call(fn, e, input(i));
    return e;
  });
const LOWER = {
  'nn.Add': fold('add'),
  'nn.Sub': fold('sub'),
  'nn.Mul': fold('mul'),
  'nn.Div': fold('div'),
  'nn.Pow': fold('pow'),
  'nn.Max': fold('max'),
  'nn.Min': fold('min'),
  'nn.Sum': fold('add'),
  'nn.Mean': mapLowering((n) => {
    let e: Expr = $0;
    for (let i = 1; i < n.inputs.length; i++) e = call('add', e, input(i));
    return call('div', e, num(n.inputs.length));
  }),
};

registerOps(
  withLowering(
    [
      binary(
        'Add',
        NUMERIC,
        (a, b) => a + b,
        (a, b) => a + b,
      ),
      binary(
        'Sub',
        NUMERIC,
        (a, b) => a - b,
        (a, b) => a - b,
      ),
      // Math.imul keeps the exact low 32 bits where a double product of two int32 would round
      binary(
        'Mul',
        NUMERIC,
        (a, b) => a * b,
        (a, b) => a * b,
        { intF: Math.imul },
      ),
      binary('Div', NUMERIC, (a, b) => a / b, bigDiv, { intF: intDiv }),
      pow,
      mod,
      variadic('Max', NUMERIC, maxOf),
      variadic('Min', NUMERIC, minOf),
      variadic('Sum', FLOATS, sumOf),
      variadic('Mean', FLOATS, (xs) => (sumOf(xs) as number) / xs.length),
    ],
    LOWER,
  ),
);
