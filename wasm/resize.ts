// Resize along one axis of a tensor viewed as [outer, inLen, inner]: each output position y takes
// n taps (input index, weight) from tables the JS side built with the reference's coordinate
// transformation and kernel (nearest, linear, cubic, antialias, exclude_outside), so every mode
// shares this one loop. A non-null `extrap` (u8 per y) marks positions that take `extrapValue`
// (tf_crop_and_resize). Threads split the outer × outLen rows.

export function resizeAxis(tid: i32, nt: i32, outer: i32, inLen: i32, outLen: i32, inner: i32, n: i32,
  idx: usize, w: usize, extrap: usize, extrapValue: f32, x: usize, y: usize): void {
  const rows = outer * outLen;
  const r0 = (<i64>rows * tid / nt) as i32, r1 = (<i64>rows * (tid + 1) / nt) as i32;
  const i4 = inner & ~3;
  for (let r = r0; r < r1; r++) {
    const o = r / outLen, q = r % outLen;
    const dst = y + (<usize>r * <usize>inner << 2);
    if (extrap && load<u8>(extrap + <usize>q)) {
      const v = f32x4.splat(extrapValue);
      let i = 0;
      for (; i < i4; i += 4) v128.store(dst + (<usize>i << 2), v);
      for (; i < inner; i++) store<f32>(dst + (<usize>i << 2), extrapValue);
      continue;
    }
    const src = x + (<usize>o * <usize>inLen * <usize>inner << 2);
    const tap = <usize>(q * n) << 2;
    if (inner == 1) {
      let acc: f32 = 0;
      for (let j = 0; j < n; j++) {
        const wt = load<f32>(w + tap + (<usize>j << 2));
        acc += wt * load<f32>(src + (<usize>load<i32>(idx + tap + (<usize>j << 2)) << 2));
      }
      store<f32>(dst, acc);
      continue;
    }
    // first tap writes, the others accumulate (weights of zero are skipped)
    let first = true;
    for (let j = 0; j < n; j++) {
      const wt = load<f32>(w + tap + (<usize>j << 2));
      if (wt == 0 && !(first && j == n - 1)) continue;
      const s = src + (<usize>load<i32>(idx + tap + (<usize>j << 2)) * <usize>inner << 2);
      const wv = f32x4.splat(wt);
      let i = 0;
      if (first) {
        for (; i < i4; i += 4) v128.store(dst + (<usize>i << 2), f32x4.mul(wv, v128.load(s + (<usize>i << 2))));
        for (; i < inner; i++) store<f32>(dst + (<usize>i << 2), wt * load<f32>(s + (<usize>i << 2)));
        first = false;
      } else {
        for (; i < i4; i += 4) {
          const d = dst + (<usize>i << 2);
          v128.store(d, f32x4.add(v128.load(d), f32x4.mul(wv, v128.load(s + (<usize>i << 2)))));
        }
        for (; i < inner; i++) { const d = dst + (<usize>i << 2); store<f32>(d, load<f32>(d) + wt * load<f32>(s + (<usize>i << 2))); }
      }
    }
    if (first) { let i = 0; for (; i < inner; i++) store<f32>(dst + (<usize>i << 2), 0); }
  }
}
