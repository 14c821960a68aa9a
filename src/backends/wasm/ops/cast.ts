// Cast family on WASM: same-type casts are views; float16 <-> float32 exactly and the numeric
// kinds (wasm/cast.ts).

import { numel } from '../../../ir/shape.js';
import { type PlanCtx, run, type Step, type WasmFamily } from '../plan.js';
import { view } from './lib/copy.js';

const CAST_KIND: Partial<Record<string, number>> = { float32: 0, int32: 1, uint8: 2, int8: 3, bool: 4, int64: 5 };

/** Cast between two different element types: float16 <-> float32 exactly, or the numeric kinds of castNumeric. */
export function castStep(ctx: PlanCtx): Step | 'cpu' {
  const x = ctx.node.inputs[0]!,
    y = ctx.node.outputs[0]!;
  const from = ctx.dtype(x),
    to = ctx.dtype(y);
  const n = numel(ctx.dims(y)),
    sx = ctx.slot(x),
    sy = ctx.slot(y);
  if (n === 0) return () => {};
  if (from === 'float16' && to === 'float32')
    return run(ctx, ctx.fn('cast', 'f16ToF32'), n, (P) => [n, P[sx]!, P[sy]!]);
  if (from === 'float32' && to === 'float16')
    return run(ctx, ctx.fn('cast', 'f32ToF16'), n, (P) => [n, P[sx]!, P[sy]!]);
  const a = CAST_KIND[from],
    b = CAST_KIND[to];
  if (a === undefined || b === undefined) return 'cpu';
  return run(ctx, ctx.fn('cast', 'castNumeric'), n, (P) => [n, P[sx]!, a, P[sy]!, b]);
}

export const KERNELS: WasmFamily = {
  planners: {
    'nn.Cast': (ctx) => {
      const n = ctx.node;
      return ctx.dtype(n.inputs[0]!) !== ctx.dtype(n.outputs[0]!) ? castStep(ctx) : view(ctx);
    },
  },
  anyDtype: ['nn.Cast'],
};
