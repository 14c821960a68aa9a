// Block-quantized matmul with integer dot products: Y[M, N] = A · dequant(B)ᵀ (+ bias) for
// MatMulNBits weights of 4 or 8 bits (the layout GGUF's Q4_0, Q8_0 and Q6_K blocks are repacked
// into). A's rows are first quantized to int8 in blocks of `qb` (16 or 32) values with one float
// scale each (as llama.cpp does for its Q8 activations), so each block's dot is int8 × int8 in
// SIMD lanes summed in int32, scaled once by weight scale × activation scale. Zero points other
// than the default (8 / 128) are applied as (default - z) · Σ q_a per block, so codes are used as
// stored. Threads split the N output columns: decode (M = 1) runs on all of them.

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

// The block dots take the codes as stored, 0..255 (8-bit) or 0..15 (4-bit), widened to int16 as
// they load, against the int8 activations widened the same way: i32x4.dot_i16x8_s sums eight
// products exactly. The zero point comes off per block as z · Σ q_a. Four output columns share
// each activation load, and their four block sums finish together (one lane each) so that the
// scales apply to a vector: one convert, one multiply-add per block for four columns.

/** 8-bit codes: Σ over 16 pairs from w against the widened activations x0, x1. */
// @ts-ignore: decorator
@inline function dot8x16(w: usize, x0: v128, x1: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_u(w), x0), i32x4.dot_i16x8_s(v128.load8x8_u(w + 8), x1));
}

/** 4-bit codes: 32 in 16 bytes (low nibble: even element, high: odd) against split activations. */
// @ts-ignore: decorator
@inline function dot4x32(w: usize, xq: usize, e0: v128, e1: v128, o0: v128, o1: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // i8 × i7 pair sums in int16: the codes (0..15) are the second operand, exact on every engine
    // (x86's pmaddubsw reads it unsigned, Arm's sdot signed; 0..15 is the same for both), and the
    // two halves' sums (at most 2 · 2 · 15 · 127 per lane) still fit int16 before the widening
    const b = v128.load(w);
    const lo = v128.and(b, i8x16.splat(15)), hi = v128.and(i16x8.shr_u(b, 4), i8x16.splat(15));
    const s = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xq), lo),
      i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xq + 16), hi));
    return i32x4.extadd_pairwise_i16x8_s(s);
  }
  const b0 = v128.load8x8_u(w), b1 = v128.load8x8_u(w + 8), m = i16x8.splat(15);
  const lo = i32x4.add(i32x4.dot_i16x8_s(v128.and(b0, m), e0), i32x4.dot_i16x8_s(v128.and(b1, m), e1));
  const hi = i32x4.add(i32x4.dot_i16x8_s(i16x8.shr_u(b0, 4), o0), i32x4.dot_i16x8_s(i16x8.shr_u(b1, 4), o1));
  return i32x4.add(lo, hi);
}

