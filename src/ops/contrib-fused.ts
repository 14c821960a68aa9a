// com.microsoft fusions ONNX Runtime's graph optimizer writes into saved models:
//  - FusedMatMul: Y = alpha · op(A) · op(B), op transposing the last two dims (transA/transB) and,
//    with transBatchA/transBatchB, first moving the leading batch dim next to the matrix dims.
//  - FusedConv: Conv (+ Z, the residual of a fused Add), then one activation named by `activation`
//    with `activation_params` (Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid).
// Both delegate the linear algebra to the nn ops' reference implementations.

import { type Attr, AttrReader } from '../ir/attributes.js';
import { lookupOp, type OpDef, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { fusedPerm } from './contrib-math.js';
import { MS_DOMAIN, MS_FLOATS } from './contrib-util.js';
import { evalAs } from './kernel/delegate.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, inType } from './util.js';

function permute<T>(s: readonly T[], perm: number[]): T[] {
  return perm.map((p) => s[p]!);
}

function operandAttrs(a: { int(n: string, d?: number): number }, which: 'A' | 'B'): [boolean, boolean] {
  return [a.int(`transBatch${which}`, 0) !== 0, a.int(`trans${which}`, 0) !== 0];
}

const fusedMatMul: OpDef = {
  name: 'ms.FusedMatMul',
  inputs: ['A', 'B'],
  outputs: ['Y'],
  attrs: {
    alpha: { kind: 'float', default: 1 },
    transA: { kind: 'int', default: 0 },
    transB: { kind: 'int', default: 0 },
    transBatchA: { kind: 'int', default: 0 },
    transBatchB: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const a = inType(ctx, 0, 'A'),
      b = inType(ctx, 1, 'B');
    checkDType(a, MS_FLOATS, 'A');
    if (b.dtype !== a.dtype) throw new Error(`B has type ${b.dtype}; it must match A (${a.dtype})`);
    if (!a.shape || !b.shape) return [{ dtype: a.dtype }];
    const pa = permute(a.shape, fusedPerm(a.shape.length, ...operandAttrs(ctx.attrs, 'A')));
    const pb = permute(b.shape, fusedPerm(b.shape.length, ...operandAttrs(ctx.attrs, 'B')));
    return lookupOp('nn.MatMul')!.infer({
      ...ctx,
      types: [
        { dtype: a.dtype, shape: pa },
        { dtype: b.dtype, shape: pb },
      ],
      consts: [],
    });
  },
  run({ inputs: [A, B], attrs }) {
    const t = (x: Tensor, which: 'A' | 'B'): Tensor => {
      const perm = fusedPerm(x.dims.length, ...operandAttrs(attrs, which));
      return perm.every((p, i) => p === i)
        ? x
        : evalAs('nn.Transpose', [x], { perm: { kind: 'ints', value: perm } })[0]!;
    };
    const y = evalAs('nn.MatMul', [t(A!, 'A'), t(B!, 'B')], {})[0]!;
    const alpha = attrs.float('alpha', 1);
    if (alpha === 1) return [y];
    return [
      fromF64(
        y.type,
        y.dims,
        toF64(y).map((v) => v * alpha),
      ),
    ];
  },
  onnx: { type: 'FusedMatMul', domain: MS_DOMAIN },
};

const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

/** The activation of a FusedConv as a scalar function. */
export function fusedActivation(name: string, params: number[]): (x: number) => number {
  const p = (i: number, d: number) => params[i] ?? d;
  switch (name) {
    case '':
    case 'Identity':
      return (x) => x;
    case 'Relu':
      return (x) => Math.max(x, 0);
    case 'Tanh':
      return Math.tanh;
    case 'Sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'LeakyRelu': {
      const al = p(0, 0.01);
      return (x) => (x >= 0 ? x : al * x);
    }
    case 'Clip': {
      const lo = p(0, -Infinity),
        hi = p(1, Infinity);
      return (x) => Math.min(Math.max(x, lo), hi);
    }
    case 'HardSigmoid': {
      const al = p(0, 0.2),
        be = p(1, 0.5);
      return (x) => Math.min(Math.max(al * x + be, 0), 1);
    }
  }
  throw new Error(`activation '${name}' is not supported (Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid)`);
}

function convAttrs(all: Record<string, Attr>): Record<string, Attr> {
  return Object.fromEntries(Object.entries(all).filter(([k]) => CONV_ATTRS.includes(k)));
}

const fusedConv: OpDef = {
  name: 'ms.FusedConv',
  inputs: ['X', 'W', 'B?', 'Z?'],
  outputs: ['Y'],
  attrs: {
    auto_pad: { kind: 'string', default: 'NOTSET' },
    dilations: { kind: 'ints' },
    group: { kind: 'int', default: 1 },
    kernel_shape: { kind: 'ints' },
    pads: { kind: 'ints' },
    strides: { kind: 'ints' },
    activation: { kind: 'string', default: '' },
    activation_params: { kind: 'floats' },
  },
  infer(ctx) {
    checkDType(inType(ctx, 0, 'X'), MS_FLOATS, 'X');
    fusedActivation(ctx.attrs.string('activation', ''), ctx.attrs.floats('activation_params', []));
    const attrs = new AttrReader(convAttrs(ctx.node.attrs), ctx.node.describe());
    const [y] = lookupOp('nn.Conv')!.infer({
      ...ctx,
      attrs,
      types: ctx.types.slice(0, 3),
      consts: ctx.consts.slice(0, 3),
    });
    const z = ctx.types[3];
    if (
      z?.shape &&
      y!.shape &&
      (z.shape.length !== y!.shape.length ||
        z.shape.some((d: Dim, i) => typeof d === 'number' && typeof y!.shape![i] === 'number' && d !== y!.shape![i]))
    ) {
      throw new Error(
        `Z has shape ${formatDims(z.shape)}; it must be the convolution's output shape ${formatDims(y!.shape)}`,
      );
    }
    return [y!];
  },
  run({ node, inputs: [X, W, B, Z], attrs }) {
    const y = evalAs('nn.Conv', [X, W, B], convAttrs(node.attrs))[0]!;
    const f = fusedActivation(attrs.string('activation', ''), attrs.floats('activation_params', []));
    const yv = toF64(y),
      zv = Z ? toF64(Z) : undefined;
    for (let i = 0; i < yv.length; i++) yv[i] = f(yv[i]! + (zv ? zv[i]! : 0));
    return [fromF64(y.type, y.dims, yv)];
  },
  onnx: { type: 'FusedConv', domain: MS_DOMAIN },
};

registerOps([fusedMatMul, fusedConv]);
