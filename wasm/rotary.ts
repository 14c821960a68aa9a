// RotaryEmbedding.

/**
 * RotaryEmbedding: rotate the first `rot` entries of every head in pairs (m, m + rot/2), or
 * (2m, 2m+1) when interleaved, by cos/sin of the token's cache row; the rest is copied. The cache
 * row is position_ids[b, s] (i64, pos != 0) or b·cb + s·cs. Returns 1 + the bad (b·S + s) when a
 * position id is out of range, else 0.
 */
export function rope(tid: i32, nt: i32, B: i32, H: i32, S: i32, D: i32, rot: i32, interleaved: i32,
  sb: i32, sh: i32, ss: i32, x: usize, y: usize, cos: usize, sin: usize,
  pos: usize, pb: i32, ps: i32, maxPos: i32, cb: i32, cs: i32): i32 {
  const half = rot / 2;
  const total = B * S * H;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const h = t % H, s = (t / H) % S, b = t / (H * S);
    let row: i32;
    if (pos) {
      let p = load<i64>(pos + (<usize>(b * pb + s * ps) << 3));
      if (p < 0) p += maxPos;
      if (p < 0 || p >= maxPos) return 1 + b * S + s;
      row = <i32>p;
    } else row = b * cb + s * cs;
    const c = cos + (<usize>(row * half) << 2), sn = sin + (<usize>(row * half) << 2);
    const xo = x + (<usize>(b * sb + h * sh + s * ss) << 2), yo = y + (<usize>(b * sb + h * sh + s * ss) << 2);
    for (let m = 0; m < half; m++) {
      const i1 = interleaved ? 2 * m : m, i2 = interleaved ? 2 * m + 1 : m + half;
      const cv = load<f32>(c + (<usize>m << 2)), sv = load<f32>(sn + (<usize>m << 2));
      const x1 = load<f32>(xo + (<usize>i1 << 2)), x2 = load<f32>(xo + (<usize>i2 << 2));
      store<f32>(yo + (<usize>i1 << 2), cv * x1 - sv * x2);
      store<f32>(yo + (<usize>i2 << 2), sv * x1 + cv * x2);
    }
    for (let d = rot; d < D; d++) store<f32>(yo + (<usize>d << 2), load<f32>(xo + (<usize>d << 2)));
  }
  return 0;
}
