// Pooling family on WASM: max and average pooling and the global forms (wasm/pool.ts).

import { numel } from '../../../ir/shape.js';
import { geometry, readWindow, to3, type Window } from '../../../ops/nn-util.js';
import { type OpPlanner, run, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';

/** MaxPool (without Indices), AveragePool and the global forms, with the reference's window geometry. */
export const pool: OpPlanner = (ctx) => {
  const n = ctx.node;
  const x = n.inputs[0]!;
  if (!F32(ctx, x) || (n.outputs[1] && n.op === 'nn.MaxPool')) return 'cpu';
  const xd = ctx.dims(x);
  const sp = xd.length - 2;
  if (sp < 1 || sp > 3) return 'cpu';
  const global = n.op.startsWith('nn.Global');
  const at = attrsOf(ctx);
  const spatial = xd.slice(2);
  const w: Window = global
    ? {
        kernel: spatial,
        strides: spatial.map(() => 1),
        dilations: spatial.map(() => 1),
        autoPad: 'NOTSET',
        ceilMode: false,
      }
    : readWindow(at, sp, at.ints('kernel_shape'), { ceil: true });
  const geo = geometry(spatial, w);
  const in3 = to3(spatial, 1),
    k3 = to3(w.kernel, 1),
    s3 = to3(w.strides, 1),
    d3 = to3(w.dilations, 1);
  const out3 = to3(
      geo.map((g) => g.out),
      1,
    ),
    pb3 = to3(
      geo.map((g) => g.padBegin),
      0,
    ),
    pe3 = to3(
      geo.map((g) => g.padEnd),
      0,
    );
  const desc: number[] = [...in3, ...d3];
  for (let a = 0; a < 3; a++) {
    desc.push(out3[a]);
    for (let o = 0; o < out3[a]; o++) {
      const start = o * s3[a] - pb3[a];
      let first = -1,
        count = 0,
        padded = 0;
      for (let j = 0; j < k3[a]; j++) {
        const i = start + j * d3[a];
        if (i >= 0 && i < in3[a]) {
          if (first < 0) first = i;
          count++;
        }
        if (i >= -pb3[a] && i < in3[a] + pe3[a]) padded++;
      }
      desc.push(Math.max(first, 0), count, padded);
    }
  }
  const mode = n.op.endsWith('MaxPool') ? 0 : at.int('count_include_pad', 0) && !global ? 2 : 1;
  const planes = xd[0]! * xd[1]!;
  const dp = ctx.resident(Int32Array.from(desc));
  const sx = ctx.slot(x),
    so = ctx.slot(n.outputs[0]!);
  if (planes * numel(out3) === 0) return () => {};
  return run(ctx, ctx.fn('pool', 'pool'), planes * numel(out3) * numel(k3), (P) => [mode, planes, dp, P[sx]!, P[so]!]);
};

export const KERNELS: WasmFamily = {
  planners: { 'nn.MaxPool': pool, 'nn.AveragePool': pool, 'nn.GlobalAveragePool': pool, 'nn.GlobalMaxPool': pool },
};
