// ConvTranspose on WASM: per image and group GEMM (Wᵀ·X into columns), then col2im adds them
// into Y (bias first).

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { transposeGeometry } from '../../../ops/conv-transpose.js';
import { to3 } from '../../../ops/nn-util.js';
import { type OpPlanner, run, type Step, type WasmFamily } from '../plan.js';
import { attrsOf, F32 } from './lib/common.js';
import { stridedStep } from './lib/copy.js';

/**
 * ConvTranspose: per image and group, columns[Mg·k, P] = Wgᵀ[Mg·k, Cg] · Xg[Cg, P]; then col2im adds
 * them into Y (bias first).
 */
export const convTranspose: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, w, b] = n.inputs as (Value | null)[];
  if (![x, w, b, n.outputs[0]].every((v) => F32(ctx, v))) return 'cpu';
  const at = attrsOf(ctx);
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!),
    yd = ctx.dims(n.outputs[0]!);
  const sp = xd.length - 2;
  if (sp < 1 || sp > 3) return 'cpu';
  const group = at.int('group', 1);
  const [N, C] = xd as [number, number];
  const Cg = C / group,
    Mg = wd[1]!,
    M = Mg * group;
  const kernel = wd.slice(2);
  const geo = transposeGeometry(xd.slice(2), kernel, at);
  const strides = at.ints('strides', []),
    dil = at.ints('dilations', []);
  const K = numel(kernel),
    Pin = numel(xd.slice(2)),
    Pout = numel(yd.slice(2));
  if (N * M * Pout === 0) return () => {};
  const desc = ctx.resident(
    Int32Array.from([
      ...to3(geo.out, 1),
      ...to3(kernel, 1),
      ...to3(strides.length ? strides : kernel.map(() => 1), 1),
      ...to3(geo.padBegin, 0),
      ...to3(dil.length ? dil : kernel.map(() => 1), 1),
      ...to3(xd.slice(2), 1),
    ]),
  );
  const col = ctx.scratch(Mg * K * Pin * 4);
  const sx = ctx.slot(x!),
    sw = ctx.slot(w!),
    so = ctx.slot(n.outputs[0]!),
    sb = b ? ctx.slot(b) : -1;
  const ws = ctx.workspace();
  const gemmFn = ctx.fn('matmul', 'gemm'),
    col2im = ctx.fn('conv', 'col2im'),
    fill = ctx.fn('elementwise', 'fill32');
  const steps: Step[] = [];
  for (let i = 0; i < N; i++) {
    for (let g = 0; g < group; g++) {
      const xOff = (i * C + g * Cg) * Pin * 4,
        yOff = (i * M + g * Mg) * Pout * 4,
        wOff = g * Cg * Mg * K * 4;
      // Y starts as the bias broadcast over positions (or zero)
      if (sb >= 0)
        steps.push(
          stridedStep(
            ctx,
            [Mg, Pout],
            [1, 0],
            [Pout, 1],
            4,
            (P) => P[sb]! + g * Mg * 4,
            (P) => P[so]! + yOff,
          ),
        );
      else steps.push(run(ctx, fill, Mg * Pout, (P) => [P[so]! + yOff, Mg * Pout, 0]));
      steps.push(
        run(ctx, gemmFn, 2 * Mg * K * Pin * Cg, (P) => [
          Mg * K,
          Pin,
          Cg,
          1,
          P[sw]! + wOff,
          1,
          Mg * K,
          0,
          P[sx]! + xOff,
          Pin,
          1,
          0,
          0,
          P[col]!,
          Pin,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          ws.ptr,
          ws.stride,
        ]),
      );
      steps.push(run(ctx, col2im, Mg * K * Pin, (P) => [Mg, desc, P[col]!, P[so]! + yOff]));
    }
  }
  return async (P) => {
    for (const s of steps) await s(P);
  };
};

export const KERNELS: WasmFamily = { planners: { 'nn.ConvTranspose': convTranspose } };
