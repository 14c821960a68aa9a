// The packed GEMM/GEMV core every matrix planner calls (matmul, conv, recurrent), and the
// epilogues the gemm kernel applies in registers (activation, alpha, bias and residual adds).

import type { Value } from '../../../../ir/graph.js';
import { numel } from '../../../../ir/shape.js';
import { call, type Expr, num, printExpr } from '../../../../ops/kernel/expr.js';
import { type PlanCtx, run, type Step } from '../../plan.js';

export interface MM {
  M: number;
  N: number;
  K: number;
  batch: number;
  a: Value;
  rsa: number;
  csa: number;
  bsa: number;
  b: Value;
  rsb: number;
  csb: number;
  bsb: number;
  alpha: number;
  add?: { v: Value | number; rs: number; cs: number; bs: number };
}

export async function planMatmulCore(ctx: PlanCtx, m: MM, act = 0, out: Value = ctx.node.outputs[0]!): Promise<Step> {
  const o = ctx.slot(out);
  const { M, N, K, batch } = m;
  const sa = ctx.slot(m.a),
    sb = ctx.slot(m.b);
  const addSlot = m.add && typeof m.add.v !== 'number' ? ctx.slot(m.add.v) : -1;
  const addPtr = (P: Float64Array) => (!m.add ? 0 : typeof m.add.v === 'number' ? m.add.v : P[addSlot]!);
  const flops = 2 * M * N * K * batch;
  if (M * N * batch === 0) return () => {};
  if (K === 0 && !m.add && !act)
    return run(ctx, ctx.fn('elementwise', 'fill32'), M * N * batch, (P) => [P[o]!, M * N * batch, 0]);
  const bConst = !!ctx.constOf(m.b) && m.bsb === 0;
  // GEMV shapes stream the operand once; no packing
  if (M === 1 && !bConst && m.csb === 1) {
    const fn = ctx.fn('matmul', 'gemvN');
    return run(ctx, fn, flops, (P) => [
      N,
      K,
      batch,
      P[sa]!,
      m.csa,
      m.bsa,
      P[sb]!,
      m.rsb,
      m.bsb,
      P[o]!,
      N,
      m.alpha,
      addPtr(P),
      m.add?.cs ?? 0,
      m.add?.bs ?? 0,
      0,
      0,
      0,
      act,
    ]);
  }
  if (N === 1 && m.csa === 1 && (m.rsb === 1 || K === 1)) {
    // y[i] = A[i,:]·b: dot products along A's rows (vector search, decode projections on the left)
    const fn = ctx.fn('matmul', 'gemvT');
    return run(ctx, fn, flops, (P) => [
      M,
      K,
      batch,
      P[sb]!,
      m.bsb,
      P[sa]!,
      m.rsa,
      m.bsa,
      P[o]!,
      M,
      m.alpha,
      addPtr(P),
      m.add ? m.add.rs : 0,
      m.add?.bs ?? 0,
      0,
      0,
      0,
      act,
    ]);
  }
  const ws = ctx.workspace();
  if (bConst) {
    if (M === 1 && batch === 1) {
      // one row: a layout with each 16-column panel contiguous over all of K streams best
      const gp = await ctx.packed(m.b, K, N, m.rsb, m.csb, 'gemv');
      const fn = ctx.fn('matmul', 'gemv16');
      return run(ctx, fn, flops, (P) => [
        N,
        K,
        P[sa]!,
        m.csa,
        gp,
        P[o]!,
        m.alpha,
        addPtr(P),
        m.add?.cs ?? 0,
        0,
        0,
        act,
        ws.ptr,
      ]);
    }
    const bp = await ctx.packed(m.b, K, N, m.rsb, m.csb);
    const fn = ctx.fn('matmul', 'gemm');
    return run(ctx, fn, flops, (P) => [
      M,
      N,
      K,
      batch,
      P[sa]!,
      m.rsa,
      m.csa,
      m.bsa,
      bp,
      0,
      0,
      0,
      1,
      P[o]!,
      N,
      M * N,
      m.alpha,
      addPtr(P),
      m.add?.rs ?? 0,
      m.add?.cs ?? 0,
      m.add?.bs ?? 0,
      0,
      0,
      0,
      0,
      act,
      ws.ptr,
      ws.stride,
    ]);
  }
  const fn = ctx.fn('matmul', 'gemm');
  return run(ctx, fn, flops, (P) => [
    M,
    N,
    K,
    batch,
    P[sa]!,
    m.rsa,
    m.csa,
    m.bsa,
    P[sb]!,
    m.rsb,
    m.csb,
    m.bsb,
    0,
    P[o]!,
    N,
    M * N,
    m.alpha,
    addPtr(P),
    m.add?.rs ?? 0,
    m.add?.cs ?? 0,
    m.add?.bs ?? 0,
    0,
    0,
    0,
    0,
    act,
    ws.ptr,
    ws.stride,
  ]);
}

