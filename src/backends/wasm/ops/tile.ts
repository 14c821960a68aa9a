// Tile on WASM: one strided copy with zero strides over the repeats.

import { stridesOf } from '../../../ir/shape.js';
import { toIntArray } from '../../../ir/tensor.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { esizeOf, stridedStep } from './lib/copy.js';

export const tile: OpPlanner = (ctx) => {
  const [x, r] = ctx.node.inputs;
  const rc = ctx.constOf(r);
  if (!rc) return 'cpu';
  const reps = toIntArray(rc);
  const d = ctx.dims(x!),
    od = ctx.dims(ctx.node.outputs[0]!);
  const ist = stridesOf(d),
    ost = stridesOf(od);
  const dims2: number[] = [],
    sst: number[] = [],
    dst: number[] = [];
  d.forEach((n, i) => {
    dims2.push(reps[i]!, n);
    sst.push(0, ist[i]!);
    dst.push(n * ost[i]!, ost[i]!);
  });
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  return stridedStep(
    ctx,
    dims2,
    sst,
    dst,
    esizeOf(ctx, x!),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const KERNELS: WasmFamily = { planners: { 'nn.Tile': tile }, anyDtype: ['nn.Tile'] };
