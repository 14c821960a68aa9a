// ScatterND without a reduction (the paged KV cache's row writes): the data is copied to the
// output, then each index tuple's slice of the updates is copied into place, both as plain copies
// in linear memory on the JS side (copyWithin is a memmove; no kernel needed for data movement).

import { dtypeBytes } from '../../../ir/dtype.js';
import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';

export const scatterND: OpPlanner = (ctx) => {
  const [x, idx, upd] = ctx.node.inputs as Value[];
  if (attrsOf(ctx).string('reduction', 'none') !== 'none' || ctx.dtype(idx!) !== 'int64') return 'cpu';
  const d = ctx.dims(x!),
    id = ctx.dims(idx!);
  const k = id[id.length - 1]!;
  if (!(k >= 1 && k <= d.length)) return 'cpu';
  const es = dtypeBytes(ctx.dtype(x!));
  const slice = numel(d.slice(k)) * es,
    total = numel(d) * es,
    tuples = numel(id.slice(0, -1));
  const strides = d.slice(0, k).map((_, i) => numel(d.slice(i + 1, k)));
  const xs = ctx.slot(x!),
    is = ctx.slot(idx!),
    us = ctx.slot(upd!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const mem = ctx.memory,
    node = ctx.node;
  return (P) => {
    const u8 = new Uint8Array(mem.buffer);
    const out = P[o]!,
      ix = new BigInt64Array(mem.buffer, P[is]!, tuples * k);
    if (total) u8.copyWithin(out, P[xs]!, P[xs]! + total);
    for (let t = 0; t < tuples; t++) {
      let at = 0;
      for (let j = 0; j < k; j++) {
        let v = Number(ix[t * k + j]!);
        if (v < 0) v += d[j]!;
        if (!(v >= 0 && v < d[j]!))
          throw new Error(
            `${node.describe()}: index ${ix[t * k + j]} of tuple #${t} is out of range for axis ${j} of size ${d[j]}`,
          );
        at += v * strides[j]!;
      }
      u8.copyWithin(out + at * slice, P[us]! + t * slice, P[us]! + (t + 1) * slice);
    }
  };
};

export const KERNELS: WasmFamily = { planners: { 'nn.ScatterND': scatterND }, anyDtype: ['nn.ScatterND'] };
