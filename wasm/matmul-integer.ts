// MatMulInteger: int8/uint8 operands with zero points, int32 result. Signed flags pick int8 (1)
// or uint8 (0) reads.

import { rd } from './lib/int8';

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
