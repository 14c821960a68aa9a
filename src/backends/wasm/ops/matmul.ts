// Matrix planners: k.matmul/MatMul/Gemm (packed GEMM with fused epilogues), convolution, pooling, attention.

import type { Value } from '../../../ir/graph.js';
import { numel, stridesOf } from '../../../ir/shape.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import { call, type Expr, num, printExpr } from '../../../ops/kernel/expr.js';
import { geometry, readWindow, to3, type Window } from '../../../ops/nn-util.js';
import { type OpPlanner, type PlanCtx, run, type Step } from '../plan.js';
import { attrsOf, F32 } from './common.js';
import { planMap } from './elementwise.js';
import { stridedStep } from './layout.js';

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

/** Element strides of an operand broadcast into [batch…, M, N]: (bs, rs, cs), or undefined if the batch part does not collapse. */
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
function hardswishArg(e: Expr): Expr | undefined {
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

/** k.conv: per image and group, im2col into scratch, then the weights (A, packed per thread) times the patches. */
export const kconv: OpPlanner = async (ctx) => {
  const n = ctx.node;
  const [x, w, ...extras] = n.inputs as Value[];
  if (![x, w, ...extras, n.outputs[0]].every((v) => F32(ctx, v))) return 'cpu';
  const at = attrsOf(ctx);
  const xd = ctx.dims(x!),
    wd = ctx.dims(w!),
    yd = ctx.dims(n.outputs[0]!);
  const sp = xd.length - 2;
  if (sp < 1 || sp > 3) return 'cpu';
  const group = at.int('group', 1);
  const strides = at.ints('strides'),
    pads = at.ints('pads'),
    dil = at.ints('dilations');
  const [N, C] = xd as [number, number];
  const Mo = wd[0]!,
    Cg = C / group,
    Mg = Mo / group;
  const pad3 = (a: number[], fill: number) => [...new Array(3 - sp).fill(fill), ...a];
  const ins = pad3(xd.slice(2), 1),
    ks = pad3(wd.slice(2), 1),
    outs = pad3(yd.slice(2), 1);
  const desc = ctx.resident(
    Int32Array.from([...ins, ...ks, ...pad3(strides, 1), ...pad3(pads.slice(0, sp), 0), ...pad3(dil, 1), ...outs]),
  );
  const Kk = Cg * numel(ks),
    P = numel(outs),
    plane = numel(ins);
  if (N * Mo * P === 0) return () => {};
  const pointwise = numel(ks) === 1 && strides.every((s) => s === 1) && pads.every((p) => p === 0);
  const col = pointwise ? -1 : ctx.scratch(Kk * P * 4);
  // epilogue in registers: act(acc + per-channel bias ([M,1,…]) + a residual of the output's shape)
  const e = exprOf(at.string('epilogue', '$0'));
  const m = matchEpilogue(e);
  let bias: Value | undefined, residual: Value | undefined;
  let act = 0;
  let generic = !(m && m.alpha === 1);
  if (!generic) {
    act = m!.act;
    for (const k of m!.extras) {
      const v = extras[k - 1]!,
        vd = ctx.dims(v);
      if (!bias && numel(vd) === Mo && vd.length === yd.length - 1 && vd[0] === Mo) bias = v;
      else if (!residual && vd.join() === yd.join() && v !== x) residual = v;
      else generic = true;
    }
  }
  const acc = generic ? ctx.temp(yd) : n.outputs[0]!;
  if (generic) {
    act = 0;
    bias = undefined;
    residual = undefined;
  }
  const sx = ctx.slot(x!),
    sw = ctx.slot(w!),
    so = ctx.slot(acc),
    sb = bias ? ctx.slot(bias) : -1,
    sr = residual ? ctx.slot(residual) : -1;
  const ws = ctx.workspace();
  const im2col = ctx.fn('conv', 'im2col'),
    gemmFn = ctx.fn('matmul', 'gemm');
  const steps: Step[] = [];
  for (let b = 0; b < N; b++) {
    for (let g = 0; g < group; g++) {
      const xOff = (b * C + g * Cg) * plane * 4;
      const yOff = (b * Mo + g * Mg) * P * 4;
      const wOff = g * Mg * Kk * 4;
      if (!pointwise) steps.push(run(ctx, im2col, Kk * P, (Pp) => [Cg, desc, Pp[sx]! + xOff, Pp[col]!]));
      steps.push(
        run(ctx, gemmFn, 2 * Mg * Kk * P, (Pp) => [
          Mg,
          P,
          Kk,
          1,
          Pp[sw]! + wOff,
          Kk,
          1,
          0,
          pointwise ? Pp[sx]! + xOff : Pp[col]!,
          P,
          1,
          0,
          0,
          Pp[so]! + yOff,
          P,
          0,
          1,
          sb < 0 ? 0 : Pp[sb]! + g * Mg * 4,
          1,
          0,
          0,
          sr < 0 ? 0 : Pp[sr]! + yOff,
          P,
          1,
          0,
          act,
          ws.ptr,
          ws.stride,
        ]),
      );
    }
  }
  let epi: Step | 'cpu' | undefined;
  if (generic) {
    epi = await planMap(ctx, e, [acc, ...extras], n.outputs[0]!);
    if (epi === 'cpu') return 'cpu';
  }
  return async (Pp) => {
    for (const s of steps) await s(Pp);
    if (epi) await (epi as Step)(Pp);
  };
};

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

/** nn.Attention (opset 23/24) in one fused kernel; the KV cache concatenation by strided copies. */
export const attention: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [q, k, v, mask, pk, pv, nonpad] = n.inputs;
  if (nonpad || n.outputs[3]) return 'cpu';
  if (![q, k, v, pk, pv, n.outputs[0], n.outputs[1], n.outputs[2]].every((x) => F32(ctx, x))) return 'cpu';
  if (mask && ctx.dtype(mask) !== 'bool' && ctx.dtype(mask) !== 'float32') return 'cpu';
  const at = attrsOf(ctx);
  const qd = ctx.dims(q!),
    kd = ctx.dims(k!),
    vd = ctx.dims(v!);
  const rank = qd.length;
  let B: number, Hq: number, Hkv: number, Sq: number, S: number, D: number, Dv: number;
  if (rank === 4) {
    [B, Hq, Sq, D] = qd as [number, number, number, number];
    Hkv = kd[1]!;
    S = kd[2]!;
    Dv = vd[3]!;
  } else {
    if (!at.has('q_num_heads') || !at.has('kv_num_heads')) return 'cpu';
    Hq = at.int('q_num_heads');
    Hkv = at.int('kv_num_heads');
    [B, Sq] = qd as [number, number];
    S = kd[1]!;
    D = qd[2]! / Hq;
    Dv = vd[2]! / Hkv;
  }
  const P = pk ? ctx.dims(pk)[2]! : 0;
  const T = P + S;
  if (B * Hq * Sq === 0 || T === 0) return 'cpu';
  // element strides (b, h, s) of each operand
  const st4 = (H: number, L: number, Dh: number) => (rank === 4 ? [H * L * Dh, L * Dh, Dh] : [L * H * Dh, Dh, H * Dh]);
  const steps: Step[] = [];
  const sq = ctx.slot(q!),
    so = ctx.slot(n.outputs[0]!);
  // K and V as read by the kernel: the inputs themselves, or [B, Hkv, T, *] buffers with the past first
  const kvSource = (
    cur: Value,
    past: Value | null | undefined,
    present: Value | null | undefined,
    Dh: number,
  ): { slot: number; st: number[] } => {
    if (!past && !present) return { slot: ctx.slot(cur), st: st4(Hkv, S, Dh) };
    const dst = present ? ctx.slot(present) : ctx.slot(ctx.temp([B, Hkv, T, Dh]));
    const pst = [Hkv * T * Dh, T * Dh, Dh, 1];
    if (past) {
      const sp = ctx.slot(past);
      steps.push(
        stridedStep(
          ctx,
          [B, Hkv, P, Dh],
          stridesOf([B, Hkv, P, Dh]),
          pst,
          4,
          (Pp) => Pp[sp]!,
          (Pp) => Pp[dst]!,
        ),
      );
    }
    const sc = ctx.slot(cur);
    const cs = st4(Hkv, S, Dh);
    steps.push(
      stridedStep(
        ctx,
        [B, Hkv, S, Dh],
        [...cs, 1],
        pst,
        4,
        (Pp) => Pp[sc]!,
        (Pp) => Pp[dst]! + P * Dh * 4,
      ),
    );
    return { slot: dst, st: [Hkv * T * Dh, T * Dh, Dh] };
  };
  const K = kvSource(k!, pk, n.outputs[1], D),
    V = kvSource(v!, pv, n.outputs[2], Dv);
  let mkind = 0,
    mst = [0, 0, 0, 0],
    mlast = T,
    ms = -1;
  if (mask) {
    const md = ctx.dims(mask);
    if (md.length > 4) return 'cpu';
    const m4 = [...new Array(4 - md.length).fill(1), ...md];
    const s4 = stridesOf(m4);
    mst = m4.map((d, i) => (d === 1 ? 0 : s4[i]!));
    mlast = m4[3]!;
    if (mlast === 1 && T !== 1) mst[3] = 0;
    mkind = ctx.dtype(mask) === 'bool' ? 1 : 2;
    ms = ctx.slot(mask);
  }
  const scale = at.has('scale') ? at.float('scale') : 1 / Math.sqrt(D);
  const ints = [
    B,
    Hq,
    Hkv,
    Sq,
    T,
    D,
    Dv,
    P,
    at.int('is_causal', 0),
    ...st4(Hq, Sq, D),
    ...K.st,
    ...V.st,
    ...st4(Hq, Sq, Dv),
    mkind,
    ...mst,
    mlast,
    at.int('pad_short_mask', 1),
    0,
    0,
  ];
  const arr = new Int32Array(ints);
  new Float32Array(arr.buffer, 28 * 4, 2).set([scale, at.float('softcap', 0)]);
  const desc = ctx.resident(arr);
  const scratch = ctx.scratch(T * 4 * 64);
  const fn = ctx.fn('attention', 'attention');
  steps.push(
    run(ctx, fn, B * Hq * Sq * T * (D + Dv) * 2, (Pp) => [
      desc,
      Pp[sq]!,
      Pp[K.slot]!,
      Pp[V.slot]!,
      ms < 0 ? 0 : Pp[ms]!,
      Pp[so]!,
      Pp[scratch]!,
      T * 4,
    ]),
  );
  return async (Pp) => {
    for (const s of steps) await s(Pp);
  };
};

