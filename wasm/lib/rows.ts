// Row-reduction helpers shared by the reduce and softmax families (compiled into each module that
// uses them): the reduction kinds, vector accumulators and their lane folds, partial loads.

import { vexp, vlog, vsplat } from './vmath';

export const R_SUM: i32 = 0, R_MEAN: i32 = 1, R_MAX: i32 = 2, R_MIN: i32 = 3, R_PROD: i32 = 4;
export const R_SUMSQ: i32 = 5, R_L1: i32 = 6, R_L2: i32 = 7, R_LOGSUM: i32 = 8, R_LOGSUMEXP: i32 = 9;

// @ts-ignore: decorator
@inline export function init(op: i32): f32 {
  return op == R_MAX ? -Infinity : op == R_MIN ? Infinity : op == R_PROD ? 1 : 0;
}

// @ts-ignore: decorator
@inline export function stepV(op: i32, acc: v128, x: v128, m: v128): v128 {
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
@inline export function combine(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case R_MAX: return (a != a || b != b) ? NaN : max(a, b);
    case R_MIN: return (a != a || b != b) ? NaN : min(a, b);
    case R_PROD: return a * b;
    default: return a + b;
  }
}

// @ts-ignore: decorator
@inline export function finalV(op: i32, acc: v128, m: v128, r: i32): v128 {
  switch (op) {
    case R_MEAN: return f32x4.div(acc, vsplat(<f32>r));
    case R_L2: return f32x4.sqrt(acc);
    case R_LOGSUM: return vlog(acc);
    case R_LOGSUMEXP: return f32x4.add(vlog(acc), m);
    default: return acc;
  }
}

// @ts-ignore: decorator
@inline export function lanes(op: i32, v: v128): f32 {
  let s = combine(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  s = combine(op, s, f32x4.extract_lane(v, 2));
  return combine(op, s, f32x4.extract_lane(v, 3));
}

/** Max of a contiguous row (for logsumexp's shift). */
export function rowMax(x: usize, r: i32): f32 {
  let m = vsplat(-Infinity);
  let k = 0;
  for (; k + 4 <= r; k += 4) m = f32x4.max(m, v128.load(x + (<usize>k << 2)));
  let s = lanes(R_MAX, m);
  for (; k < r; k++) s = combine(R_MAX, s, load<f32>(x + (<usize>k << 2)));
  return s;
}

// @ts-ignore: decorator
@inline export function lane(v: v128, l: i32): f32 {
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function loadPart(p: usize, full: bool, n: i32, pad: f32): v128 {
  if (full) return v128.load(p);
  let v = vsplat(pad);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}
