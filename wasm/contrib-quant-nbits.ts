// Block-quantized matmul with integer dot products: Y[M, N] = A · dequant(B)ᵀ (+ bias) for
// MatMulNBits weights of 4 or 8 bits (the layout GGUF's Q4_0, Q8_0 and Q6_K blocks are repacked
// into). A's rows are first quantized to int8 in blocks of `qb` (16 or 32) values with one float
// scale each (as llama.cpp does for its Q8 activations), so each block's dot is int8 × int8 in
// SIMD lanes summed in int32, scaled once by weight scale × activation scale. Zero points other
// than the default (8 / 128) are applied as (default - z) · Σ q_a per block, so codes are used as
// stored. Threads split the N output columns: decode (M = 1) runs on all of them.

const TILE = 8; // output columns per pass over A's rows (their weight rows stay in cache)

// @ts-ignore: decorator
@inline function lanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * A [M, K] float32 -> qa [M, K] int8, da [M, K/qb] scales, sa [M, K/qb] int32 sums of the codes.
 * `split` (4-bit weights): each block of 32 is stored as its 16 even then its 16 odd elements, the
 * order of a byte's low and high nibbles.
 */
export function nbitsQuantizeA(tid: i32, nt: i32, M: i32, K: i32, qb: i32, split: i32, a: usize, qa: usize,
  da: usize, sa: usize): void {
  const nb = K / qb, half = qb >> 1;
  for (let m = tid; m < M; m += nt) {
    for (let blk = 0; blk < nb; blk++) {
      const src = a + (<usize>(m * K + blk * qb) << 2);
      let mx = f32x4.splat(0);
      for (let j = 0; j < qb; j += 4) mx = f32x4.max(mx, f32x4.abs(v128.load(src + (<usize>j << 2))));
      const amax = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)),
        max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
      const d: f32 = amax / 127;
      const inv: f32 = d > 0 ? 1 / d : 0;
      const at = m * nb + blk;
      store<f32>(da + (<usize>at << 2), d);
      const dst = qa + <usize>(m * K + blk * qb);
      let sum = 0;
      for (let j = 0; j < qb; j++) {
        const q = <i32>nearest<f32>(load<f32>(src + (<usize>j << 2)) * inv);
        sum += q;
        const pos = split ? ((j & 1) ? half + (j >> 1) : j >> 1) : j;
        store<i8>(dst + <usize>pos, <i8>q);
      }
      store<i32>(sa + (<usize>at << 2), sum);
    }
  }
}

/** Σ over 32 int8 pairs: 8-bit codes (stored u8 with 128 as zero) against activations. */
// @ts-ignore: decorator
@inline function dot8x32(w: usize, x: usize, acc: v128): v128 {
  const bias = i8x16.splat(-128);
  const w0 = v128.xor(v128.load(w), bias), w1 = v128.xor(v128.load(w + 16), bias);
  const x0 = v128.load(x), x1 = v128.load(x + 16);
  // two products of |128 · 127| still fit int16
  const lo = i16x8.add(i16x8.extmul_low_i8x16_s(w0, x0), i16x8.extmul_low_i8x16_s(w1, x1));
  const hi = i16x8.add(i16x8.extmul_high_i8x16_s(w0, x0), i16x8.extmul_high_i8x16_s(w1, x1));
  return i32x4.add(acc, i32x4.add(i32x4.extadd_pairwise_i16x8_s(lo), i32x4.extadd_pairwise_i16x8_s(hi)));
}

/** Σ over 16 int8 pairs (blocks of 16). */
// @ts-ignore: decorator
@inline function dot8x16(w: usize, x: usize, acc: v128): v128 {
  const w0 = v128.xor(v128.load(w), i8x16.splat(-128)), x0 = v128.load(x);
  const s = i16x8.add(i16x8.extmul_low_i8x16_s(w0, x0), i16x8.extmul_high_i8x16_s(w0, x0));
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(s));
}

/**
 * Σ over 32 codes in 16 bytes (low nibble: even element, high: odd) against split activations.
 * Relaxed SIMD's i8 × i7 dot takes the codes as stored (0..15, top bit clear, so every engine
 * gives the same result); the caller subtracts z · Σ q_a. Plain SIMD subtracts the default 8 here.
 */
// @ts-ignore: decorator
@inline function dot4x32(w: usize, x: usize, acc: v128): v128 {
  const b = v128.load(w);
  const xe = v128.load(x), xo = v128.load(x + 16);
  if (ASC_FEATURE_RELAXED_SIMD) {
    const lo = v128.and(b, i8x16.splat(15)), hi = i8x16.shr_u(b, 4);
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(xo, hi, i32x4.relaxed_dot_i8x16_i7x16_add_s(xe, lo, acc));
  }
  const eight = i8x16.splat(8);
  const lo = i8x16.sub(v128.and(b, i8x16.splat(15)), eight), hi = i8x16.sub(i8x16.shr_u(b, 4), eight);
  // four products of |8 · 127| fit int16 many times over
  const s = i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(lo, xe), i16x8.extmul_high_i8x16_s(lo, xe)),
    i16x8.add(i16x8.extmul_low_i8x16_s(hi, xo), i16x8.extmul_high_i8x16_s(hi, xo)),
  );
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(s));
}

