// Trilu on WASM (wasm/trilu.ts).

import { numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf } from './lib/common.js';
import { esizeOf } from './lib/copy.js';

export const trilu: OpPlanner = (ctx) => {
  const [x, kv] = ctx.node.inputs;
  const d = ctx.dims(x!);
  const rows = d[d.length - 2]!,
    cols = d[d.length - 1]!;
  if (numel(d) === 0) return () => {};
  const kc = kv ? ctx.constOf(kv) : undefined;
  const ks = kv && !kc ? ctx.slot(kv) : -1;
  if (kv && !kc && (ctx.dtype(kv) !== 'int64' || numel(ctx.dims(kv)) !== 1)) return 'cpu';
  const mem = ctx.memory;
  const clampK = (k: number) => Math.max(-(rows + cols), Math.min(rows + cols, k));
  const kConst = kc ? clampK(Number(kc.data[0])) : 0;
  const kOf = (P: Float64Array) => (ks < 0 ? kConst : clampK(Number(new BigInt64Array(mem.buffer, P[ks]!, 1)[0])));
  const xs = ctx.slot(x!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const upper = attrsOf(ctx).int('upper', 1) ? 1 : 0;
  return run(ctx, ctx.fn('trilu', 'trilu'), numel(d), (P) => [
    numel(d) / (rows * cols),
    rows,
    cols,
    kOf(P),
    upper,
    P[xs]!,
    P[o]!,
    esizeOf(ctx, x!),
  ]);
};

export const KERNELS: WasmFamily = { planners: { 'nn.Trilu': trilu }, anyDtype: ['nn.Trilu'] };
