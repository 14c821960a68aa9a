// MatMulInteger: int8/uint8 operands with zero points, int32 result. Signed flags pick int8 (1)
// or uint8 (0) reads. With a constant B: A's rows less their zero points packed as 16-bit pairs, times
// B's panels (packed once) with i32x4.dot_i16x8_s (lib/int8.ts's panel).

import { panel4x8, rd } from './lib/int8';

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

/**
 * Rows of A less their zero points as 16-bit pairs, [batch][ceil(M/4)][Kp][4][2] (zero past M and K).
 * Threads split row blocks.
 */
export function packRowPairs(tid: i32, nt: i32, M: i32, K: i32, batch: i32, a: usize, signed: i32, bsa: i32,
  za: usize, zaStride: i32, dst: usize): void {
  const Mb = (M + 3) >> 2, Kp = (K + 1) >> 1, total = batch * Mb;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const bi = t / Mb, mb = t % Mb;
    const d = dst + <usize>t * <usize>(Kp << 4);
    for (let r = 0; r < 4; r++) {
      const m = mb * 4 + r;
      const row = a + <usize>(bi * bsa + m * K);
      const z = m < M && za ? rd(za + <usize>(m * zaStride), signed) : 0;
      for (let k = 0; k < Kp << 1; k++) {
        const v = m < M && k < K ? rd(row + <usize>k, signed) - z : 0;
        store<i16>(d + (<usize>(k >> 1) << 4) + (<usize>r << 2) + (<usize>(k & 1) << 1), <i16>v);
      }
    }
  }
}

/**
 * Y[M, N] (i32, per batch) = packed rows (packRowPairs) × B's packed panels [ceil(N/8)][Kp][8][2], one B for
 * every batch. zero: the address of an i32 0 (the panel's one tap offset). Threads split row blocks × panels.
 */
export function matmulIntegerPanels(tid: i32, nt: i32, M: i32, N: i32, K: i32, batch: i32, ap: usize, bp: usize,
  zero: usize, y: usize): void {
  const Mb = (M + 3) >> 2, Nb = (N + 7) >> 3, Kp = (K + 1) >> 1;
  const per = Mb * Nb, total = batch * per;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const bi = t / per, mb = (t % per) / Nb, nb = t % Nb;
    const a = ap + <usize>(bi * Mb + mb) * <usize>(Kp << 4), b = bp + <usize>nb * <usize>(Kp << 5);
    const yb = y + (<usize>(bi * M) * <usize>N << 2) + (<usize>(nb << 3) << 2);
    panel4x8(a, b, 1, zero, Kp, 32, 0, 0, mb << 2, M, yb, N, N - (nb << 3));
  }
}
