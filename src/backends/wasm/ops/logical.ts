// Comparisons of int64 / int32 tensors on WASM (wasm/logical.ts): float comparisons lower to k.map,
// integer ones (a sample-rate check like Silero VAD's `sr == 16000`) come here. Equal shapes or one
// scalar side; other broadcasts take the reference path.

import { numel } from '../../../ir/shape.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';

const OPS: Record<string, number> = { 'nn.Equal': 0, 'nn.Less': 1, 'nn.Greater': 2, 'nn.LessOrEqual': 3 };
OPS['nn.GreaterOrEqual'] = 4;

const compare: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [a, b] = n.inputs,
    y = n.outputs[0];
  if (!a || !b || !y) return 'cpu';
  const t = ctx.dtype(a);
  if ((t !== 'int64' && t !== 'int32') || ctx.dtype(b) !== t) return 'cpu';
  const da = ctx.dims(a),
    db = ctx.dims(b),
    count = numel(ctx.dims(y));
  const sa = numel(da) === 1 && count !== 1 ? 1 : 0,
    sb = numel(db) === 1 && count !== 1 ? 1 : 0;
  if ((!sa && numel(da) !== count) || (!sb && numel(db) !== count)) return 'cpu';
  const xa = ctx.slot(a),
    xb = ctx.slot(b),
    o = ctx.slot(y);
  const fn = ctx.fn('logical', t === 'int64' ? 'compare_i64' : 'compare_i32');
  const op = OPS[n.op]!;
  return run(ctx, fn, count, (P) => [op, count, P[xa]!, sa, P[xb]!, sb, P[o]!]);
};

export const KERNELS: WasmFamily = {
  planners: Object.fromEntries(Object.keys(OPS).map((k) => [k, compare])),
  anyDtype: Object.keys(OPS),
};
