// Convolution via im2col + the packed GEMM of matmul.ts: the input patches of one image and one
// group become a [C/g·k, P] matrix (rows: channel and kernel offset, columns: output positions)
// that the weights multiply. Up to 3 spatial dims; the descriptor (i32) holds, per spatial dim d
// (0..2, missing ones are 1): in[d], k[d], stride[d], padBegin[d], dilation[d], out[d].

/** Rows [r0, r1) of the patch matrix for channels of one image. Threads split rows. */
export function im2col(tid: i32, nt: i32, C: i32, desc: usize, x: usize, col: usize): void {
  const i0 = load<i32>(desc), i1 = load<i32>(desc, 4), i2 = load<i32>(desc, 8);
  const k0 = load<i32>(desc, 12), k1 = load<i32>(desc, 16), k2 = load<i32>(desc, 20);
  const s0 = load<i32>(desc, 24), s1 = load<i32>(desc, 28), s2 = load<i32>(desc, 32);
  const p0 = load<i32>(desc, 36), p1 = load<i32>(desc, 40), p2 = load<i32>(desc, 44);
  const d0 = load<i32>(desc, 48), d1 = load<i32>(desc, 52), d2 = load<i32>(desc, 56);
  const o0 = load<i32>(desc, 60), o1 = load<i32>(desc, 64), o2 = load<i32>(desc, 68);
  const K = k0 * k1 * k2, P = o0 * o1 * o2, plane = i0 * i1 * i2;
  const rows = C * K;
  const r0 = rows * tid / nt, r1 = rows * (tid + 1) / nt;
  for (let r = r0; r < r1; r++) {
    const c = r / K;
    let q = r % K;
    const kk2 = q % k2; q /= k2;
    const kk1 = q % k1; const kk0 = q / k1;
    const xc = x + (<usize>(c * plane) << 2);
    let dst = col + (<usize>r * <usize>P << 2);
    for (let a = 0; a < o0; a++) {
      const y0 = a * s0 - p0 + kk0 * d0;
      const in0 = y0 >= 0 && y0 < i0;
      for (let b = 0; b < o1; b++) {
        const y1 = b * s1 - p1 + kk1 * d1;
        const in1 = in0 && y1 >= 0 && y1 < i1;
        const rowBase = xc + (<usize>((y0 * i1 + y1) * i2) << 2);
        if (!in1) { memory.fill(dst, 0, <usize>o2 << 2); dst += <usize>o2 << 2; continue; }
        if (s2 == 1 && d2 == 1) {
          // contiguous run with zero padding at the ends
          const start = -p2 + kk2;
          for (let e = 0; e < o2; e++) {
            const y2 = start + e;
            store<f32>(dst + (<usize>e << 2), y2 >= 0 && y2 < i2 ? load<f32>(rowBase + (<isize>y2 << 2)) : 0);
          }
        } else {
          for (let e = 0; e < o2; e++) {
            const y2 = e * s2 - p2 + kk2 * d2;
            store<f32>(dst + (<usize>e << 2), y2 >= 0 && y2 < i2 ? load<f32>(rowBase + (<isize>y2 << 2)) : 0);
          }
        }
        dst += <usize>o2 << 2;
      }
    }
  }
}

/**
 * col2im for ConvTranspose: y[c, o…] += col[(c, k…), i…] for every input position i and kernel
 * offset k with o = i·stride - padBegin + k·dilation inside the output. The descriptor is im2col's
 * with the roles named from the output's side: in[d] = output dims, out[d] = input dims. Threads
 * split channels, so no two threads write the same output element. y must hold the bias (or 0).
 */
export function col2im(tid: i32, nt: i32, C: i32, desc: usize, col: usize, y: usize): void {
  const i0 = load<i32>(desc), i1 = load<i32>(desc, 4), i2 = load<i32>(desc, 8);
  const k0 = load<i32>(desc, 12), k1 = load<i32>(desc, 16), k2 = load<i32>(desc, 20);
  const s0 = load<i32>(desc, 24), s1 = load<i32>(desc, 28), s2 = load<i32>(desc, 32);
  const p0 = load<i32>(desc, 36), p1 = load<i32>(desc, 40), p2 = load<i32>(desc, 44);
  const d0 = load<i32>(desc, 48), d1 = load<i32>(desc, 52), d2 = load<i32>(desc, 56);
  const o0 = load<i32>(desc, 60), o1 = load<i32>(desc, 64), o2 = load<i32>(desc, 68);
  const K = k0 * k1 * k2, P = o0 * o1 * o2, plane = i0 * i1 * i2;
  const c0 = C * tid / nt, c1 = C * (tid + 1) / nt;
  for (let c = c0; c < c1; c++) {
    const yc = y + (<usize>(c * plane) << 2);
    for (let q = 0; q < K; q++) {
      const kk2 = q % k2, kk1 = (q / k2) % k1, kk0 = q / (k1 * k2);
      let src = col + (<usize>(c * K + q) * <usize>P << 2);
      for (let a = 0; a < o0; a++) {
        const y0 = a * s0 - p0 + kk0 * d0;
        for (let b = 0; b < o1; b++) {
          const y1 = b * s1 - p1 + kk1 * d1;
          if (y0 < 0 || y0 >= i0 || y1 < 0 || y1 >= i1) { src += <usize>o2 << 2; continue; }
          const rowBase = yc + (<usize>((y0 * i1 + y1) * i2) << 2);
          for (let e = 0; e < o2; e++) {
            const y2 = e * s2 - p2 + kk2 * d2;
            if (y2 >= 0 && y2 < i2) { const p = rowBase + (<usize>y2 << 2); store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>e << 2))); }
          }
          src += <usize>o2 << 2;
        }
      }
    }
  }
}

