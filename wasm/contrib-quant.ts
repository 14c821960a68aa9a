// MatMulNBits with 4-bit codes (com.microsoft), straight from the packed weights.

/**
 * MatMulNBits, 4-bit: de-interleave each row of A [M, K] into its even and odd elements
 * (scratch [M, K]: evens then odds per row), so a byte's low and high nibbles (codes 2i, 2i+1)
 * meet the A elements they multiply in the same SIMD lanes.
 */
export function nbitsSplitA(tid: i32, nt: i32, M: i32, K: i32, a: usize, s: usize): void {
  const half = K >> 1;
  for (let m = tid; m < M; m += nt) {
    const ar = a + (<usize>(m * K) << 2), sr = s + (<usize>(m * K) << 2);
    for (let i = 0; i < half; i++) {
      store<f32>(sr + (<usize>i << 2), load<f32>(ar + (<usize>(2 * i) << 2)));
      store<f32>(sr + (<usize>(half + i) << 2), load<f32>(ar + (<usize>(2 * i + 1) << 2)));
    }
  }
}

// @ts-ignore: decorator
@inline function deq4(c: v128, z: v128, s: v128): v128 { return f32x4.mul(f32x4.sub(f32x4.convert_i32x4_u(c), z), s); }

/** 16 bytes = 32 codes, dequantised: low nibbles (even k) to `lo`, high nibbles (odd k) to `hi`. */
// @ts-ignore: decorator
@inline function dequant32(codes: v128, z: v128, s: v128, lo: usize, hi: usize): void {
  const l = v128.and(codes, i8x16.splat(15)), h = i8x16.shr_u(codes, 4);
  const la = i16x8.extend_low_i8x16_u(l), lb = i16x8.extend_high_i8x16_u(l);
  const ha = i16x8.extend_low_i8x16_u(h), hb = i16x8.extend_high_i8x16_u(h);
  v128.store(lo, deq4(i32x4.extend_low_i16x8_u(la), z, s));
  v128.store(lo + 16, deq4(i32x4.extend_high_i16x8_u(la), z, s));
  v128.store(lo + 32, deq4(i32x4.extend_low_i16x8_u(lb), z, s));
  v128.store(lo + 48, deq4(i32x4.extend_high_i16x8_u(lb), z, s));
  v128.store(hi, deq4(i32x4.extend_low_i16x8_u(ha), z, s));
  v128.store(hi + 16, deq4(i32x4.extend_high_i16x8_u(ha), z, s));
  v128.store(hi + 32, deq4(i32x4.extend_low_i16x8_u(hb), z, s));
  v128.store(hi + 48, deq4(i32x4.extend_high_i16x8_u(hb), z, s));
}

/** Decode (one row of A): 32 dequantised codes times their A elements, added into two accumulators. */
// @ts-ignore: decorator
@inline function dot32(codes: v128, z: v128, s: v128, ae: usize, ao: usize, acc: v128): v128 {
  const l = v128.and(codes, i8x16.splat(15)), h = i8x16.shr_u(codes, 4);
  const la = i16x8.extend_low_i8x16_u(l), lb = i16x8.extend_high_i8x16_u(l);
  const ha = i16x8.extend_low_i8x16_u(h), hb = i16x8.extend_high_i8x16_u(h);
  let p = f32x4.mul(deq4(i32x4.extend_low_i16x8_u(la), z, s), v128.load(ae));
  let q = f32x4.mul(deq4(i32x4.extend_low_i16x8_u(ha), z, s), v128.load(ao));
  p = f32x4.add(p, f32x4.mul(deq4(i32x4.extend_high_i16x8_u(la), z, s), v128.load(ae + 16)));
  q = f32x4.add(q, f32x4.mul(deq4(i32x4.extend_high_i16x8_u(ha), z, s), v128.load(ao + 16)));
  p = f32x4.add(p, f32x4.mul(deq4(i32x4.extend_low_i16x8_u(lb), z, s), v128.load(ae + 32)));
  q = f32x4.add(q, f32x4.mul(deq4(i32x4.extend_low_i16x8_u(hb), z, s), v128.load(ao + 32)));
  p = f32x4.add(p, f32x4.mul(deq4(i32x4.extend_high_i16x8_u(lb), z, s), v128.load(ae + 48)));
  q = f32x4.add(q, f32x4.mul(deq4(i32x4.extend_high_i16x8_u(hb), z, s), v128.load(ao + 48)));
  return f32x4.add(acc, f32x4.add(p, q));
}

