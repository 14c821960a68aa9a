// Shape family on WASM: reshape-like views, Transpose and Expand as strided copies.

import { normAxis, numel, stridesOf } from '../../../ir/shape.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf, stridedStep, view } from './lib/copy.js';
import { transposeStep } from './lib/transpose-step.js';

export const transpose: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!;
  const dims = ctx.dims(x);
  const at = attrsOf(ctx);
  const perm = at.has('perm')
    ? at.ints('perm').map((p) => normAxis(p, dims.length))
    : dims.map((_, i) => dims.length - 1 - i);
  const xs = ctx.slot(x),
    o = ctx.slot(ctx.node.outputs[0]!);
  if (numel(dims) === 0) return () => {};
  return transposeStep(
    ctx,
    dims,
    perm,
    esizeOf(ctx, x),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const expand: OpPlanner = (ctx) => {
  const x = ctx.node.inputs[0]!,
    out = ctx.node.outputs[0]!;
  const od = ctx.dims(out),
    id = ctx.dims(x);
  const ist = stridesOf(id);
  const sst = od.map((_d, k) => {
    const j = k - (od.length - id.length);
    return j < 0 || id[j] === 1 ? 0 : ist[j]!;
  });
  const xs = ctx.slot(x),
    o = ctx.slot(out);
  return stridedStep(
    ctx,
    od,
    sst,
    stridesOf(od),
    esizeOf(ctx, x),
    (P) => P[xs]!,
    (P) => P[o]!,
  );
};

export const KERNELS: WasmFamily = {
  planners: {
    'nn.Reshape': view,
    'nn.Flatten': view,
    'nn.Squeeze': view,
    'nn.Unsqueeze': view,
    'nn.Transpose': transpose,
    'nn.Expand': expand,
  },
  anyDtype: ['nn.Reshape', 'nn.Flatten', 'nn.Squeeze', 'nn.Unsqueeze', 'nn.Transpose', 'nn.Expand'],
};
