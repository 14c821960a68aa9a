// Integer and quantization kernels: MatMulInteger (int8/uint8 operands with zero points, int32
// result) and QuantizeLinear / DequantizeLinear (per tensor or per axis). Element types: signed
// flags pick int8 (1) or uint8 (0) reads and writes.

// @ts-ignore: decorator
@inline function rd(p: usize, signed: i32): i32 { return signed ? <i32>load<i8>(p) : <i32>load<u8>(p); }

/**
 * Y[M,N] (i32) = Σk (A[i,k] - za_i) · (B[k,j] - zb_j), batched with element strides. Zero points are
 * per row of A / per column of B through a stride (0 = one value); null pointer = 0. Threads split
 * rows × batches. B rows are widened 4 columns at a time.
 */
export function matmulInteger(tid: i32, nt: i32, M: i32, N: i32, K: i32, batch: i32,
  a: usize, aSigned: i32, bsa: i32, b: usize, bSigned: i32, bsb: i32,
  za: usize, zaStride: i32, zb: usize, zbStride: i32, y: usize): void {
  const total = batch * M;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const n4 = N & ~3;
  for (let t = t0; t < t1; t++) {
    const bi = t / M, i = t % M;
    const ar = a + <usize>(bi * bsa + i * K);
    const bb = b + <usize>(bi * bsb);
    const yr = y + (<usize>(t * N) << 2);
    const zai = za ? rd(za + <usize>(i * zaStride), aSigned) : 0;
    memory.fill(yr, 0, <usize>N << 2);
    for (let k = 0; k < K; k++) {
      const av = rd(ar + <usize>k, aSigned) - zai;
      if (av == 0) continue;
      const s = i32x4.splat(av);
      const br = bb + <usize>(k * N);
      let j = 0;
      for (; j < n4; j += 4) {
        // 4 bytes of B -> 4 i32 lanes
        let v = v128.load32_zero(br + <usize>j);
        v = bSigned ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v));
        if (zb) {
          let z = zbStride ? v128.load32_zero(zb + <usize>j) : i8x16.splat(load<i8>(zb));
          z = bSigned ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(z)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(z));
          v = i32x4.sub(v, z);
        }
        const o = yr + (<usize>j << 2);
        v128.store(o, i32x4.add(v128.load(o), i32x4.mul(s, v)));
      }
      for (; j < N; j++) {
        const z = zb ? rd(zb + <usize>(j * zbStride), bSigned) : 0;
        const o = yr + (<usize>j << 2);
        store<i32>(o, load<i32>(o) + av * (rd(br + <usize>j, bSigned) - z));
      }
    }
  }
}

/** y = (x - zp) · scale over [outer, axisLen, inner] with scale/zp per axis position (stride 1) or one (stride 0). x: int8/uint8/int32. */
export function dequantize(tid: i32, nt: i32, outer: i32, len: i32, inner: i32, x: usize, kind: i32, scale: usize, sStride: i32, zp: usize, y: usize): void {
  const total = outer * len;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const a = t % len;
    const sc = load<f32>(scale + (<usize>(a * sStride) << 2));
    const zi: i32 = zp ? (kind == 2 ? load<i32>(zp + (<usize>(a * sStride) << 2)) : rd(zp + <usize>(a * sStride), kind)) : 0;
    const base = <usize>t * inner;
    for (let j = 0; j < inner; j++) {
      const q = base + <usize>j;
      const xv: i32 = kind == 2 ? load<i32>(x + (q << 2)) : rd(x + q, kind);
      store<f32>(y + (q << 2), <f32>(xv - zi) * sc);
    }
  }
}

