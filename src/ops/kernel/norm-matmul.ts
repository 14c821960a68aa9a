// k.norm_matmul: a k.matmul whose A rows are first layer- or RMS-normalised (over K) with a scale
// and optional bias: the pre-norm transformer's "LayerNorm, then the projections". Inputs: A
// (un-normalised), B, the epilogue's extras (`extras` of them), then the norm's scale and bias.
// Semantics are exactly k.layernorm over A's last axis followed by k.matmul (evaluated through both).
// With `gated` = 1, input 2 is a second weight B2 of B's shape (the MLP's up projection beside the
// gate) and the epilogue combines both products: $0 = A·B, $1 = A·B2 (SwiGLU: silu($0) * $1).

import type { Attr } from '../../ir/attributes.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import type { Tensor } from '../../ir/tensor.js';
import { evalAs } from './delegate.js';

const knormMatmul: OpDef = {
  name: 'k.norm_matmul',
  inputs: ['A', 'B', 'extras_and_norm...'],
  outputs: ['Y'],
  attrs: {
    transB: { kind: 'int', default: 0 },
    epilogue: { kind: 'string', default: '$0' },
    extras: { kind: 'int', default: 0 },
    epsilon: { kind: 'float', default: 1e-5 },
    rms: { kind: 'int', default: 0 },
    gated: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const a = ctx.types[0],
      b = ctx.types[1];
    if (!a || !b) throw new Error('A and B are required');
    if (!a.shape || !b.shape) return [{ dtype: a.dtype }];
    const n = ctx.attrs.int('transB', 0) ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), n] }];
  },
  run({ inputs, attrs }) {
    const ts = inputs as Tensor[];
    const gated = attrs.int('gated', 0) === 1;
    const extras = attrs.int('extras', 0) + (gated ? 1 : 0);
    const [x, w] = ts;
    const normAttrs: Record<string, Attr> = {
      axis: { kind: 'int', value: x!.dims.length - 1 },
      epsilon: { kind: 'float', value: attrs.float('epsilon', 1e-5) },
      rms: { kind: 'int', value: attrs.int('rms', 0) },
    };
    const [xn] = evalAs('k.layernorm', [x!, ...ts.slice(2 + extras)], normAttrs);
    const mmAttrs: Record<string, Attr> = {
      transB: { kind: 'int', value: attrs.int('transB', 0) },
      epilogue: { kind: 'string', value: gated ? '$0' : attrs.string('epilogue', '$0') },
    };
    if (!gated) return evalAs('k.matmul', [xn!, w!, ...ts.slice(2, 2 + extras)], mmAttrs);
    const [g] = evalAs('k.matmul', [xn!, w!], mmAttrs);
    const [u] = evalAs('k.matmul', [xn!, ts[2]!], mmAttrs);
    const mapAttrs: Record<string, Attr> = {
      expr: { kind: 'string', value: attrs.string('epilogue', '$0') },
      dtype: { kind: 'string', value: g!.type },
    };
    return evalAs('k.map', [g!, u!], mapAttrs);
  },
  cost(ctx) {
    const out = ctx.outTypes[0]?.shape;
    const n = out?.every((d) => typeof d === 'number') ? (out as number[]).reduce((p, q) => p * q, 1) : 0;
    const a = ctx.types[0]?.shape;
    const K = a ? a[a.length - 1] : 1;
    return { flops: 2 * n * (typeof K === 'number' ? K : 1), bytes: 4 * n };
  },
};

registerOps([knormMatmul]);
