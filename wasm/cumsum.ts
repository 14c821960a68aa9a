// CumSum over R in [outer, R, inner].

/** CumSum along R in [outer, R, inner], optionally exclusive and/or reversed. */
export function cumsum(tid: i32, nt: i32, exclusive: i32, reverse: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const o = t / inner, j = t % inner;
    const off = <usize>(o * r * inner + j) << 2;
    const st = <usize>inner << 2;
    let s: f32 = 0;
    for (let q = 0; q < r; q++) {
      const k = reverse ? r - 1 - q : q;
      const v = load<f32>(x + off + <usize>k * st);
      if (exclusive) { store<f32>(y + off + <usize>k * st, s); s += v; }
      else { s += v; store<f32>(y + off + <usize>k * st, s); }
    }
  }
}
