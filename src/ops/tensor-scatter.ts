// TensorScatter (opset 24): write a block of new entries into a fixed-size cache along one axis,
// per batch entry at its own position, as KV caches in decoder loops need.
//
// past_cache [B, ..., S_max, ...], update [B, ..., S_new, ...] (same shape but on `axis`),
// write_indices [B]? (default 0). present = past with update[b] written at positions
// write_indices[b] .. + S_new - 1 of `axis` (mode 'linear', which must fit) or those positions
// modulo S_max (mode 'circular', a ring buffer). axis defaults to -2 and may not be the batch axis.

import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis } from '../ir/shape.js';
import { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { ALL, bytesOf, checkDType, inType } from './util.js';

const tensorScatter: OpDef = {
  name: 'nn.TensorScatter',
  inputs: ['past_cache', 'update', 'write_indices?'],
  outputs: ['present_cache'],
  attrs: { axis: { kind: 'int', default: -2 }, mode: { kind: 'string', default: 'linear' } },
  infer(ctx) {
    const p = inType(ctx, 0, 'past_cache'),
      u = inType(ctx, 1, 'update');
    checkDType(p, ALL, 'past_cache');
    if (u.dtype !== p.dtype)
      throw new Error(`update ${formatType(u)} must have the type of past_cache ${formatType(p)}`);
    const w = ctx.types[2];
    if (w) checkDType(w, ['int64'], 'write_indices');
    const mode = ctx.attrs.string('mode', 'linear');
    if (mode !== 'linear' && mode !== 'circular') throw new Error(`mode '${mode}' must be linear or circular`);
    if (p.shape) {
      const axis = normAxis(ctx.attrs.int('axis', -2), p.shape.length);
      if (axis === 0) throw new Error('axis must not be the batch axis 0');
      if (u.shape && u.shape.length !== p.shape.length)
        throw new Error(`update ${formatType(u)} must have the rank of past_cache ${formatType(p)}`);
    }
    return [{ dtype: p.dtype, shape: p.shape }];
  },
  run({ inputs: [pt, ut, wt], attrs }) {
    const dims = pt!.dims,
      ud = ut!.dims;
    const axis = normAxis(attrs.int('axis', -2), dims.length);
    if (axis === 0) throw new Error('axis must not be the batch axis 0');
    if (ud.length !== dims.length || ud.some((d, i) => i !== axis && d !== dims[i])) {
      throw new Error(`update [${ud}] must match past_cache [${dims}] on every axis but ${axis}`);
    }
    const circular = attrs.string('mode', 'linear') === 'circular';
    const B = dims[0]!,
      S = dims[axis]!,
      U = ud[axis]!;
    if (U > S) throw new Error(`update has ${U} entries on axis ${axis}, more than the cache's ${S}`);
    const idx = wt ? Array.from(wt.data as BigInt64Array, Number) : new Array<number>(B).fill(0);
    if (idx.length !== B) throw new Error(`write_indices has ${idx.length} entries for batch ${B}`);
    const outer = dims.slice(1, axis).reduce((a, b) => a * b, 1); // per batch entry
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Tensor(pt!.type, pt!.data.slice(), dims);
    const src = ut!.data,
      dst = out.data;
    for (let b = 0; b < B; b++) {
      const start = idx[b]!;
      if (start < 0 || (!circular && start + U > S)) {
        throw new Error(`write index ${start} of batch ${b} leaves no room for ${U} entries in ${S} (mode linear)`);
      }
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < U; j++) {
          const pos = circular ? (start + j) % S : start + j;
          const from = ((b * outer + o) * U + j) * inner,
            to = ((b * outer + o) * S + pos) * inner;
          for (let i = 0; i < inner; i++) dst[to + i] = src[from + i]!;
        }
    }
    return [out];
  },
  cost: (ctx) => ({ flops: 0, bytes: bytesOf(ctx.types[1]) * 2 }),
  onnx: { type: 'TensorScatter', minOpset: 24 },
};

registerOps([tensorScatter]);
