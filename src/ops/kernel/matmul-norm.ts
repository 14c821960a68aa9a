// k.matmul_norm: a k.matmul (with its epilogue: bias, activation, residual add) whose rows are then
// layer- or RMS-normalised over the output columns, as one kernel: the post-norm transformer's
// "projection + residual + LayerNorm". Inputs: A, B, the epilogue's extras, then the norm's scale
// and optional bias (`extras` says how many epilogue inputs there are). Semantics are exactly
// k.matmul followed by k.layernorm over the last axis (evaluated through both).

import type { Attr } from '../../ir/attributes.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalAs } from './delegate.js';

function parts(inputs: (Tensor | undefined)[], extras: number) {
  return { mm: inputs.slice(0, 2 + extras), norm: inputs.slice(2 + extras) };
}

const kmatmulNorm: OpDef = {
  name: 'k.matmul_norm',
  inputs: ['A', 'B', 'extras_and_norm...'],
  outputs: ['Y'],
  attrs: {
    transA: { kind: 'int', default: 0 },
    transB: { kind: 'int', default: 0 },
    epilogue: { kind: 'string', default: '$0' },
    extras: { kind: 'int', default: 0 },
    epsilon: { kind: 'float', default: 1e-5 },
    rms: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const a = ctx.types[0];
    if (!a) throw new Error('A is required');
    const b = ctx.types[1];
    if (!a.shape || !b?.shape) return [{ dtype: a.dtype }];
    const n = ctx.attrs.int('transB', 0) ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const m = ctx.attrs.int('transA', 0) ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -2), m, n] }];
  },
  run({ inputs, attrs }) {
    const { mm, norm } = parts(inputs as Tensor[], attrs.int('extras', 0));
    const mmAttrs: Record<string, Attr> = {
      transA: { kind: 'int', value: attrs.int('transA', 0) },
      transB: { kind: 'int', value: attrs.int('transB', 0) },
      epilogue: { kind: 'string', value: attrs.string('epilogue', '$0') },
    };
    const [y] = evalAs('k.matmul', mm, mmAttrs);
    const normAttrs: Record<string, Attr> = {
      axis: { kind: 'int', value: y!.dims.length - 1 },
      epsilon: { kind: 'float', value: attrs.float('epsilon', 1e-5) },
      rms: { kind: 'int', value: attrs.int('rms', 0) },
    };
    return evalAs('k.layernorm', [y!, ...norm], normAttrs);
  },
  cost(ctx) {
    const out = ctx.outTypes[0];
    const n = out?.shape?.every((d) => typeof d === 'number') ? (out.shape as number[]).reduce((p, q) => p * q, 1) : 0;
    const a = ctx.types[0]?.shape;
    const K = a ? a[a.length - 1] : 1;
    return { flops: 2 * n * (typeof K === 'number' ? K : 1) + 8 * n, bytes: 4 * n };
  },
};

registerOps([kmatmulNorm]);
