// ConvInteger (2-D, one group per call) as an integer GEMM: tiles of output columns are gathered
// (im2col) as 16-bit pairs into a per-thread scratch, then multiplied by weights packed as 16-bit
// pairs with i32x4.dot_i16x8_s, in int32. Exact for every 8-bit input: |x|, |w - wz| <= 255, so a
// pair sums to under 2^17 and K up to 2^14 stays within int32.
//
// Descriptor (i32): C, H, W, OH, OW, KH, KW, strideH, strideW, padH, padW, dilH, dilW, K, Kp, M, T, P, 0
// (K = C·KH·KW, Kp = ceil(K/2) pairs, T = columns per tile, a multiple of 8, P = OH·OW), then for the
// stride-1 path: Hp, Wp (padded), plane (i16 pairs per padded channel pair), Cp = ceil(C/2), taps, and
// per tap its byte offset in a padded plane.
// Packed weights: [ceil(M/4)][Kp][4 rows][2] i16 of w - wz (zero past M and K); rowSum[m] = Σk (w - wz).
// Y[m, p] = Σk x[k, p]·(w - wz)[m, k] - xz·rowSum[m], where padding reads x = xz (the spec's padding).

import { panel4x8, rd } from './lib/int8';

// @ts-ignore: decorator
@inline function lo16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
// @ts-ignore: decorator
@inline function hi16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/**
 * The 8 columns p..p+7 of one patch row (channel plane xc, offsets offY/offX of its kernel tap) as i16
 * lanes; (oy, ox) is column p's output position. Contiguous rows (stride 1, one output row, inside the
 * image) are one 8-byte load; anything else goes lane by lane through tmp.
 */
// @ts-ignore: decorator
@inline function row8(H: i32, W: i32, OW: i32, sh: i32, sw: i32, P: i32, xc: usize, offY: i32, offX: i32,
  oy: i32, ox: i32, p: i32, signed: i32, xz: i32, tmp: usize): v128 {
  if (sw == 1 && ox + 8 <= OW && p + 8 <= P) {
    const iy = oy * sh + offY, ix = ox + offX;
    if (iy < 0 || iy >= H) return i16x8.splat(<i16>xz);
    if (ix >= 0 && ix + 8 <= W) {
      const v = v128.load64_zero(xc + <usize>(iy * W + ix));
      return signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
    }
  }
  for (let j = 0; j < 8; j++) {
    let v = xz;
    if (p + j < P) {
      const iy = oy * sh + offY, ix = ox * sw + offX;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = rd(xc + <usize>(iy * W + ix), signed);
    }
    store<i16>(tmp + (<usize>j << 1), <i16>v);
    if (++ox == OW) {
      ox = 0;
      oy++;
    }
  }
  return v128.load(tmp);
}

/**
 * Packs columns [p0, p0 + n) of the patch matrix as [panel of 8][Kp][8 columns][2] i16: pair by pair
 * (kernel taps k, k+1 stepped without divisions), each pair across the tile's panels.
 */
function packTile(g: usize, x: usize, signed: i32, xz: i32, p0: i32, n: i32, dst: usize, tmp: usize): void {
  const H = load<i32>(g, 4), W = load<i32>(g, 8), OW = load<i32>(g, 16);
  const KH = load<i32>(g, 20), KW = load<i32>(g, 24);
  const ph = load<i32>(g, 36), pw = load<i32>(g, 40), dh = load<i32>(g, 44), dw = load<i32>(g, 48);
  const K = load<i32>(g, 52), Kp = load<i32>(g, 56);
  const sh = load<i32>(g, 28), sw = load<i32>(g, 32), P = load<i32>(g, 68);
  const plane = <usize>(H * W), panelBytes = <usize>(Kp << 5);
  const oy0 = p0 / OW, ox0 = p0 % OW;
  const zero = i16x8.splat(0);
  let c = 0, ky = 0, kx = 0;
  for (let q = 0; q < Kp; q++) {
    const xa = x + <usize>c * plane, ya = ky * dh - ph, xa2 = kx * dw - pw;
    if (++kx == KW) { kx = 0; if (++ky == KH) { ky = 0; c++; } }
    const has1 = (q << 1) + 1 < K;
    const xb = x + <usize>c * plane, yb = ky * dh - ph, xb2 = kx * dw - pw;
    if (++kx == KW) { kx = 0; if (++ky == KH) { ky = 0; c++; } }
    let oy = oy0, ox = ox0;
    let d = dst + (<usize>q << 5);
    for (let p = p0; p < p0 + n; p += 8) {
      const a = row8(H, W, OW, sh, sw, P, xa, ya, xa2, oy, ox, p, signed, xz, tmp);
      const b = has1 ? row8(H, W, OW, sh, sw, P, xb, yb, xb2, oy, ox, p, signed, xz, tmp) : zero;
      v128.store(d, lo16(a, b));
      v128.store(d, hi16(a, b), 16);
      d += panelBytes;
      ox += 8;
      while (ox >= OW) {
        ox -= OW;
        oy++;
      }
    }
  }
}

/**
 * One image and group: y[M, OH·OW] (int32) from x[C, H, W] (int8 if signed, else uint8) with zero
 * point *xzp (0 when null). Threads take whole tiles; each has Kp·4·T + 64 bytes of scratch.
 */
