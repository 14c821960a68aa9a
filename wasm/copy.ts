// Data movement: one strided copy covers Transpose, Expand, Tile, Slice (with steps), Concat
// (one copy per input into the output's sub-block), Pad's interior and DepthToSpace. Shapes and
// strides (in elements) come in a small descriptor in memory: rank dims, then the source strides,
// then the destination strides, all i32. Element size 1, 2, 4 or 8 bytes.

/** Copy a tensor of `rank` dims from src (source strides) to dst (destination strides). Threads split the outer dim. */
export function copyStrided(tid: i32, nt: i32, rank: i32, desc: usize, src: usize, dst: usize, esize: i32): void {
  // innermost dim handled by a tight loop; the rest by a counter
  const inner = load<i32>(desc + (<usize>(rank - 1) << 2));
  const sIn = load<i32>(desc + (<usize>(2 * rank - 1) << 2));
  const dIn = load<i32>(desc + (<usize>(3 * rank - 1) << 2));
  let outer: i32 = 1;
  for (let d = 0; d < rank - 1; d++) outer *= load<i32>(desc + (<usize>d << 2));
  const o0 = outer * tid / nt, o1 = outer * (tid + 1) / nt;
  for (let o = o0; o < o1; o++) {
    // decompose o over dims 0..rank-2
    let rem = o, so: i32 = 0, dof: i32 = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const n = load<i32>(desc + (<usize>d << 2));
      const c = rem % n; rem /= n;
      so += c * load<i32>(desc + (<usize>(rank + d) << 2));
      dof += c * load<i32>(desc + (<usize>(2 * rank + d) << 2));
    }
    const s = src + <usize>so * esize, t = dst + <usize>dof * esize;
    if (sIn == 1 && dIn == 1) { memory.copy(t, s, <usize>inner * esize); continue; }
    if (esize == 4) {
      if (sIn == 0) {
        const v = v128.load32_splat(s);
        let k = 0;
        if (dIn == 1) for (; k + 4 <= inner; k += 4) v128.store(t + (<usize>k << 2), v);
        for (; k < inner; k++) store<u32>(t + (<usize>(k * dIn) << 2), load<u32>(s));
      } else {
        for (let k = 0; k < inner; k++) store<u32>(t + (<usize>(k * dIn) << 2), load<u32>(s + (<isize>(k * sIn) << 2)));
      }
    } else if (esize == 8) {
      for (let k = 0; k < inner; k++) store<u64>(t + (<usize>(k * dIn) << 3), load<u64>(s + (<isize>(k * sIn) << 3)));
    } else if (esize == 2) {
      for (let k = 0; k < inner; k++) store<u16>(t + (<usize>(k * dIn) << 1), load<u16>(s + (<isize>(k * sIn) << 1)));
    } else {
      for (let k = 0; k < inner; k++) store<u8>(t + <usize>(k * dIn), load<u8>(s + <isize>(k * sIn)));
    }
  }
}