/** Σ x[i]·y[i] over n floats (n a multiple of 16), four accumulators to hide add latency. */
// @ts-ignore: decorator
@inline function dotF32(x: usize, y: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let i = 0; i < n; i += 16) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o + 16), v128.load(y + o + 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o + 32), v128.load(y + o + 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o + 48), v128.load(y + o + 48)));
  }
  const t = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
}

/**
 * Y[M, N] = A · dequant(B)ᵀ (+ bias) straight from 4-bit codes: B [N, K/bs, bs/2] bytes, scales
 * [N · K/bs], zero points packed two per byte per row ([N, ceil(kb/2)], null = 8). One column of
 * W at a time is dequantised into this thread's `work` (K floats, in nbitsSplitA's even/odd order)
 * and dotted with every row of A (`sa`, nbitsSplitA's output): the weights never exist as a whole
 * in float. Threads split the N columns (decode has M = 1). K is a multiple of bs and bs of 32.
 */
export function matmulNBits4(tid: i32, nt: i32, M: i32, N: i32, K: i32, bs: i32, sa: usize, b: usize, scales: usize,
  zp: usize, bias: usize, y: usize, work: usize): void {
  const kb = K / bs, half = K >> 1, blob = bs >> 1, zpRow = (kb + 1) >> 1;
  const n0 = (<i64>N * tid / nt) as i32, n1 = (<i64>N * (tid + 1) / nt) as i32;
  const col = work + (<usize>(tid * K) << 2), odd = col + (<usize>half << 2);
  for (let n = n0; n < n1; n++) {
    const bn = b + <usize>(n * kb * blob);
    const bv: f32 = bias ? load<f32>(bias + (<usize>n << 2)) : 0;
    if (M == 1) {
      // decode: dequantise and multiply in registers, no column buffer
      let acc = f32x4.splat(0);
      for (let blk = 0; blk < kb; blk++) {
        const sv = f32x4.splat(load<f32>(scales + (<usize>(n * kb + blk) << 2)));
        const z: f32 = zp ? <f32>((load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15) : 8;
        const zv = f32x4.splat(z), bp = bn + <usize>(blk * blob), off = <usize>(blk * blob);
        for (let j = 0; j < blob; j += 16) {
          acc = dot32(v128.load(bp + <usize>j), zv, sv, sa + ((off + <usize>j) << 2), sa + ((<usize>half + off + <usize>j) << 2), acc);
        }
      }
      const t = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      store<f32>(y + (<usize>n << 2), t + bv);
      continue;
    }
    for (let blk = 0; blk < kb; blk++) {
      const sv = f32x4.splat(load<f32>(scales + (<usize>(n * kb + blk) << 2)));
      const z: f32 = zp ? <f32>((load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15) : 8;
      const zv = f32x4.splat(z);
      const bp = bn + <usize>(blk * blob), off = <usize>(blk * blob);
      for (let j = 0; j < blob; j += 16) dequant32(v128.load(bp + <usize>j), zv, sv, col + ((off + <usize>j) << 2), odd + ((off + <usize>j) << 2));
    }
    for (let m = 0; m < M; m++) store<f32>(y + (<usize>(m * N + n) << 2), dotF32(sa + (<usize>(m * K) << 2), col, K) + bv);
  }
}
