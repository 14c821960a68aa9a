// MatMulInteger on WASM: int8/uint8 operands with zero points, int32 accumulation (wasm/matmul-integer.ts):
// with a constant B, 16-bit pair panels and i32x4.dot_i16x8_s; otherwise a row kernel.

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { type OpPlanner, type PlanCtx, run, type WasmFamily } from '../plan.js';

export const I8 = (ctx: PlanCtx, v: Value | null | undefined) =>
  !!v && (ctx.dtype(v) === 'int8' || ctx.dtype(v) === 'uint8');

/** B[K, N] less its zero points (one, or one per column) as [ceil(N/8)][Kp][8][2] i16, zero past N and K. */
export function packIntegerColumns(b: number[], zb: number[], K: number, N: number): Int16Array {
  const Kp = (K + 1) >> 1,
    Nb = (N + 7) >> 3;
  const out = new Int16Array(Nb * Kp * 16);
  for (let k = 0; k < K; k++)
    for (let n = 0; n < N; n++)
      out[(((n >> 3) * Kp + (k >> 1)) * 8 + (n & 7)) * 2 + (k & 1)] =
        b[k * N + n]! - (zb.length === 1 ? zb[0]! : zb[n]!);
  return out;
}

export const matmulInteger: OpPlanner = (ctx) => {
  const [a, b, za, zb] = ctx.node.inputs;
  if (!I8(ctx, a) || !I8(ctx, b) || (za && !I8(ctx, za)) || (zb && !I8(ctx, zb))) return 'cpu';
  const ad = ctx.dims(a!),
    bd = ctx.dims(b!),
    od = ctx.dims(ctx.node.outputs[0]!);
  if (ad.length < 2 || bd.length < 2) return 'cpu';
  const M = ad[ad.length - 2]!,
    K = ad[ad.length - 1]!,
    N = bd[bd.length - 1]!;
  const batch = numel(od.slice(0, -2));
  const bs = (dims: number[], size: number) =>
    numel(dims.slice(0, -2)) === 1 ? 0 : numel(dims.slice(0, -2)) === batch ? size : -1;
  const bsa = bs(ad, M * K),
    bsb = bs(bd, K * N);
  if (bsa < 0 || bsb < 0 || batch * M * N === 0) return 'cpu';
  const zs = (z: Value | null | undefined, per: number) => {
    if (!z) return 0;
    const n = numel(ctx.dims(z));
    return n === 1 ? 0 : n === per ? 1 : -1;
  };
  const zas = zs(za, M),
    zbs = zs(zb, N);
  if (zas < 0 || zbs < 0) return 'cpu';
  const sa = ctx.slot(a!),
    sb = ctx.slot(b!),
    o = ctx.slot(ctx.node.outputs[0]!);
  const sza = za ? ctx.slot(za) : -1,
    szb = zb ? ctx.slot(zb) : -1;
  const signed = (v: Value) => (ctx.dtype(v) === 'int8' ? 1 : 0);
  const bc = ctx.constOf(b),
    zbc = zb ? ctx.constOf(zb) : undefined;
  if (bc && bsb === 0 && (!zb || zbc) && K <= 1 << 14) {
    // constant B (weights): packed once less its zero points; A's rows packed per run
    const bp = ctx.resident(
      new Int32Array(packIntegerColumns(bc.toNumbers(), zbc ? zbc.toNumbers() : [0], K, N).buffer),
    );
    const zero = ctx.resident(Int32Array.of(0));
    const Mb = (M + 3) >> 2,
      Kp = (K + 1) >> 1;
    const ap = ctx.scratch(batch * Mb * Kp * 16);
    const pack = run(ctx, ctx.fn('matmul-integer', 'packRowPairs'), batch * M * K, (P) => [
      M,
      K,
      batch,
      P[sa]!,
      signed(a!),
      bsa,
      sza < 0 ? 0 : P[sza]!,
      zas,
      P[ap]!,
    ]);
    const gemm = run(ctx, ctx.fn('matmul-integer', 'matmulIntegerPanels'), 2 * batch * M * N * K, (P) => [
      M,
      N,
      K,
      batch,
      P[ap]!,
      bp,
      zero,
      P[o]!,
    ]);
    return async (P) => {
      await pack(P);
      await gemm(P);
    };
  }
  return run(ctx, ctx.fn('matmul-integer', 'matmulInteger'), 2 * batch * M * N * K, (P) => [
    M,
    N,
    K,
    batch,
    P[sa]!,
    signed(a!),
    bsa,
    P[sb]!,
    signed(b!),
    bsb,
    sza < 0 ? 0 : P[sza]!,
    zas,
    szb < 0 ? 0 : P[szb]!,
    zbs,
    P[o]!,
  ]);
};

export const KERNELS: WasmFamily = { planners: { 'nn.MatMulInteger': matmulInteger }, anyDtype: ['nn.MatMulInteger'] };
