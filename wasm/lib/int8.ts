// 8-bit reads and the 16-bit-pair GEMM panel shared by the integer kernels (conv-integer, matmul-integer).

// @ts-ignore: decorator
@inline export function rd(p: usize, signed: i32): i32 { return signed ? <i32>load<i8>(p) : <i32>load<u8>(p); }

/** Stores 8 int32 columns of one output row, fewer at the right edge. */
// @ts-ignore: decorator
@inline function put8(y: usize, v0: v128, v1: v128, n: i32): void {
  if (n >= 8) { v128.store(y, v0); v128.store(y, v1, 16); return; }
  for (let j = 0; j < n; j++) store<i32>(y + (<usize>j << 2), j < 4 ? lane(v0, j) : lane(v1, j - 4));
}

// @ts-ignore: decorator
@inline function lane(v: v128, j: i32): i32 {
  if (j == 0) return i32x4.extract_lane(v, 0);
  if (j == 1) return i32x4.extract_lane(v, 1);
  return j == 2 ? i32x4.extract_lane(v, 2) : i32x4.extract_lane(v, 3);
}

/**
 * Rows m..m+3 (fewer past M) times one panel of 8 columns: 4 × 8 int32 accumulators over taps × Kp pairs,
 * pair q of tap t at bp + tapOff[t] + q·bStride (packed tiles: one tap at 0, stride 32).
 */
export function panel4x8(wp: usize, bp: usize, taps: i32, tapOff: usize, Kp: i32, bStride: usize, rowSum: usize,
  xz: i32, m: i32, M: i32, y: usize, P: i32, n: i32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let a = wp;
  for (let t = 0; t < taps; t++) {
  let b = bp + <usize>load<i32>(tapOff + (<usize>t << 2));
  for (let q = 0; q < Kp; q++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(s, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(s, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(s, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(s, b1));
    s = v128.load32_splat(a, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(s, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(s, b1));
    a += 16; b += bStride;
  }
  }
  const yr = y + (<usize>m * <usize>P << 2);
  let rs = rowSum + (<usize>m << 2);
  const row = <usize>P << 2;
  // xz = 0 (the zero points folded into the operands): no row sums to read
  if (!xz) rs = 0;
  let z = i32x4.splat(xz * load<i32>(rs));
  put8(yr, i32x4.sub(c00, z), i32x4.sub(c01, z), n);
  if (m + 1 >= M) return;
  z = i32x4.splat(xz * load<i32>(rs, 4));
  put8(yr + row, i32x4.sub(c10, z), i32x4.sub(c11, z), n);
  if (m + 2 >= M) return;
  z = i32x4.splat(xz * load<i32>(rs, 8));
  put8(yr + 2 * row, i32x4.sub(c20, z), i32x4.sub(c21, z), n);
  if (m + 3 >= M) return;
  z = i32x4.splat(xz * load<i32>(rs, 12));
  put8(yr + 3 * row, i32x4.sub(c30, z), i32x4.sub(c31, z), n);
}

