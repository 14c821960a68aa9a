// Normalization family on WASM: layer and RMS normalization and k.layernorm
// (wasm/normalization.ts).

import type { Value } from '../../../ir/graph.js';
import { normAxis, numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

export const klayernorm: OpPlanner = (ctx) => layerNorm(ctx);

export const layerNorm: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, scale, bias] = n.inputs;
  if (![x, scale, bias, ...n.outputs].every((v) => F32(ctx, v))) return 'cpu';
  const dims = ctx.dims(x!);
  const at = attrsOf(ctx);
  const axis = normAxis(at.int('axis', -1), dims.length);
  const rows = numel(dims.slice(0, axis)),
    len = numel(dims.slice(axis));
  if (rows * len === 0) return 'cpu';
  const cs = (v: Value | null | undefined) => {
    if (!v) return 0;
    const k = numel(ctx.dims(v));
    return k === len ? 1 : k === 1 ? 0 : -1;
  };
  const scs = cs(scale),
    bcs = cs(bias);
  if (scs < 0 || bcs < 0) return 'cpu';
  const rms = n.op === 'nn.RMSNormalization' || (n.op === 'k.layernorm' && at.int('rms', 0)) ? 1 : 0;
  const eps = at.float('epsilon', 1e-5);
  const sx = ctx.slot(x!),
    ss = ctx.slot(scale!),
    sb = bias ? ctx.slot(bias) : -1,
    o = ctx.slot(n.outputs[0]!);
  const sm = !rms && n.outputs[1] ? ctx.slot(n.outputs[1]) : -1;
  const si = n.outputs[rms ? 1 : 2] ? ctx.slot(n.outputs[rms ? 1 : 2]!) : -1;
  return run(ctx, ctx.fn('normalization', 'layerNorm'), rows * len * 4, (P) => [
    rms,
    rows,
    len,
    P[sx]!,
    P[ss]!,
    scs,
    sb < 0 ? 0 : P[sb]!,
    bcs,
    P[o]!,
    eps,
    sm < 0 ? 0 : P[sm]!,
    si < 0 ? 0 : P[si]!,
  ]);
};

export const KERNELS: WasmFamily = {
  planners: { 'k.layernorm': klayernorm, 'nn.LayerNormalization': layerNorm, 'nn.RMSNormalization': layerNorm },
};
