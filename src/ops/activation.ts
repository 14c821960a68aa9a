// Activations with parameters: LeakyRelu, Elu, Selu, Celu, HardSigmoid, HardSwish, Softplus,
// Softsign, Mish, Swish, Gelu, ThresholdedRelu, PRelu and Clip.

import type { AttrReader } from '../ir/attributes.js';
import type { DType } from '../ir/dtype.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { getter, type Scalar, Tensor } from '../ir/tensor.js';
import { call, type Expr, num } from './kernel/expr.js';
import { $0, $1, $2, mapLowering, withLowering } from './kernel/lowering.js';
import { erf, softplus } from './math.js';
import { roundToDType } from './math-util.js';
import {
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

/** y = f(x) with f built from the node's attributes. */
function activation(
  type: string,
  attrs: OpDef['attrs'],
  make: (a: AttrReader) => (x: number) => number,
  flops = 4,
  types: DType[] = FLOATS,
): OpDef {
  return {
    name: `nn.${type}`,
    inputs: ['X'],
    outputs: ['Y'],
    attrs,
    infer(ctx) {
      const t = inType(ctx, 0, 'X');
      checkDType(t, types, 'X');
      return [{ dtype: t.dtype, shape: t.shape }];
    },
    run({ inputs: [x], attrs: a }) {
      const f = make(a);
      return [mapUnary(x!, x!.type, (v) => f(Number(v)))];
    },
    cost: elementwiseCost(flops),
    onnx: { type },
  };
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

const clip: OpDef = {
  name: 'nn.Clip',
  inputs: ['input', 'min?', 'max?'],
  outputs: ['output'],
  infer(ctx) {
    const t = inType(ctx, 0, 'input');
    checkDType(t, NUMERIC, 'input');
    for (const i of [1, 2]) {
      const b = ctx.types[i];
      if (b) {
        sameDType(t, b, i === 1 ? 'min' : 'max');
        if (b.shape && b.shape.length > 1) throw new Error(`${i === 1 ? 'min' : 'max'} must be a scalar`);
      }
    }
    return [{ dtype: t.dtype, shape: t.shape }];
  },
  run({ inputs: [x, lo, hi] }) {
    // an empty tensor also means "no bound" (exporters write '' or a 0-element tensor)
    const loV = lo && lo.size ? getter(lo)(0) : undefined;
    const hiV = hi && hi.size ? getter(hi)(0) : undefined;
    return [
      mapUnary(x!, x!.type, (v: Scalar) => {
        let r = v;
        if (loV !== undefined && r < loV) r = loV;
        if (hiV !== undefined && r > hiV) r = hiV;
        return r;
      }),
    ];
  },
  cost: elementwiseCost(2),
  onnx: {
    type: 'Clip',
    // Clip-1/6 carried min and max as float attributes; from 11 they are optional inputs.
    import(ctx) {
      const lo = ctx.take('min');
      const hi = ctx.take('max');
      ctx.take('consumed_inputs');
      if (ctx.opset >= 11) return;
      const dtype = ctx.node.inputs[0]?.type?.dtype ?? 'float32';
      const c = (a: typeof lo, name: string) =>
        a && a.kind !== 'string' ? ctx.constant(Tensor.from(dtype, [Number(a.value)], []), name) : null;
      ctx.node.inputs = [ctx.node.inputs[0]!, c(lo, 'clip_min'), c(hi, 'clip_max')];
      while (ctx.node.inputs.length > 1 && ctx.node.inputs[ctx.node.inputs.length - 1] === null) ctx.node.inputs.pop();
    },
  },
};

const prelu: OpDef = {
  name: 'nn.PRelu',
  inputs: ['X', 'slope'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    const s = inType(ctx, 1, 'slope');
    checkDType(x, NUMERIC, 'X');
    sameDType(x, s, 'slope');
    return [broadcastType([x, s], x.dtype)];
  },
  run({ inputs: [x, s] }) {
    return [
      mapBroadcast([x!, s!], x!.type, (v, a) =>
        v < 0 ? (typeof v === 'bigint' ? v * (a as bigint) : v * (a as number)) : v,
      ),
    ];
  },
  cost: elementwiseCost(2),
  onnx: {
    type: 'PRelu',
    // Before opset 7 a 1-D slope of size C applied per channel (axis 1); numpy broadcasting,
    // used from 7 on, would align it with the last axis instead. Make the channel axis explicit.
    import(ctx) {
      const [x, slope] = ctx.node.inputs;
      const rank = x?.type?.shape?.length;
      if (ctx.opset >= 7 || !slope?.const || slope.const.dims.length !== 1 || !rank || rank < 3) return;
      const c = slope.const.dims[0]!;
      if (c === 1) return;
      ctx.node.inputs[1] = ctx.constant(slope.const.reshape([c, ...new Array(rank - 2).fill(1)]), 'slope');
    },
  },
};

const shrink = activation(
  'Shrink',
  { lambd: { kind: 'float', default: 0.5 }, bias: { kind: 'float', default: 0 } },
  (a) => {
    const l = a.float('lambd', 0.5),
      b = a.float('bias', 0);
    return (x) => (x < -l ? x + b : x > l ? x - b : 0);
  },
  2,
  NUMERIC,
);

/** SwiGLU (opset 28): Swish(a, alpha) * b, broadcast; the gated linear unit of LLaMA-style MLPs. */
const swiglu: OpDef = {
  name: 'nn.SwiGLU',
  inputs: ['a', 'b'],
  outputs: ['y'],
  attrs: { alpha: { kind: 'float', default: 1 } },
  infer(ctx) {
    const a = inType(ctx, 0, 'a');
    const b = inType(ctx, 1, 'b');
    checkDType(a, FLOATS, 'a');
    sameDType(a, b, 'b');
    return [broadcastType([a, b], a.dtype)];
  },
  run({ inputs: [a, b], attrs }) {
    const al = attrs.float('alpha', 1);
    // the Swish gate is stored in the input type before the product, as the function body does
    const round = roundToDType(a!.type);
    return [
      mapBroadcast(
        [a!, b!],
        a!.type,
        (x, y) => round((x as number) / (1 + Math.exp(-al * (x as number)))) * (y as number),
      ),
    ];
  },
  cost: elementwiseCost(5),
  onnx: { type: 'SwiGLU', minOpset: 28 },
};

/** k.map forms, attributes baked in as constants. */
const LOWER = {
  'nn.Softplus': mapLowering(() => call('softplus', $0)),
  'nn.LeakyRelu': mapLowering((_n, a) =>
    call('select', call('ge', $0, num(0)), $0, call('mul', $0, num(a.float('alpha', 0.01)))),
  ),
  'nn.Elu': mapLowering((_n, a) =>
    call(
      'select',
      call('ge', $0, num(0)),
      $0,
      call('mul', num(a.float('alpha', 1)), call('sub', call('exp', $0), num(1))),
    ),
  ),
  'nn.Selu': mapLowering((_n, a) => {
    const al = a.float('alpha', SELU_ALPHA),
      g = a.float('gamma', SELU_GAMMA);
    const neg = call('sub', call('mul', num(al), call('exp', $0)), num(al));
    return call('mul', num(g), call('select', call('gt', $0, num(0)), $0, neg));
  }),
  'nn.Celu': mapLowering((_n, a) => {
    const al = a.float('alpha', 1);
    const neg = call('mul', num(al), call('sub', call('exp', call('div', $0, num(al))), num(1)));
    return call('add', call('max', $0, num(0)), call('min', num(0), neg));
  }),
  'nn.HardSigmoid': mapLowering((_n, a) => {
    const lin = call('add', call('mul', $0, num(a.float('alpha', 0.2))), num(a.float('beta', 0.5)));
    return call('clamp', lin, num(0), num(1));
  }),
  'nn.HardSwish': mapLowering(() =>
    call('mul', $0, call('clamp', call('add', call('div', $0, num(6)), num(0.5)), num(0), num(1))),
  ),
  'nn.ThresholdedRelu': mapLowering((_n, a) => call('select', call('gt', $0, num(a.float('alpha', 1))), $0, num(0))),
  'nn.Softsign': mapLowering(() => call('div', $0, call('add', num(1), call('abs', $0)))),
  'nn.Mish': mapLowering(() => call('mul', $0, call('tanh', call('softplus', $0)))),
  'nn.Gelu': mapLowering((_n, a) => {
    const half = call('mul', num(0.5), $0);
    if (a.string('approximate', 'none') === 'tanh') {
      const cube = call('mul', num(0.044715), call('mul', $0, call('mul', $0, $0)));
      const inner = call('mul', num(Math.sqrt(2 / Math.PI)), call('add', $0, cube));
      return call('mul', half, call('add', num(1), call('tanh', inner)));
    }
    return call('mul', half, call('add', num(1), call('erf', call('mul', $0, num(Math.SQRT1_2)))));
  }),
  'nn.PRelu': mapLowering(() => call('select', call('ge', $0, num(0)), $0, call('mul', $0, $1))),
  // omitted bounds are null inputs: the expression only reads the present ones
  'nn.Clip': mapLowering((n) => {
    let e: Expr = $0;
    if (n.inputs[1]) e = call('max', e, $1);
    if (n.inputs[2]) e = call('min', e, $2);
    return e;
  }),
};

registerOps(
  withLowering(
    [
      swiglu,
      shrink,
      activation(
        'LeakyRelu',
        { alpha: { kind: 'float', default: 0.01 } },
        (a) => {
          const al = a.float('alpha', 0.01);
          return (x) => (x >= 0 ? x : al * x);
        },
        2,
      ),
      activation('Elu', { alpha: { kind: 'float', default: 1 } }, (a) => {
        const al = a.float('alpha', 1);
        return (x) => (x >= 0 ? x : al * (Math.exp(x) - 1));
      }),
      activation('Celu', { alpha: { kind: 'float', default: 1 } }, (a) => {
        const al = a.float('alpha', 1);
        return (x) => Math.max(0, x) + Math.min(0, al * (Math.exp(x / al) - 1));
      }),
      activation(
        'Selu',
        { alpha: { kind: 'float', default: SELU_ALPHA }, gamma: { kind: 'float', default: SELU_GAMMA } },
        (a) => {
          const al = a.float('alpha', SELU_ALPHA);
          const g = a.float('gamma', SELU_GAMMA);
          return (x) => (x > 0 ? g * x : g * (al * Math.exp(x) - al));
        },
      ),
      activation(
        'HardSigmoid',
        { alpha: { kind: 'float', default: 0.2 }, beta: { kind: 'float', default: 0.5 } },
        (a) => {
          const al = a.float('alpha', 0.2);
          const b = a.float('beta', 0.5);
          return (x) => Math.max(0, Math.min(1, al * x + b));
        },
        3,
      ),
      activation('HardSwish', {}, () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)), 4),
      activation(
        'Swish',
        { alpha: { kind: 'float', default: 1 } },
        (a) => {
          const al = a.float('alpha', 1);
          return (x) => x / (1 + Math.exp(-al * x));
        },
        4,
      ),
      activation(
        'ThresholdedRelu',
        { alpha: { kind: 'float', default: 1 } },
        (a) => {
          const al = a.float('alpha', 1);
          return (x) => (x > al ? x : 0);
        },
        1,
      ),
      activation('Softplus', {}, () => softplus),
      activation('Softsign', {}, () => (x) => x / (1 + Math.abs(x)), 3),
      activation('Mish', {}, () => (x) => x * Math.tanh(softplus(x)), 8),
      activation(
        'Gelu',
        { approximate: { kind: 'string', default: 'none' } },
        (a) => {
          const mode = a.string('approximate', 'none');
          if (mode === 'tanh') return geluTanh;
          if (mode !== 'none') throw new Error(`approximate must be 'none' or 'tanh', got '${mode}'`);
          return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
        },
        8,
      ),
      clip,
      prelu,
    ],
    LOWER,
  ),
);
