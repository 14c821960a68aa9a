// com.microsoft RotaryEmbedding (ONNX Runtime contrib op). Same rotation as ONNX RotaryEmbedding-23
// (src/ops/rotary.ts, whose reference it reuses) with the contrib input order (input, position_ids,
// cos_cache, sin_cache), position_ids required and either [batch, seq] or a one-element start
// offset (position of token s = offset + s), and num_heads optional for 3-D input (then the head size
// is twice the cache width). The 4-D layout is [batch, num_heads, seq, head_size].

import type { TensorType } from '../ir/graph.js';
import { type OpDef, registerOps } from '../ir/op-def.js';
import { formatDims } from '../ir/shape.js';
import { numGetter, Tensor } from '../ir/tensor.js';
import { rotaryHeads } from './contrib-math.js';
import { MS_DOMAIN, MS_FLOATS } from './contrib-util.js';
import { evalAs } from './kernel/delegate.js';
import { bytesOf, checkDType, inType, numelOf } from './util.js';

const rotary: OpDef = {
  name: 'ms.RotaryEmbedding',
  inputs: ['input', 'position_ids', 'cos_cache', 'sin_cache'],
  outputs: ['output'],
  attrs: {
    interleaved: { kind: 'int', default: 0 },
    num_heads: { kind: 'int', default: 0 },
    rotary_embedding_dim: { kind: 'int', default: 0 },
    scale: { kind: 'float', default: 1 },
    is_packed_batching: { kind: 'int', default: 0 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'input'),
      pos = inType(ctx, 1, 'position_ids');
    const cos = inType(ctx, 2, 'cos_cache'),
      sin = inType(ctx, 3, 'sin_cache');
    checkDType(x, MS_FLOATS, 'input');
    checkDType(pos, ['int64'], 'position_ids');
    if (ctx.attrs.int('is_packed_batching', 0) !== 0)
      throw new Error('is_packed_batching=1 (packed sequences) is not supported');
    if (x.shape && x.shape.length !== 3 && x.shape.length !== 4)
      throw new Error(
        `input has shape ${formatDims(x.shape)}; it must be 3-D [batch, seq, hidden] or 4-D [batch, heads, seq, ` +
          `head_size]`,
      );
    if (
      pos.shape &&
      !(pos.shape.length === 2 || (pos.shape.length <= 1 && (!pos.shape.length || pos.shape[0] === 1)))
    ) {
      throw new Error(
        `position_ids has shape ${formatDims(pos.shape)}; it must be [batch, seq] or a one-element start offset`,
      );
    }
    for (const [t, n] of [
      [cos, 'cos_cache'],
      [sin, 'sin_cache'],
    ] as const) {
      if (t.dtype !== x.dtype) throw new Error(`${n} has type ${t.dtype}; it must match input (${x.dtype})`);
      if (t.shape && t.shape.length !== 2)
        throw new Error(`${n} has shape ${formatDims(t.shape)}; it must be [max_position, rotary_dim/2]`);
    }
    rotaryHeads(x, cos, ctx.attrs.int('num_heads', 0), ctx.attrs.int('rotary_embedding_dim', 0));
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [x, pos, cos, sin], attrs }) {
    const X = x!;
    const rank = X.dims.length;
    const B = X.dims[0]!,
      S = X.dims[rank === 4 ? 2 : 1]!;
    let ids = pos!;
    if (pos!.size === 1) {
      const start = numGetter(pos!)(0);
      ids = new Tensor(
        'int64',
        Array.from({ length: B * S }, (_, i) => BigInt(start + (i % S))),
        [B, S],
      );
    }
    const heads = rotaryHeads(
      typeOf(X),
      typeOf(cos!),
      attrs.int('num_heads', 0),
      attrs.int('rotary_embedding_dim', 0),
    )!;
    return evalAs('nn.RotaryEmbedding', [X, cos, sin, ids], {
      interleaved: { kind: 'int', value: attrs.int('interleaved', 0) },
      rotary_embedding_dim: { kind: 'int', value: attrs.int('rotary_embedding_dim', 0) },
      num_heads: { kind: 'int', value: heads },
    });
  },
  cost(ctx) {
    return {
      flops: 3 * numelOf(ctx.types[0]),
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
  onnx: { type: 'RotaryEmbedding', domain: MS_DOMAIN },
};

function typeOf(t: Tensor): TensorType {
  return { dtype: t.type, shape: [...t.dims] };
}

registerOps([rotary]);
