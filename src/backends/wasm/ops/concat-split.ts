// Concat and Split on WASM: one strided copy per input (or output) slab.

import { normAxis, stridesOf } from '../../../ir/shape.js';
import type { OpPlanner, Step, WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf, stridedStep } from './lib/copy.js';

export const concat: OpPlanner = (ctx) => {
  const out = ctx.node.outputs[0]!;
  const od = ctx.dims(out);
  const axis = normAxis(attrsOf(ctx).int('axis'), od.length);
  const ost = stridesOf(od);
  const es = esizeOf(ctx, out);
  const o = ctx.slot(out);
  const steps: Step[] = [];
  let off = 0;
  for (const v of ctx.node.inputs) {
    if (!v) continue;
    const d = ctx.dims(v);
    const s = ctx.slot(v);
    const at = off * ost[axis]! * es;
    steps.push(
      stridedStep(
        ctx,
        d,
        stridesOf(d),
        ost,
        es,
        (P) => P[s]!,
        (P) => P[o]! + at,
      ),
    );
    off += d[axis]!;
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const split: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  const xd = ctx.dims(x);
  const axis = normAxis(attrsOf(ctx).int('axis', 0), xd.length);
  const xst = stridesOf(xd);
  const es = esizeOf(ctx, x);
  const xs = ctx.slot(x);
  const steps: Step[] = [];
  let off = 0;
  for (const v of ctx.node.outputs) {
    if (!v) continue;
    const d = ctx.dims(v);
    const s = ctx.slot(v);
    const at = off * xst[axis]! * es;
    steps.push(
      stridedStep(
        ctx,
        d,
        xst,
        stridesOf(d),
        es,
        (P) => P[xs]! + at,
        (P) => P[s]!,
      ),
    );
    off += d[axis]!;
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const KERNELS: WasmFamily = {
  planners: { 'nn.Concat': concat, 'nn.Split': split },
  anyDtype: ['nn.Concat', 'nn.Split'],
};
