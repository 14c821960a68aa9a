// Elementwise family. Fused k.map chains are generated at run time (src/backends/wasm/codegen.ts),
// which emits exp/erf/tanh/sigmoid inline and imports the rarer functions below (one f32x4 in,
// one out); the plain fills and copies live here too.

import { vexp, vlog, vsplat } from './lib/vmath';

export function log4(x: v128): v128 { return vlog(x); }
/** softplus(x) = max(x,0) + log(1 + e^-|x|): no overflow for large x. */
export function softplus4(x: v128): v128 {
  return f32x4.add(f32x4.max(x, vsplat(0)), vlog(f32x4.add(vsplat(1), vexp(f32x4.neg(f32x4.abs(x))))));
}
/** x^y for any sign of x: |x|^y via exp/log, sign fixed for odd integer y, NaN for x<0 and non-integer y. */
export function pow4(x: v128, y: v128): v128 {
  const ax = f32x4.abs(x);
  let r = vexp(f32x4.mul(y, vlog(ax)));
  const yint = f32x4.eq(f32x4.trunc(y), y);
  const half = f32x4.mul(y, vsplat(0.5));
  const odd = v128.and(yint, f32x4.ne(f32x4.trunc(half), half));
  const neg = f32x4.lt(x, vsplat(0));
  r = v128.bitselect(f32x4.neg(r), r, v128.and(neg, odd));
  r = v128.bitselect(vsplat(NaN), r, v128.andnot(neg, yint));
  // x^0 = 1 even for NaN x, 1^y = 1 even for NaN y
  r = v128.bitselect(vsplat(1), r, v128.or(f32x4.eq(y, vsplat(0)), f32x4.eq(x, vsplat(1))));
  return r;
}

/** dst[i] = v for n f32 values; threads split the range. */
export function fill32(tid: i32, nt: i32, dst: usize, n: i32, v: f32): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  const s = vsplat(v);
  let i = i0;
  for (; i + 4 <= i1; i += 4) v128.store(dst + (<usize>i << 2), s);
  for (; i < i1; i++) store<f32>(dst + (<usize>i << 2), v);
}

/** Byte copy, threads split the range. */
export function copyBytes(tid: i32, nt: i32, dst: usize, src: usize, n: i32): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  memory.copy(dst + i0, src + i0, i1 - i0);
}