/**
 * One output: row m of the quantized A against column n of B (K codes in blocks of bs, each with a
 * scale, activation blocks of qb inside).
 */
// @ts-ignore: decorator
@inline function dotRow(bits: i32, K: i32, bs: i32, qb: i32, xq: usize, xd: usize, xs: usize, bn: usize,
  sn: usize, zp: usize, zpRow: i32, n: i32): f32 {
  const kb = K / bs, per = bs / qb, mid = bits == 4 ? 8 : 128;
  // the relaxed 4-bit dot counts codes from 0, so every block takes the correction
  const base = bits == 4 && ASC_FEATURE_RELAXED_SIMD ? 0 : mid;
  let acc = f32x4.splat(0);
  let corr: f32 = 0;
  for (let blk = 0; blk < kb; blk++) {
    const s = load<f32>(sn + (<usize>blk << 2));
    let z = mid;
    if (zp) {
      z = bits == 4
        ? (<i32>load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15
        : <i32>load<u8>(zp + <usize>(n * zpRow + blk));
    }
    for (let sub = 0; sub < per; sub++) {
      const qi = blk * per + sub;
      let ia = i32x4.splat(0);
      if (bits == 4) ia = dot4x32(bn + <usize>(qi * 16), xq + <usize>(qi * 32), ia);
      else if (qb == 32) ia = dot8x32(bn + <usize>(qi * 32), xq + <usize>(qi * 32), ia);
      else ia = dot8x16(bn + <usize>(qi * 16), xq + <usize>(qi * 16), ia);
      const f = s * load<f32>(xd + (<usize>qi << 2));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(ia), f32x4.splat(f)));
      if (z != base) corr += f * <f32>((base - z) * load<i32>(xs + (<usize>qi << 2)));
    }
  }
  return lanes(acc) + corr;
}

/**
 * Y = A · dequant(B)ᵀ (+ bias) from nbitsQuantizeA's output: B [N, K·bits/8] codes, scales
 * [N, K/bs], zero points packed as MatMulNBits packs them (null: the default), bias [N] or null.
 */
export function nbitsMatmul(tid: i32, nt: i32, bits: i32, M: i32, N: i32, K: i32, bs: i32, qb: i32, qa: usize,
  da: usize, sa: usize, b: usize, scales: usize, zp: usize, bias: usize, y: usize): void {
  const kb = K / bs, nq = K / qb, rowBytes = (K * bits) >> 3;
  const zpRow = bits == 4 ? (kb + 1) >> 1 : kb;
  const n0 = (<i64>N * tid / nt) as i32, n1 = (<i64>N * (tid + 1) / nt) as i32;
  for (let t0 = n0; t0 < n1; t0 += TILE) {
    const t1 = min(t0 + TILE, n1);
    for (let m = 0; m < M; m++) {
      const xq = qa + <usize>(m * K), xd = da + (<usize>(m * nq) << 2), xs = sa + (<usize>(m * nq) << 2);
      for (let n = t0; n < t1; n++) {
        const v = dotRow(bits, K, bs, qb, xq, xd, xs, b + <usize>n * <usize>rowBytes, scales + (<usize>(n * kb) << 2),
          zp, zpRow, n);
        store<f32>(y + (<usize>(m * N + n) << 2), v + (bias ? load<f32>(bias + (<usize>n << 2)) : 0));
      }
    }
  }
}

/**
 * Prefill: codes -> float32 W [N, K] (row n = output n's weights), for the float GEMM, which beats
 * the integer dots when many rows of A share each weight. Transient scratch; threads split N.
 */
export function nbitsDequantize(tid: i32, nt: i32, bits: i32, N: i32, K: i32, bs: i32, b: usize, scales: usize,
  zp: usize, out: usize): void {
  const kb = K / bs, rowBytes = (K * bits) >> 3, mid = bits == 4 ? 8 : 128;
  const zpRow = bits == 4 ? (kb + 1) >> 1 : kb;
  const n0 = (<i64>N * tid / nt) as i32, n1 = (<i64>N * (tid + 1) / nt) as i32;
  for (let n = n0; n < n1; n++) {
    const bn = b + <usize>n * <usize>rowBytes, on = out + (<usize>n * <usize>K << 2);
    for (let blk = 0; blk < kb; blk++) {
      const s = load<f32>(scales + (<usize>(n * kb + blk) << 2));
      let z = mid;
      if (zp) {
        z = bits == 4
          ? (<i32>load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15
          : <i32>load<u8>(zp + <usize>(n * zpRow + blk));
      }
      const zf = <f32>z;
      const k0 = blk * bs;
      if (bits == 8) {
        for (let j = 0; j < bs; j++)
          store<f32>(on + (<usize>(k0 + j) << 2), (<f32>load<u8>(bn + <usize>(k0 + j)) - zf) * s);
      } else {
        for (let j = 0; j < bs; j += 2) {
          const byte = <i32>load<u8>(bn + <usize>((k0 + j) >> 1));
          store<f32>(on + (<usize>(k0 + j) << 2), (<f32>(byte & 15) - zf) * s);
          store<f32>(on + (<usize>(k0 + j + 1) << 2), (<f32>(byte >> 4) - zf) * s);
        }
      }
    }
  }
}
