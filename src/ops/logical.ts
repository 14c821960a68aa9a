// Comparisons, boolean logic and selection: Equal, Greater, Less, GreaterOrEqual, LessOrEqual,
// And, Or, Xor, Not, Where, IsInf.

import type { DType } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import type { Scalar } from '../ir/tensor.js';
import { call } from './kernel/expr.js';
import { $0, $1, $2, mapLowering, withLowering } from './kernel/lowering.js';
import {
  ALL,
  broadcastType,
  checkDType,
  elementwiseCost,
  FLOATS,
  inType,
  mapBroadcast,
  mapUnary,
  NUMERIC,
  sameDType,
} from './util.js';

function compare(type: string, types: DType[], f: (a: Scalar, b: Scalar) => boolean): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['A', 'B'],
    outputs: ['C'],
    infer(ctx) {
      const a = inType(ctx, 0, 'A');
      const b = inType(ctx, 1, 'B');
      checkDType(a, types, 'A');
      sameDType(a, b, 'A and B');
      return [broadcastType([a, b], 'bool')];
    },
    run({ inputs: [a, b] }) {
      return [mapBroadcast([a!, b!], 'bool', (x, y) => (f(x, y) ? 1 : 0))];
    },
    cost: elementwiseCost(1),
    onnx: {
      type,
      import(ctx) {
        ctx.take('broadcast');
        ctx.take('axis');
      },
    },
  };
}

function logic(type: string, f: (a: boolean, b: boolean) => boolean): OpDef {
  return compare(type, ['bool'], (a, b) => f(!!a, !!b));
}

const not: OpDef = {
  name: 'nn.Not',
  inputs: ['X'],
  outputs: ['Y'],
  infer(ctx) {
    const t = inType(ctx, 0, 'X');
    checkDType(t, ['bool'], 'X');
    return [{ ...t }];
  },
  run: ({ inputs: [x] }) => [mapUnary(x!, 'bool', (v) => (v ? 0 : 1))],
  cost: elementwiseCost(1),
  onnx: { type: 'Not' },
};

const where: OpDef = {
  name: 'nn.Where',
  inputs: ['condition', 'X', 'Y'],
  outputs: ['output'],
  infer(ctx) {
    const c = inType(ctx, 0, 'condition');
    const x = inType(ctx, 1, 'X');
    const y = inType(ctx, 2, 'Y');
    checkDType(c, ['bool'], 'condition');
    sameDType(x, y, 'X and Y');
    return [broadcastType([c, x, y], x.dtype)];
  },
  run: ({ inputs: [c, x, y] }) => [mapBroadcast([c!, x!, y!], x!.type, (k, a, b) => (k ? a : b))],
  cost: elementwiseCost(1),
  onnx: { type: 'Where' },
};

const isInf: OpDef = {
  name: 'nn.IsInf',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { detect_negative: { kind: 'int', default: 1 }, detect_positive: { kind: 'int', default: 1 } },
  infer(ctx) {
    const t = inType(ctx, 0, 'X');
    checkDType(t, FLOATS, 'X');
    return [{ dtype: 'bool', shape: t.shape }];
  },
  run({ inputs: [x], attrs }) {
    const neg = attrs.int('detect_negative', 1) === 1;
    const pos = attrs.int('detect_positive', 1) === 1;
    return [mapUnary(x!, 'bool', (v) => ((pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0))];
  },
  cost: elementwiseCost(1),
  onnx: { type: 'IsInf' },
};

/** k.map forms (bool results as 0/1 in float). */
const LOWER = {
  'nn.Equal': mapLowering(() => call('eq', $0, $1)),
  'nn.Less': mapLowering(() => call('lt', $0, $1)),
  'nn.LessOrEqual': mapLowering(() => call('le', $0, $1)),
  'nn.Greater': mapLowering(() => call('gt', $0, $1)),
  'nn.GreaterOrEqual': mapLowering(() => call('ge', $0, $1)),
  'nn.And': mapLowering(() => call('and', $0, $1)),
  'nn.Or': mapLowering(() => call('or', $0, $1)),
  'nn.Xor': mapLowering(() => call('xor', $0, $1)),
  'nn.Not': mapLowering(() => call('not', $0)),
  'nn.Where': mapLowering(() => call('select', $0, $1, $2)),
};

registerOps(
  withLowering(
    [
      // Equal compares strings too (opset 19); strings stay on the host (hostOnlyReason)
      compare('Equal', [...ALL, 'string'], (a, b) => a === b),
      compare('Greater', NUMERIC, (a, b) => a > b),
      compare('Less', NUMERIC, (a, b) => a < b),
      compare('GreaterOrEqual', NUMERIC, (a, b) => a >= b),
      compare('LessOrEqual', NUMERIC, (a, b) => a <= b),
      logic('And', (a, b) => a && b),
      logic('Or', (a, b) => a || b),
      logic('Xor', (a, b) => a !== b),
      not,
      where,
      isInf,
    ],
    LOWER,
  ),
);