/** RotaryEmbedding (opset 23), float32, 3-D or 4-D input, caches indexed by position_ids or by token. */
export const rotary: OpPlanner = (ctx) => {
  const n = ctx.node;
  const [x, cos, sin, pos] = n.inputs;
  if (![x, cos, sin, n.outputs[0]].every((v) => F32(ctx, v)) || (pos && ctx.dtype(pos) !== 'int64')) return 'cpu';
  const at = attrsOf(ctx);
  const d = ctx.dims(x!);
  let B: number, H: number, S: number, D: number;
  if (d.length === 4) [B, H, S, D] = d as [number, number, number, number];
  else {
    if (!at.has('num_heads')) return 'cpu';
    H = at.int('num_heads');
    [B, S] = d as [number, number];
    D = d[2]! / H;
  }
  const rot = at.int('rotary_embedding_dim', 0) || D;
  const st = d.length === 4 ? [H * S * D, S * D, D] : [S * H * D, D, H * D];
  const cd = ctx.dims(cos!);
  let pb = 0,
    ps = 0,
    maxPos = 0,
    cb = 0,
    cs = 0;
  if (pos) {
    const pd = ctx.dims(pos);
    pb = pd[0] === 1 ? 0 : pd[1]!;
    ps = pd[1] === 1 ? 0 : 1;
    maxPos = cd[0]!;
  } else {
    cb = cd[0] === 1 ? 0 : cd[1]!;
    cs = cd[1] === 1 ? 0 : 1;
  }
  if (B * H * S === 0) return () => {};
  const sx = ctx.slot(x!),
    sc = ctx.slot(cos!),
    ssn = ctx.slot(sin!),
    sp = pos ? ctx.slot(pos) : -1,
    o = ctx.slot(n.outputs[0]!);
  const fn = ctx.fn('attention', 'rope');
  const node = n;
  return (P) => {
    const bad = ctx.pool.call(fn, [
      B,
      H,
      S,
      D,
      rot,
      at.int('interleaved', 0),
      st[0]!,
      st[1]!,
      st[2]!,
      P[sx]!,
      P[o]!,
      P[sc]!,
      P[ssn]!,
      sp < 0 ? 0 : P[sp]!,
      pb,
      ps,
      maxPos,
      cb,
      cs,
    ]);
    if (bad)
      throw new Error(
        `${node.describe()}: position_ids for token ${bad - 1} is out of range for caches with ${maxPos} positions`,
      );
  };
};