/**
 * Element strides of an operand broadcast into [batch…, M, N]: (bs, rs, cs), or undefined if the batch part does not
 * collapse.
 */
export function epilogueStrides(d: number[], out: number[]): { rs: number; cs: number; bs: number } | undefined {
  const r = out.length;
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let k = d.length - 1; k >= 0; k--) {
    const o = r - d.length + k;
    st[o] = d[k] === 1 && out[o] !== 1 ? 0 : acc;
    acc *= d[k]!;
  }
  const bsz = numel(out.slice(0, r - 2));
  const bst = st.slice(0, r - 2);
  let bs = 0;
  if (bsz > 1) {
    // the batch dims must all be broadcast, or all present and contiguous
    if (bst.every((x) => x === 0)) bs = 0;
    else {
      const full = out.slice(0, r - 2).every((x, k) => x === 1 || bst[k] !== 0);
      if (!full) return undefined;
      bs = out[r - 2]! * out[r - 1]!;
      if (st[r - 2] !== 0 && st[r - 2] !== out[r - 1]) return undefined;
      if (numel(d) !== bsz * (st[r - 2] ? out[r - 2]! : 1) * (st[r - 1] ? out[r - 1]! : 1)) return undefined;
      bs = (st[r - 2] ? out[r - 2]! : 1) * (st[r - 1] ? out[r - 1]! : 1);
    }
  }
  return { rs: st[r - 2] ?? 0, cs: st[r - 1] ?? 0, bs };
}

export const ACT: Record<string, number> = { relu: 1, sigmoid: 4, tanh: 5 };
export const same = (a: Expr, b: Expr) => printExpr(a) === printExpr(b);
export const geluOf = (x: Expr) =>
  call('mul', call('mul', num(0.5), x), call('add', num(1), call('erf', call('mul', x, num(Math.SQRT1_2)))));
export const geluTanhOf = (x: Expr) =>
  call(
    'mul',
    call('mul', num(0.5), x),
    call(
      'add',
      num(1),
      call(
        'tanh',
        call(
          'mul',
          num(Math.sqrt(2 / Math.PI)),
          call('add', x, call('mul', num(0.044715), call('mul', x, call('mul', x, x)))),
        ),
      ),
    ),
  );

/** The x of a hardswish(x) as exporters write it (ONNX HardSwish lowered, or paddle's x·relu6(x+3)/6). */
export function hardswishArg(e: Expr): Expr | undefined {
  if (e.kind !== 'call' || e.args.length !== 2) return undefined;
  const x =
    e.fn === 'mul'
      ? e.args[0]!
      : e.fn === 'div' && e.args[0]!.kind === 'call'
        ? (e.args[0] as { args: Expr[] }).args[0]!
        : undefined;
  if (!x) return undefined;
  const lowered = call('mul', x, call('clamp', call('add', call('div', x, num(6)), num(0.5)), num(0), num(1)));
  const paddle = call('div', call('mul', x, call('min', call('max', call('add', x, num(3)), num(0)), num(6))), num(6));
  return same(e, lowered) || same(e, paddle) ? x : undefined;
}

/** An epilogue the gemm kernel applies in registers: act(alpha·acc + extras…), else undefined. */
export function matchEpilogue(e: Expr): { act: number; alpha: number; extras: number[] } | undefined {
  let act = 0,
    inner = e;
  if (e.kind === 'call' && ACT[e.fn] !== undefined) {
    act = ACT[e.fn]!;
    inner = e.args[0]!;
  } else if (e.kind === 'call' && e.fn === 'mul' && e.args[0]!.kind === 'call' && e.args[0]!.fn === 'mul') {
    const x = (e.args[0] as { args: Expr[] }).args[1]!;
    if (same(e, geluOf(x))) {
      act = 2;
      inner = x;
    } else if (same(e, geluTanhOf(x))) {
      act = 3;
      inner = x;
    }
  }
  if (!act) {
    const x = hardswishArg(e);
    if (x) {
      act = 6;
      inner = x;
    }
  }
  let alpha = 1;
  const extras: number[] = [];
  let acc = 0;
  const term = (t: Expr): boolean => {
    if (t.kind === 'in') {
      if (t.index === 0) acc++;
      else extras.push(t.index);
      return true;
    }
    if (t.kind === 'call' && t.fn === 'add') return term(t.args[0]!) && term(t.args[1]!);
    if (t.kind === 'call' && t.fn === 'mul') {
      const [p, q] = t.args;
      if (p!.kind === 'in' && p!.index === 0 && q!.kind === 'const') {
        alpha = q!.value;
        acc++;
        return true;
      }
      if (q!.kind === 'in' && q!.index === 0 && p!.kind === 'const') {
        alpha = p!.value;
        acc++;
        return true;
      }
    }
    return false;
  };
  if (!term(inner) || acc !== 1 || extras.length > 2) return undefined;
  return { act, alpha, extras };
}
