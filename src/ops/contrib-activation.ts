// com.microsoft activations (ONNX Runtime contrib ops): Gelu (erf), FastGelu (tanh approximation,
// optional bias), BiasGelu (A + bias, then erf Gelu), QuickGelu (x·sigmoid(alpha·x)), BiasAdd
// (X + bias + skip) and BiasSplitGelu (left half · Gelu(right half), after the bias).
// Math in double, rounded on store to the input type.

import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatDims } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { checkVector, lastDim, MS_DOMAIN, MS_FLOATS, sameDim, sameTypeAs } from './contrib-util.js';
import { erf } from './math.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, elementwiseCost, inType } from './util.js';

export const geluErf = (x: number): number => 0.5 * x * (1 + erf(x * Math.SQRT1_2));
export const geluTanh = (x: number): number =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

/** y = f(x + bias) with a bias over the last dim (optional where `biasOptional`). */
function biasedActivation(
  type: string,
  biasOptional: boolean,
  f: (v: number, alpha: number) => number,
  flops: number,
  attrs: OpDef['attrs'] = {},
  inputs = ['X', biasOptional ? 'bias?' : 'bias'],
): OpDef {
  return {
    name: `ms.${type}`,
    inputs,
    outputs: ['Y'],
    attrs,
    infer(ctx) {
      const x = inType(ctx, 0, 'X');
      checkDType(x, MS_FLOATS, 'X');
      const b = ctx.types[1];
      if (b) {
        sameTypeAs(b, x, 'bias', 'X');
        checkVector(b, lastDim(x.shape), 'bias', 'hidden size, the last dim of X');
      }
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    run({ inputs: [x, bias], attrs }) {
      const xv = toF64(x!);
      const bv = bias ? toF64(bias) : undefined;
      const alpha = attrs.float('alpha', 1.702);
      const n = bv?.length ?? 1;
      const y = new Float64Array(xv.length);
      for (let i = 0; i < xv.length; i++) y[i] = f(bv ? xv[i]! + bv[i % n]! : xv[i]!, alpha);
      return [fromF64(x!.type, x!.dims, y)];
    },
    cost: elementwiseCost(flops),
    onnx: { type, domain: MS_DOMAIN },
  };
}

const gelu = biasedActivation('Gelu', false, (v) => geluErf(v), 8, {}, ['X']);
const fastGelu = biasedActivation('FastGelu', true, (v) => geluTanh(v), 8);
const biasGelu = biasedActivation('BiasGelu', false, (v) => geluErf(v), 9, {}, ['A', 'B']);
const quickGelu = biasedActivation(
  'QuickGelu',
  false,
  (v, alpha) => v / (1 + Math.exp(-alpha * v)),
  5,
  { alpha: { kind: 'float', default: 1.702 } },
  ['X'],
);

function check3D(t: TensorType, name: string): void {
  if (t.shape && t.shape.length !== 3) throw new Error(`${name} has shape ${formatDims(t.shape)}; it must be 3-D`);
}

const biasAdd: OpDef = {
  name: 'ms.BiasAdd',
  inputs: ['X', 'bias', 'skip'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      b = inType(ctx, 1, 'bias'),
      s = inType(ctx, 2, 'skip');
    checkDType(x, MS_FLOATS, 'X');
    check3D(x, 'X');
    sameTypeAs(b, x, 'bias', 'X');
    sameTypeAs(s, x, 'skip', 'X');
    checkVector(b, lastDim(x.shape), 'bias', 'channels, the last dim of X');
    if (x.shape && s.shape) {
      const bad =
        s.shape.length !== 3 ||
        s.shape.some((d, i) => typeof d === 'number' && typeof x.shape![i] === 'number' && d !== x.shape![i]);
      if (bad) throw new Error(`skip has shape ${formatDims(s.shape)}; it must equal X's ${formatDims(x.shape)}`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x, bias, skip] }) {
    const xv = toF64(x!),
      bv = toF64(bias!),
      sv = toF64(skip!);
    const c = bv.length;
    const y = new Float64Array(xv.length);
    for (let i = 0; i < xv.length; i++) y[i] = xv[i]! + bv[i % c]! + sv[i]!;
    return [fromF64(x!.type, x!.dims, y)];
  },
  cost: elementwiseCost(2),
  onnx: { type: 'BiasAdd', domain: MS_DOMAIN },
};

const biasSplitGelu: OpDef = {
  name: 'ms.BiasSplitGelu',
  inputs: ['X', 'bias'],
  outputs: ['Y'],
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      b = inType(ctx, 1, 'bias');
    checkDType(x, MS_FLOATS, 'X');
    check3D(x, 'X');
    sameTypeAs(b, x, 'bias', 'X');
    const d = lastDim(x.shape);
    checkVector(b, d, 'bias', 'channels, the last dim of X');
    if (typeof d === 'number' && d % 2 !== 0)
      throw new Error(`X ${formatType(x)}: its last dim must be even (it is split in two halves)`);
    return [
      {
        dtype: x.dtype,
        shape: x.shape ? [x.shape[0]!, x.shape[1]!, typeof d === 'number' ? d / 2 : `${d}_half`] : undefined,
      },
    ];
  },
  run({ inputs: [x, bias] }) {
    const X = x as Tensor;
    const xv = toF64(X),
      bv = toF64(bias!);
    const D = X.dims[2]!,
      half = D / 2,
      rows = X.size / D;
    sameDim(bv.length, D, () => `bias has ${bv.length} elements; X's last dim is ${D}`);
    const y = new Float64Array(rows * half);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) {
        const left = xv[r * D + j]! + bv[j]!,
          right = xv[r * D + half + j]! + bv[half + j]!;
        y[r * half + j] = left * geluErf(right);
      }
    }
    return [fromF64(X.type, [X.dims[0]!, X.dims[1]!, half], y)];
  },
  cost: elementwiseCost(10),
  onnx: { type: 'BiasSplitGelu', domain: MS_DOMAIN },
};

registerOps([gelu, fastGelu, biasGelu, quickGelu, biasAdd, biasSplitGelu]);
