// Reductions, Softmax/LogSoftmax: the tensor is seen as [outer, R, inner] with the reduced axes
// collapsed into R (the JS side transposes first when the axes are not contiguous). inner == 1
// reduces contiguous rows with vector accumulators; inner > 1 vectorises across inner.

import { vexp, vlog, vsplat } from './lib/vmath';

export const R_SUM: i32 = 0, R_MEAN: i32 = 1, R_MAX: i32 = 2, R_MIN: i32 = 3, R_PROD: i32 = 4;
export const R_SUMSQ: i32 = 5, R_L1: i32 = 6, R_L2: i32 = 7, R_LOGSUM: i32 = 8, R_LOGSUMEXP: i32 = 9;

// @ts-ignore: decorator
@inline function init(op: i32): f32 {
  return op == R_MAX ? -Infinity : op == R_MIN ? Infinity : op == R_PROD ? 1 : 0;
}

// @ts-ignore: decorator
@inline function stepV(op: i32, acc: v128, x: v128, m: v128): v128 {
  switch (op) {
    case R_MAX: return f32x4.max(acc, x);
    case R_MIN: return f32x4.min(acc, x);
    case R_PROD: return f32x4.mul(acc, x);
    case R_SUMSQ: case R_L2: return f32x4.add(acc, f32x4.mul(x, x));
    case R_L1: return f32x4.add(acc, f32x4.abs(x));
    case R_LOGSUMEXP: return f32x4.add(acc, vexp(f32x4.sub(x, m)));
    default: return f32x4.add(acc, x);
  }
}

// @ts-ignore: decorator
@inline function combine(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case R_MAX: return (a != a || b != b) ? NaN : max(a, b);
    case R_MIN: return (a != a || b != b) ? NaN : min(a, b);
    case R_PROD: return a * b;
    default: return a + b;
  }
}

// @ts-ignore: decorator
@inline function finalV(op: i32, acc: v128, m: v128, r: i32): v128 {
  switch (op) {
    case R_MEAN: return f32x4.div(acc, vsplat(<f32>r));
    case R_L2: return f32x4.sqrt(acc);
    case R_LOGSUM: return vlog(acc);
    case R_LOGSUMEXP: return f32x4.add(vlog(acc), m);
    default: return acc;
  }
}

// @ts-ignore: decorator
@inline function lanes(op: i32, v: v128): f32 {
  let s = combine(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  s = combine(op, s, f32x4.extract_lane(v, 2));
  return combine(op, s, f32x4.extract_lane(v, 3));
}

/** Max of a contiguous row (for logsumexp's shift). */
function rowMax(x: usize, r: i32): f32 {
  let m = vsplat(-Infinity);
  let k = 0;
  for (; k + 4 <= r; k += 4) m = f32x4.max(m, v128.load(x + (<usize>k << 2)));
  let s = lanes(R_MAX, m);
  for (; k < r; k++) s = combine(R_MAX, s, load<f32>(x + (<usize>k << 2)));
  return s;
}

export function reduce(tid: i32, nt: i32, op: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  if (inner == 1) {
    const i0 = outer * tid / nt, i1 = outer * (tid + 1) / nt;
    for (let i = i0; i < i1; i++) {
      const row = x + (<usize>(i * r) << 2);
      const mf: f32 = op == R_LOGSUMEXP ? rowMax(row, r) : 0;
      const m = vsplat(mf == -Infinity || mf == Infinity ? 0 : mf);
      let a0 = vsplat(init(op)), a1 = vsplat(init(op));
      let k = 0;
      for (; k + 8 <= r; k += 8) {
        a0 = stepV(op, a0, v128.load(row + (<usize>k << 2)), m);
        a1 = stepV(op, a1, v128.load(row + (<usize>k << 2), 16), m);
      }
      for (; k + 4 <= r; k += 4) a0 = stepV(op, a0, v128.load(row + (<usize>k << 2)), m);
      let s: f32;
      if (op == R_MAX || op == R_MIN || op == R_PROD) s = combine(op, lanes(op, a0), lanes(op, a1));
      else s = lanes(R_SUM, f32x4.add(a0, a1));
      // tail: one lane at a time, the other lanes hold the identity element
      for (; k < r; k++) {
        const v = f32x4.splat(load<f32>(row + (<usize>k << 2)));
        const t = f32x4.extract_lane(stepV(op, vsplat(init(op)), v, m), 0);
        s = op == R_MAX || op == R_MIN || op == R_PROD ? combine(op, s, t) : s + t;
      }
      store<f32>(y + (<usize>i << 2), f32x4.extract_lane(finalV(op, vsplat(s), m, r), 0));
    }
    return;
  }
  // vectorise across inner: each work item is (outer i, inner block of 4)
  const blocks = (inner + 3) / 4;
  const total = outer * blocks;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const i = t / blocks, j = (t % blocks) * 4;
    const base = x + (<usize>(i * r * inner + j) << 2);
    const full = j + 4 <= inner;
    let m = vsplat(0);
    if (op == R_LOGSUMEXP) {
      m = vsplat(-Infinity);
      for (let k = 0; k < r; k++) m = f32x4.max(m, loadPart(base + (<usize>(k * inner) << 2), full, inner - j, -Infinity));
      m = v128.bitselect(vsplat(0), m, f32x4.eq(f32x4.abs(m), vsplat(Infinity)));
    }
    let acc = vsplat(init(op));
    for (let k = 0; k < r; k++) acc = stepV(op, acc, loadPart(base + (<usize>(k * inner) << 2), full, inner - j, 0), m);
    const res = finalV(op, acc, m, r);
    const out = y + (<usize>(i * inner + j) << 2);
    if (full) v128.store(out, res);
    else for (let l = 0; l < inner - j; l++) store<f32>(out + (<usize>l << 2), lane(res, l));
  }
}