/** y = saturate(round_half_even(x / scale) + zp) to int8 (signed = 1) or uint8, per axis position or one scale. */
export function quantize(tid: i32, nt: i32, outer: i32, len: i32, inner: i32, x: usize, scale: usize, sStride: i32, zp: usize, signed: i32, y: usize): void {
  const total = outer * len;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const lo: f32 = signed ? -128 : 0, hi: f32 = signed ? 127 : 255;
  for (let t = t0; t < t1; t++) {
    const a = t % len;
    const sc = load<f32>(scale + (<usize>(a * sStride) << 2));
    const zf: f32 = zp ? <f32>rd(zp + <usize>(a * sStride), signed) : 0;
    const base = <usize>t * inner;
    for (let j = 0; j < inner; j++) {
      const q = base + <usize>j;
      let v: f32 = f32.nearest(load<f32>(x + (q << 2)) / sc) + zf;
      v = v != v ? <f32>0 : min<f32>(hi, max<f32>(lo, v));
      store<u8>(y + q, <u8>(<i32>v));
    }
  }
}

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
@inline function dot16(codes: v128, ae: usize, ao: usize, acc: v128): v128 {
  // 16 bytes = 32 codes: low nibbles against even A elements, high nibbles against odd ones
  const lo = v128.and(codes, i8x16.splat(15));
  const hi = i8x16.shr_u(codes, 4);
  const l16a = i16x8.extend_low_i8x16_u(lo), l16b = i16x8.extend_high_i8x16_u(lo);
  const h16a = i16x8.extend_low_i8x16_u(hi), h16b = i16x8.extend_high_i8x16_u(hi);
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(l16a)), v128.load(ae)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(l16a)), v128.load(ae + 16)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(l16b)), v128.load(ae + 32)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(l16b)), v128.load(ae + 48)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(h16a)), v128.load(ao)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(h16a)), v128.load(ao + 16)));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(h16b)), v128.load(ao + 32)));
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(h16b)), v128.load(ao + 48)));
}

/**
 * Y[M, N] = A · dequant(B)ᵀ (+ bias) straight from 4-bit codes: B [N, K/bs, bs/2] bytes, scales
 * [N · K/bs], zero points packed two per byte per row ([N, ceil(kb/2)], null = 8). Per block the sum
 * Σ a·q is taken on the codes and corrected once: s · (Σ a·q − z · Σ a). `sa` is nbitsSplitA's
 * output; `asum` [M, kb] holds the per-block sums of A. Threads split the N columns (decode has M = 1).
 * K is a multiple of bs and bs of 32.
 */
export function matmulNBits4(tid: i32, nt: i32, M: i32, N: i32, K: i32, bs: i32, sa: usize, asum: usize, b: usize, scales: usize,
  zp: usize, bias: usize, y: usize): void {
  const kb = K / bs, half = K >> 1, blob = bs >> 1, zpRow = (kb + 1) >> 1;
  const n0 = (<i64>N * tid / nt) as i32, n1 = (<i64>N * (tid + 1) / nt) as i32;
  for (let n = n0; n < n1; n++) {
    const bn = b + <usize>(n * kb * blob);
    for (let m = 0; m < M; m++) {
      const ae = sa + (<usize>(m * K) << 2), ao = ae + (<usize>half << 2);
      let total: f32 = 0;
      for (let blk = 0; blk < kb; blk++) {
        let acc = f32x4.splat(0);
        const bp = bn + <usize>(blk * blob);
        const off = <usize>(blk * blob) << 2;
        for (let j = 0; j < blob; j += 16) acc = dot16(v128.load(bp + <usize>j), ae + off + (<usize>j << 2), ao + off + (<usize>j << 2), acc);
        const dot = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        const z: f32 = zp ? <f32>((load<u8>(zp + <usize>(n * zpRow + (blk >> 1))) >> ((blk & 1) << 2)) & 15) : 8;
        total += load<f32>(scales + (<usize>(n * kb + blk) << 2)) * (dot - z * load<f32>(asum + (<usize>(m * kb + blk) << 2)));
      }
      store<f32>(y + (<usize>(m * N + n) << 2), total + (bias ? load<f32>(bias + (<usize>n << 2)) : 0));
    }
  }
}

/** Per-block sums of A [M, K] -> [M, K/bs]. */
export function nbitsBlockSums(tid: i32, nt: i32, M: i32, K: i32, bs: i32, a: usize, out: usize): void {
  const kb = K / bs;
  for (let t = tid; t < M * kb; t += nt) {
    const p = a + (<usize>(t * bs) << 2);
    let s: f32 = 0;
    for (let j = 0; j < bs; j++) s += load<f32>(p + (<usize>j << 2));
    store<f32>(out + (<usize>t << 2), s);
  }
}
