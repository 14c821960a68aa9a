// ArgMax / ArgMin over R in [outer, R, inner], int64 indices.

/**
 * ArgMax (isMax = 1) / ArgMin over R in [outer, R, inner] -> i64 indices. NaN beats every number
 * (the first NaN, or the last with selectLast); among equal values the first (or last) index wins.
 */
export function argReduce(tid: i32, nt: i32, isMax: i32, selectLast: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const o = t / inner, j = t % inner;
    const base = x + (<usize>(o * r * inner + j) << 2);
    const st = <usize>inner << 2;
    let best: f32 = load<f32>(base);
    let bi = 0;
    for (let k = 1; k < r; k++) {
      const v = load<f32>(base + <usize>k * st);
      let take: bool;
      if (best != best) take = selectLast != 0 && v != v;
      else if (v != v) take = true;
      else if (v == best) take = selectLast != 0;
      else take = isMax ? v > best : v < best;
      if (take) { best = v; bi = k; }
    }
    store<i64>(y + (<usize>t << 3), <i64>bi);
  }
}
