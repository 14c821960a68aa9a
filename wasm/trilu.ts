// Trilu.

/** Trilu: keep j - i >= k (upper) or j - i <= k (lower) in each rows×cols matrix, zero the rest. */
export function trilu(tid: i32, nt: i32, mats: i32, rows: i32, cols: i32, k: i32, upper: i32, x: usize, y: usize, esize: i32): void {
  const total = mats * rows;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const rowBytes = <usize>cols * esize;
  for (let t = t0; t < t1; t++) {
    const i = t % rows;
    const s = x + <usize>t * rowBytes, d = y + <usize>t * rowBytes;
    // kept columns form one range [lo, hi)
    let lo: i32, hi: i32;
    if (upper) { lo = max(0, min(cols, i + k)); hi = cols; } else { lo = 0; hi = max(0, min(cols, i + k + 1)); }
    if (lo > 0) memory.fill(d, 0, <usize>lo * esize);
    if (hi > lo) memory.copy(d + <usize>lo * esize, s + <usize>lo * esize, <usize>(hi - lo) * esize);
    if (hi < cols) memory.fill(d + <usize>hi * esize, 0, <usize>(cols - hi) * esize);
  }
}