// @ts-ignore: decorator
@inline function lane(v: v128, l: i32): f32 {
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function loadPart(p: usize, full: bool, n: i32, pad: f32): v128 {
  if (full) return v128.load(p);
  let v = vsplat(pad);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Softmax (log = 0) or LogSoftmax (log = 1) over R in [outer, R, inner]. */
export function softmax(tid: i32, nt: i32, log: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  if (inner == 1) {
    const i0 = outer * tid / nt, i1 = outer * (tid + 1) / nt;
    for (let i = i0; i < i1; i++) {
      const row = x + (<usize>(i * r) << 2), out = y + (<usize>(i * r) << 2);
      const mx = rowMax(row, r);
      const m = vsplat(mx);
      let sv = vsplat(0);
      let k = 0;
      for (; k + 4 <= r; k += 4) {
        const e = vexp(f32x4.sub(v128.load(row + (<usize>k << 2)), m));
        if (!log) v128.store(out + (<usize>k << 2), e);
        sv = f32x4.add(sv, e);
      }
      let s = lanes(R_SUM, sv);
      for (; k < r; k++) {
        const e = f32x4.extract_lane(vexp(vsplat(load<f32>(row + (<usize>k << 2)) - mx)), 0);
        if (!log) store<f32>(out + (<usize>k << 2), e);
        s += e;
      }
      if (log) {
        const l = vsplat(mx + f32x4.extract_lane(vlog(vsplat(s)), 0));
        k = 0;
        for (; k + 4 <= r; k += 4) v128.store(out + (<usize>k << 2), f32x4.sub(v128.load(row + (<usize>k << 2)), l));
        for (; k < r; k++) store<f32>(out + (<usize>k << 2), load<f32>(row + (<usize>k << 2)) - f32x4.extract_lane(l, 0));
      } else {
        const inv = vsplat(1 / s);
        k = 0;
        for (; k + 4 <= r; k += 4) v128.store(out + (<usize>k << 2), f32x4.mul(v128.load(out + (<usize>k << 2)), inv));
        for (; k < r; k++) store<f32>(out + (<usize>k << 2), load<f32>(out + (<usize>k << 2)) * f32x4.extract_lane(inv, 0));
      }
    }
    return;
  }
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const i = t / inner, j = t % inner;
    const base = x + (<usize>(i * r * inner + j) << 2), out = y + (<usize>(i * r * inner + j) << 2);
    const st = <usize>inner << 2;
    let mx: f32 = -Infinity;
    for (let k = 0; k < r; k++) { const v = load<f32>(base + k * st); mx = v > mx || v != v ? v : mx; }
    let s: f32 = 0;
    for (let k = 0; k < r; k++) {
      const e = f32x4.extract_lane(vexp(vsplat(load<f32>(base + k * st) - mx)), 0);
      store<f32>(out + k * st, e);
      s += e;
    }
    const ls = mx + f32x4.extract_lane(vlog(vsplat(s)), 0);
    for (let k = 0; k < r; k++) {
      if (log) store<f32>(out + k * st, load<f32>(base + k * st) - ls);
      else store<f32>(out + k * st, load<f32>(out + k * st) / s);
    }
  }
}

/**
 * ArgMax (isMax = 1) / ArgMin over R in [outer, R, inner] -> i64 indices. NaN beats every number
 * (the first NaN, or the last with selectLast); among equal values the first (or last) index wins.
 */
export function argReduce(tid: i32, nt: i32, isMax: i32, selectLast: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const o = t / inner, j = t % inner;
    const base = x + (<usize>(o * r * inner + j) << 2);
    const st = <usize>inner << 2;
    let best: f32 = load<f32>(base);
    let bi = 0;
    for (let k = 1; k < r; k++) {
      const v = load<f32>(base + <usize>k * st);
      let take: bool;
      if (best != best) take = selectLast != 0 && v != v;
      else if (v != v) take = true;
      else if (v == best) take = selectLast != 0;
      else take = isMax ? v > best : v < best;
      if (take) { best = v; bi = k; }
    }
    store<i64>(y + (<usize>t << 3), <i64>bi);
  }
}

/** CumSum along R in [outer, R, inner], optionally exclusive and/or reversed. */
export function cumsum(tid: i32, nt: i32, exclusive: i32, reverse: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const o = t / inner, j = t % inner;
    const off = <usize>(o * r * inner + j) << 2;
    const st = <usize>inner << 2;
    let s: f32 = 0;
    for (let q = 0; q < r; q++) {
      const k = reverse ? r - 1 - q : q;
      const v = load<f32>(x + off + <usize>k * st);
      if (exclusive) { store<f32>(y + off + <usize>k * st, s); s += v; }
      else { s += v; store<f32>(y + off + <usize>k * st, s); }
    }
  }
}