export function convInteger(tid: i32, nt: i32, desc: usize, x: usize, signed: i32, xzp: usize, wp: usize,
  rowSum: usize, y: usize, scratch: usize, scratchStride: i32): void {
  const OH = load<i32>(desc, 12), OW = load<i32>(desc, 16);
  const Kp = load<i32>(desc, 56), M = load<i32>(desc, 60), T = load<i32>(desc, 64);
  const P = OH * OW;
  const xz = xzp ? rd(xzp, signed) : 0;
  const tiles = (P + T - 1) / T;
  const t0 = tiles * tid / nt, t1 = tiles * (tid + 1) / nt;
  const buf = scratch + <usize>tid * <usize>scratchStride;
  const tmp = buf + <usize>(Kp * 4 * T);
  for (let t = t0; t < t1; t++) {
    const p0 = t * T, n = min(T, P - p0);
    packTile(desc, x, signed, xz, p0, n, buf, tmp);
    for (let m = 0; m < M; m += 4) {
      const wb = wp + <usize>(m >> 2) * <usize>(Kp << 4);
      for (let p = 0; p < n; p += 8) {
        const bp = buf + <usize>(p >> 3) * <usize>(Kp << 5);
        panel4x8(wb, bp, 1, desc + 72, Kp, 32, rowSum, xz, m, M, y + (<usize>(p0 + p) << 2), P, n - p);
      }
    }
  }
}

/**
 * Stride 1, step 1: x into padded planes of channel pairs, [Cp][plane][2] i16 (plane: Hp·Wp and 8 or more
 * pixels of slack, a multiple of 4), the padding (and the missing channel of an odd count) = xz. Threads
 * split channel pairs.
 */
export function padPairs(tid: i32, nt: i32, desc: usize, x: usize, signed: i32, xzp: usize, xp: usize): void {
  const C = load<i32>(desc), H = load<i32>(desc, 4), W = load<i32>(desc, 8);
  const ph = load<i32>(desc, 36), pw = load<i32>(desc, 40);
  const Hp = load<i32>(desc, 76), Wp = load<i32>(desc, 80), plane = load<i32>(desc, 84), Cp = load<i32>(desc, 88);
  const xz = xzp ? rd(xzp, signed) : 0;
  const fill = i16x8.splat(<i16>xz);
  const q0 = Cp * tid / nt, q1 = Cp * (tid + 1) / nt;
  for (let q = q0; q < q1; q++) {
    const base = xp + (<usize>q * <usize>plane << 2);
    for (let i: usize = 0; i < <usize>plane << 2; i += 16) v128.store(base + i, fill);
    const ca = x + <usize>(2 * q) * <usize>(H * W), two = 2 * q + 1 < C;
    const cb = two ? ca + <usize>(H * W) : ca;
    for (let iy = 0; iy < H; iy++) {
      const ra = ca + <usize>(iy * W), rb = cb + <usize>(iy * W);
      const d = base + (<usize>((iy + ph) * Wp + pw) << 2);
      let ix = 0;
      for (; ix + 8 <= W; ix += 8) {
        let a = v128.load64_zero(ra + <usize>ix), b = two ? v128.load64_zero(rb + <usize>ix) : fill;
        a = signed ? i16x8.extend_low_i8x16_s(a) : i16x8.extend_low_i8x16_u(a);
        if (two) b = signed ? i16x8.extend_low_i8x16_s(b) : i16x8.extend_low_i8x16_u(b);
        v128.store(d + (<usize>ix << 2), lo16(a, b));
        v128.store(d + (<usize>ix << 2), hi16(a, b), 16);
      }
      for (; ix < W; ix++) {
        store<i16>(d + (<usize>ix << 2), <i16>rd(ra + <usize>ix, signed));
        store<i16>(d + (<usize>ix << 2), <i16>(two ? rd(rb + <usize>ix, signed) : xz), 2);
      }
    }
  }
}

/**
 * Stride 1, step 2: every tap is the padded planes shifted, so the kernel reads them in place (no
 * im2col). Weights packed tap by tap: [ceil(M/4)][taps][Cp][4][2]. Threads split output rows.
 */
export function convIntegerShifted(tid: i32, nt: i32, desc: usize, xp: usize, signed: i32, xzp: usize, wp: usize,
  rowSum: usize, y: usize): void {
  const OH = load<i32>(desc, 12), OW = load<i32>(desc, 16), M = load<i32>(desc, 60);
  const Wp = load<i32>(desc, 80), plane = load<i32>(desc, 84), Cp = load<i32>(desc, 88), taps = load<i32>(desc, 92);
  const xz = xzp ? rd(xzp, signed) : 0;
  const P = OH * OW, block = <usize>(taps * Cp) << 4, stride = <usize>plane << 2;
  const r0 = OH * tid / nt, r1 = OH * (tid + 1) / nt;
  for (let oy = r0; oy < r1; oy++) {
    const row = xp + (<usize>(oy * Wp) << 2), yr = y + (<usize>(oy * OW) << 2);
    for (let m = 0; m < M; m += 4) {
      const wb = wp + <usize>(m >> 2) * block;
      for (let ox = 0; ox < OW; ox += 8) {
        panel4x8(wb, row + (<usize>ox << 2), taps, desc + 96, Cp, stride, rowSum, xz, m, M, yr + (<usize>ox << 2), P,
          OW - ox);
      }
    }
  }
}
