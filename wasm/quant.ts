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
 * DynamicQuantizeLinear, step 1: this thread's min and max over its share of x, folded with 0
 * (the range always includes zero), into part[2·tid], part[2·tid+1]. NaNs are skipped.
 */
export function minMaxPartial(tid: i32, nt: i32, n: i32, x: usize, part: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  let mn: f32 = 0, mx: f32 = 0;
  let i = i0;
  if (i1 - i0 >= 8) {
    let vmn = f32x4.splat(0), vmx = f32x4.splat(0);
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      // pmin/pmax keep the accumulator where v is NaN (comparison false)
      vmn = f32x4.pmin(vmn, v); vmx = f32x4.pmax(vmx, v);
    }
    mn = min(min(f32x4.extract_lane(vmn, 0), f32x4.extract_lane(vmn, 1)), min(f32x4.extract_lane(vmn, 2), f32x4.extract_lane(vmn, 3)));
    mx = max(max(f32x4.extract_lane(vmx, 0), f32x4.extract_lane(vmx, 1)), max(f32x4.extract_lane(vmx, 2), f32x4.extract_lane(vmx, 3)));
  }
  for (; i < i1; i++) { const v = load<f32>(x + (<usize>i << 2)); if (v < mn) mn = v; if (v > mx) mx = v; }
  store<f32>(part + (<usize>tid << 3), mn);
  store<f32>(part + (<usize>tid << 3) + 4, mx);
}

/** Step 2 (called on one thread; tid and nt unused): scale and zero point from `parts` partial ranges, as the spec's float32 formula. */
export function dynamicQuantParams(tid: i32, nt: i32, parts: i32, part: usize, scaleOut: usize, zpOut: usize): void {
  let mn: f32 = 0, mx: f32 = 0;
  for (let t = 0; t < parts; t++) {
    mn = min(mn, load<f32>(part + (<usize>t << 3)));
    mx = max(mx, load<f32>(part + (<usize>t << 3) + 4));
  }
  const scale: f32 = (mx == mn ? <f32>1 : mx - mn) / <f32>255;
  const zpF: f32 = <f32>0 - mn / scale;
  const zp = f32.nearest(min<f32>(255, max<f32>(0, zpF)));
  store<f32>(scaleOut, scale);
  store<u8>(zpOut, <u8>(<i32>zp));
}

/** y (i32) = round(x), for integer-valued float results (ConvInteger computed in float). */
export function f32ToI32(tid: i32, nt: i32, n: i32, x: usize, y: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  for (let i = i0; i < i1; i++) store<i32>(y + (<usize>i << 2), <i32>f32.nearest(load<f32>(x + (<usize>i << 2))));
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
