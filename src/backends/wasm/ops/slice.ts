// Slice on WASM: one strided copy with the slice's start offset and steps.

import { normAxis, stridesOf } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import { sliceAxis } from '../../../ops/slice.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { esizeOf, stridedStep } from './lib/copy.js';

export const slice: OpPlanner = (ctx) => {
  const [x, s, e, a, st] = ctx.node.inputs;
  const cs = [s, e, a, st].map((v) => (v ? ctx.constOf(v) : undefined));
  if (!cs[0] || !cs[1] || (a && !cs[2]) || (st && !cs[3])) return 'cpu';
  const dims = ctx.dims(x!);
  const starts = toIntArray(cs[0]),
    ends = toIntArray(cs[1]);
  const axes = cs[2] ? toIntArray(cs[2]).map((q) => normAxis(q, dims.length)) : starts.map((_, i) => i);
  const steps = cs[3] ? toIntArray(cs[3]) : starts.map(() => 1);
  const begin = dims.map(() => 0),
    step = dims.map(() => 1),
    od = [...dims];
  axes.forEach((ax, i) => {
    const r = sliceAxis(dims[ax]!, starts[i]!, ends[i]!, steps[i]!);
    begin[ax] = r.start;
    step[ax] = steps[i]!;
    od[ax] = r.count;
  });
  const ist = stridesOf(dims);
  const es = esizeOf(ctx, x!);
  const off = begin.reduce((acc, b, i) => acc + b * ist[i]!, 0) * es;
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return stridedStep(
    ctx,
    od,
    ist.map((q, i) => q * step[i]!),
    stridesOf(od),
    es,
    (P) => P[xs]! + off,
    (P) => P[o]!,
  );
};

export const KERNELS: WasmFamily = { planners: { 'nn.Slice': slice }, anyDtype: ['nn.Slice'] };