/** Lane c = the lane sum of vector c. */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Zero point of column n's block blk: packed as MatMulNBits packs them, or the default. */
// @ts-ignore: decorator
@inline function zeroAt(bits: i32, zp: usize, zpRow: i32, n: i32, blk: i32): i32 {
  if (!zp) return bits == 4 ? 8 : 128;
  return bits == 4
    ? (<i32>load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15
    : <i32>load<u8>(zp + <usize>(n * zpRow + blk));
}

/**
 * Outputs n0..n0+3 of row m (columns past N repeat the last one and are not stored): K codes per
 * column in blocks of bs with a scale each, activation blocks of qb inside.
 */
// @ts-ignore: decorator
@inline function dot4Cols(bits: i32, N: i32, K: i32, bs: i32, qb: i32, xq: usize, xd: usize, xs: usize, b: usize,
  scales: usize, zp: usize, zpRow: i32, n0: i32, y: usize, bias: usize): void {
  const kb = K / bs, per = bs / qb, rowBytes = (K * bits) >> 3, last = N - 1;
  const c1 = min(n0 + 1, last), c2 = min(n0 + 2, last), c3 = min(n0 + 3, last);
  const w0 = b + <usize>n0 * <usize>rowBytes, w1 = b + <usize>c1 * <usize>rowBytes;
  const w2 = b + <usize>c2 * <usize>rowBytes, w3 = b + <usize>c3 * <usize>rowBytes;
  const s0 = scales + (<usize>(n0 * kb) << 2), s1 = scales + (<usize>(c1 * kb) << 2);
  const s2 = scales + (<usize>(c2 * kb) << 2), s3 = scales + (<usize>(c3 * kb) << 2);
  let acc = f32x4.splat(0);
  for (let blk = 0; blk < kb; blk++) {
    const o = <usize>blk << 2;
    const sv = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(s0 + o)),
      1, load<f32>(s1 + o)), 2, load<f32>(s2 + o)), 3, load<f32>(s3 + o));
    let zv = i32x4.splat(zeroAt(bits, zp, zpRow, n0, blk));
    if (zp) {
      zv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(zv,
        1, zeroAt(bits, zp, zpRow, c1, blk)), 2, zeroAt(bits, zp, zpRow, c2, blk)), 3, zeroAt(bits, zp, zpRow, c3, blk));
    }
    for (let sub = 0; sub < per; sub++) {
      const qi = blk * per + sub;
      const xp = xq + <usize>(qi * qb);
      const x0 = v128.load8x8_s(xp), x1 = v128.load8x8_s(xp + 8);
      let r0: v128, r1: v128, r2: v128, r3: v128;
      if (bits == 4) {
        const x2 = v128.load8x8_s(xp + 16), x3 = v128.load8x8_s(xp + 24);
        const wo = <usize>(qi * 16);
        r0 = dot4x32(w0 + wo, xp, x0, x1, x2, x3); r1 = dot4x32(w1 + wo, xp, x0, x1, x2, x3);
        r2 = dot4x32(w2 + wo, xp, x0, x1, x2, x3); r3 = dot4x32(w3 + wo, xp, x0, x1, x2, x3);
      } else if (qb == 32) {
        const x2 = v128.load8x8_s(xp + 16), x3 = v128.load8x8_s(xp + 24);
        const wo = <usize>(qi * 32);
        r0 = i32x4.add(dot8x16(w0 + wo, x0, x1), dot8x16(w0 + wo + 16, x2, x3));
        r1 = i32x4.add(dot8x16(w1 + wo, x0, x1), dot8x16(w1 + wo + 16, x2, x3));
        r2 = i32x4.add(dot8x16(w2 + wo, x0, x1), dot8x16(w2 + wo + 16, x2, x3));
        r3 = i32x4.add(dot8x16(w3 + wo, x0, x1), dot8x16(w3 + wo + 16, x2, x3));
      } else {
        const wo = <usize>(qi * 16);
        r0 = dot8x16(w0 + wo, x0, x1); r1 = dot8x16(w1 + wo, x0, x1);
        r2 = dot8x16(w2 + wo, x0, x1); r3 = dot8x16(w3 + wo, x0, x1);
      }
      const qo = <usize>qi << 2;
      const sx = load<i32>(xs + qo);
      const zs = zp ? i32x4.mul(zv, i32x4.splat(sx)) : i32x4.splat(i32x4.extract_lane(zv, 0) * sx);
      const r = i32x4.sub(hsum4(r0, r1, r2, r3), zs);
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(r), f32x4.mul(sv, f32x4.splat(load<f32>(xd + qo)))));
    }
  }
  if (bias) {
    acc = f32x4.add(acc, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(
      load<f32>(bias + (<usize>n0 << 2))), 1, load<f32>(bias + (<usize>c1 << 2))), 2,
      load<f32>(bias + (<usize>c2 << 2))), 3, load<f32>(bias + (<usize>c3 << 2))));
  }
  if (n0 + 4 <= N) v128.store(y + (<usize>n0 << 2), acc);
  else {
    store<f32>(y + (<usize>n0 << 2), f32x4.extract_lane(acc, 0));
    if (n0 + 1 < N) store<f32>(y + (<usize>(n0 + 1) << 2), f32x4.extract_lane(acc, 1));
    if (n0 + 2 < N) store<f32>(y + (<usize>(n0 + 2) << 2), f32x4.extract_lane(acc, 2));
  }
}

/**
 * Y = A · dequant(B)ᵀ (+ bias) from nbitsQuantizeA's output: B [N, K·bits/8] codes, scales
 * [N, K/bs], zero points packed as MatMulNBits packs them (null: the default), bias [N] or null.
 * Threads take runs of four columns.
 */
export function nbitsMatmul(tid: i32, nt: i32, bits: i32, M: i32, N: i32, K: i32, bs: i32, qb: i32, qa: usize,
  da: usize, sa: usize, b: usize, scales: usize, zp: usize, bias: usize, y: usize): void {
  const nq = K / qb, kb = K / bs;
  const zpRow = bits == 4 ? (kb + 1) >> 1 : kb;
  const groups = (N + 3) >> 2;
  const g0 = (<i64>groups * tid / nt) as i32, g1 = (<i64>groups * (tid + 1) / nt) as i32;
  for (let g = g0; g < g1; g++) {
    for (let m = 0; m < M; m++) {
      const xq = qa + <usize>(m * K), xd = da + (<usize>(m * nq) << 2), xs = sa + (<usize>(m * nq) << 2);
      dot4Cols(bits, N, K, bs, qb, xq, xd, xs, b, scales, zp, zpRow, g << 2, y + (<usize>(m * N) << 2), bias);
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
      const k0 = blk * bs;
      // (code - z) · s, eight codes per step (blocks are multiples of 16)
      const zv = i16x8.splat(<i16>z), sv = f32x4.splat(s);
      for (let j = 0; j < bs; j += 8) {
        let c: v128;
        if (bits == 8) c = v128.load8x8_u(bn + <usize>(k0 + j));
        else {
          // four bytes: codes j..j+7 as low, high nibble pairs
          const b = i16x8.extend_low_i8x16_u(v128.load32_zero(bn + <usize>((k0 + j) >> 1)));
          const lo = v128.and(b, i16x8.splat(15)), hi = i16x8.shr_u(b, 4);
          c = i8x16.shuffle(lo, hi, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        }
        const d = i16x8.sub(c, zv);
        const o = on + (<usize>(k0 + j) << 2);
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(d)), sv));
        v128.store(o + 16, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(d)), sv));
      }
    }
  }
}