/**
 * Depthwise convolution (one input channel per group, `mult` output channels each), 2-D (1-D as
 * H = 1), computed directly: no patch matrix. Threads split the N·M·OH output rows. Each output
 * row starts at its bias and takes, per kernel tap, a scaled span of one input row (contiguous
 * and vectorised at stride 1), so padding is handled by the span's bounds, not per element.
 * Descriptor (i32): C H W OH OW KH KW sh sw ph pw dh dw mult N. act: 0 none, 1 relu.
 */
export function depthwise(tid: i32, nt: i32, desc: usize, x: usize, w: usize, bias: usize, y: usize, act: i32): void {
  const C = load<i32>(desc), H = load<i32>(desc, 4), W = load<i32>(desc, 8), OH = load<i32>(desc, 12), OW = load<i32>(desc, 16);
  const KH = load<i32>(desc, 20), KW = load<i32>(desc, 24), sh = load<i32>(desc, 28), sw = load<i32>(desc, 32);
  const ph = load<i32>(desc, 36), pw = load<i32>(desc, 40), dh = load<i32>(desc, 44), dw = load<i32>(desc, 48);
  const mult = load<i32>(desc, 52), N = load<i32>(desc, 56);
  const M = C * mult;
  const rows = N * M * OH;
  const r0 = (<i64>rows * tid / nt) as i32, r1 = (<i64>rows * (tid + 1) / nt) as i32;
  for (let r = r0; r < r1; r++) {
    const oh = r % OH, nm = r / OH;
    const m = nm % M, b = nm / M;
    const c = m / mult;
    const dst = y + (<usize>r * <usize>OW << 2);
    const bv: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
    const bs = f32x4.splat(bv);
    let o = 0;
    for (; o + 4 <= OW; o += 4) v128.store(dst + (<usize>o << 2), bs);
    for (; o < OW; o++) store<f32>(dst + (<usize>o << 2), bv);
    const xc = x + (<usize>(b * C + c) * <usize>(H * W) << 2);
    const wm = w + (<usize>(m * KH * KW) << 2);
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh - ph + kh * dh;
      if (ih < 0 || ih >= H) continue;
      const xr = xc + (<usize>(ih * W) << 2);
      for (let kw = 0; kw < KW; kw++) {
        const wt = load<f32>(wm + (<usize>(kh * KW + kw) << 2));
        const off = kw * dw - pw; // iw = o·sw + off
        // outputs whose input column falls inside the row: lo ≤ o < hi
        let lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
        let hi = W - 1 - off < 0 ? 0 : (W - 1 - off) / sw + 1;
        if (hi > OW) hi = OW;
        if (lo >= hi) continue;
        if (sw == 1) {
          const wv = f32x4.splat(wt);
          let q = lo;
          for (; q + 4 <= hi; q += 4) {
            const d = dst + (<usize>q << 2);
            v128.store(d, f32x4.add(v128.load(d), f32x4.mul(wv, v128.load(xr + (<usize>(q + off) << 2)))));
          }
          for (; q < hi; q++) { const d = dst + (<usize>q << 2); store<f32>(d, load<f32>(d) + wt * load<f32>(xr + (<usize>(q + off) << 2))); }
        } else {
          for (let q = lo; q < hi; q++) { const d = dst + (<usize>q << 2); store<f32>(d, load<f32>(d) + wt * load<f32>(xr + (<usize>(q * sw + off) << 2))); }
        }
      }
    }
    if (act == 1) {
      const z = f32x4.splat(0);
      let q = 0;
      for (; q + 4 <= OW; q += 4) { const d = dst + (<usize>q << 2); v128.store(d, f32x4.max(v128.load(d), z)); }
      for (; q < OW; q++) { const d = dst + (<usize>q << 2); store<f32>(d, max<f32>(load<f32>(d), 0)); }
    }
  }
}

/** y (i32) = round(x), for integer-valued float results (ConvInteger computed in float). */
export function f32ToI32(tid: i32, nt: i32, n: i32, x: usize, y: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  for (let i = i0; i < i1; i++) store<i32>(y + (<usize>i << 2), <i32>f32.nearest(load<f32>(x + (<usize>i << 2))));
}
