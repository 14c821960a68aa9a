// Matmul family on WASM: MatMul, Gemm and the lowered k.matmul (packed GEMM with fused epilogues).

import type { Value } from '../../../ir/graph.js';
import { numel } from '../../../ir/shape.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import type { OpPlanner, WasmFamily } from '../plan.js';
import { planMap } from './elementwise.js';
import { attrsOf, F32 } from './lib/common.js';
import { epilogueStrides, type MM, matchEpilogue, planMatmulCore } from './lib/gemm.js';

export const matmul: OpPlanner = async (ctx) => {
  const [a, b] = ctx.node.inputs as Value[];
  if (!F32(ctx, a) || !F32(ctx, b)) return 'cpu';
  let ad = ctx.dims(a!),
    bd = ctx.dims(b!);
  if (ad.length === 1) ad = [1, ad[0]!];
  if (bd.length === 1) bd = [bd[0]!, 1];
  const M = ad[ad.length - 2]!,
    K = ad[ad.length - 1]!,
    N = bd[bd.length - 1]!;
  const ab = ad.slice(0, -2),
    bb = bd.slice(0, -2);
  const outDims = ctx.dims(ctx.node.outputs[0]!);
  const batch = numel(ab.length >= bb.length ? ab : bb) === 1 ? 1 : numel(outDims) / (M * N);
  // each operand either has the whole batch (contiguous) or none of it
  const bs = (dims: number[], size: number) => (numel(dims) === 1 ? 0 : numel(dims) === batch ? size : -1);
  const bsa = bs(ab, M * K),
    bsb = bs(bb, K * N);
  if (bsa < 0 || bsb < 0) return 'cpu';
  // partial broadcasts like [2,1] x [1,3] also need the batch shapes to line up
  if (bsa && bsb && ab.join() !== bb.join() && ab.slice(-bb.length).join() !== bb.join()) return 'cpu';
  return planMatmulCore(ctx, { M, N, K, batch, a: a!, rsa: K, csa: 1, bsa, b: b!, rsb: N, csb: 1, bsb, alpha: 1 });
};

export const gemm: OpPlanner = async (ctx) => {
  const [a, b, c] = ctx.node.inputs;
  if (!F32(ctx, a) || !F32(ctx, b) || !F32(ctx, c)) return 'cpu';
  const at = attrsOf(ctx);
  const tA = at.int('transA', 0) !== 0,
    tB = at.int('transB', 0) !== 0;
  const alpha = at.float('alpha', 1),
    beta = at.float('beta', 1);
  const ad = ctx.dims(a!),
    bd = ctx.dims(b!);
  const M = tA ? ad[1]! : ad[0]!,
    K = tA ? ad[0]! : ad[1]!,
    N = tB ? bd[0]! : bd[1]!;
  const m: MM = {
    M,
    N,
    K,
    batch: 1,
    alpha,
    a: a!,
    rsa: tA ? 1 : K,
    csa: tA ? M : 1,
    bsa: 0,
    b: b!,
    rsb: tB ? 1 : N,
    csb: tB ? K : 1,
    bsb: 0,
  };
  if (c && beta !== 0 && numel(ctx.dims(c)) > 0) {
    const cd = ctx.dims(c);
    const full = [...new Array(2 - cd.length).fill(1), ...cd];
    const rs = full[0] === 1 ? 0 : full[1]!,
      cs = full[1] === 1 ? 0 : 1;
    if (beta === 1) m.add = { v: c, rs, cs, bs: 0 };
    else {
      const cc = ctx.constOf(c);
      if (!cc) return 'cpu';
      const scaled = Float32Array.from(cc.data as Float32Array, (x) => x * beta);
      m.add = { v: ctx.resident(scaled), rs, cs, bs: 0 };
    }
  }
  return planMatmulCore(ctx, m);
};

export const kmatmul: OpPlanner = async (ctx) => {
  const n = ctx.node;
  const [a, b, ...extras] = n.inputs as Value[];
  if (![a, b, ...extras, n.outputs[0]].every((v) => F32(ctx, v))) return 'cpu';
  const at = attrsOf(ctx);
  const tA = at.int('transA', 0) === 1,
    tB = at.int('transB', 0) === 1;
  const ad = ctx.dims(a!),
    bd = ctx.dims(b!),
    od = ctx.dims(n.outputs[0]!);
  const M = od[od.length - 2]!,
    N = od[od.length - 1]!,
    K = tA ? ad[ad.length - 2]! : ad[ad.length - 1]!;
  const ab = ad.slice(0, -2),
    bb = bd.slice(0, -2);
  const batch = numel(od.slice(0, -2));
  const bs = (dims: number[], size: number) => (numel(dims) === 1 ? 0 : numel(dims) === batch ? size : -1);
  const bsa = bs(ab, M * K),
    bsb = bs(bb, K * N);
  if (bsa < 0 || bsb < 0) return 'cpu';
  const core = {
    M,
    N,
    K,
    batch,
    alpha: 1,
    a: a!,
    rsa: tA ? 1 : K,
    csa: tA ? M : 1,
    bsa,
    b: b!,
    rsb: tB ? 1 : N,
    csb: tB ? K : 1,
    bsb,
  } as MM;
  const e = exprOf(at.string('epilogue', '$0'));
  const m = matchEpilogue(e);
  if (m && m.extras.length <= 1) {
    const add = m.extras.length ? extras[m.extras[0]! - 1]! : undefined;
    const st = add ? epilogueStrides(ctx.dims(add), od) : undefined;
    if (!add || st) {
      core.alpha = m.alpha;
      if (add) core.add = { v: add, ...st! };
      return await planMatmulCore(ctx, core, m.act);
    }
  }
  // any other epilogue: the product into scratch, then the epilogue as a generated map
  const acc = ctx.temp(od);
  const mm = await planMatmulCore(ctx, core, 0, acc);
  const epi = await planMap(ctx, e, [acc, ...extras], n.outputs[0]!);
  if (epi === 'cpu') return 'cpu';
  return async (P) => {
    await mm(P);
    await epi(P);
  };
};

export const KERNELS: WasmFamily = { planners: { 'k.matmul': kmatmul, 'nn.MatMul': matmul, 'nn.Gemm': gemm } };
