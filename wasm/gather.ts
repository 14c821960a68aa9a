// Gather along an axis.

/**
 * Gather along an axis: src [outer, axisLen, inner], indices (n of them, i32 or i64 by `idx64`,
 * negative counting from the end) -> dst [outer, n, inner]. Returns the first bad index + 1 (0 = ok).
 */
export function gather(tid: i32, nt: i32, outer: i32, axisLen: i32, inner: i32, src: usize, idx: usize, n: i32, idx64: i32, dst: usize, esize: i32): i32 {
  const total = outer * n;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const rowBytes = <usize>inner * esize;
  for (let t = t0; t < t1; t++) {
    const o = t / n, j = t % n;
    let ix: i64 = idx64 ? load<i64>(idx + (<usize>j << 3)) : <i64>load<i32>(idx + (<usize>j << 2));
    if (ix < 0) ix += axisLen;
    if (ix < 0 || ix >= axisLen) return j + 1;
    memory.copy(dst + <usize>t * rowBytes, src + (<usize>o * axisLen + <usize>ix) * rowBytes, rowBytes);
  }
  return 0;
}
