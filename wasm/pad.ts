// Pad in reflect, edge and wrap modes: each output element reads the input element that the
// per-axis index maps give for its coordinates (the maps come from the op's own rule).

/**
 * y[o] = x[sum over axes a of map_a[o_a]] for 4-byte elements. desc holds, as i32: the output dims
 * (rank), then where each axis' map starts (rank), then the maps, one input offset (in elements,
 * stride applied) per output coordinate. Rows of the last axis are split across threads.
 */
export function pad_map32(tid: i32, nt: i32, rank: i32, desc: usize, x: usize, y: usize): void {
  const starts = desc + (<usize>rank << 2);
  const maps = desc + (<usize>(2 * rank) << 2);
  const last = load<i32>(desc + (<usize>(rank - 1) << 2));
  const lastMap = maps + (<usize>load<i32>(starts + (<usize>(rank - 1) << 2)) << 2);
  let rows = 1;
  for (let a = 0; a < rank - 1; a++) rows *= load<i32>(desc + (<usize>a << 2));
  const r0 = rows * tid / nt, r1 = rows * (tid + 1) / nt;
  for (let r = r0; r < r1; r++) {
    let rem = r, base = 0;
    for (let a = rank - 2; a >= 0; a--) {
      const d = load<i32>(desc + (<usize>a << 2));
      const c = rem % d;
      rem /= d;
      base += load<i32>(maps + (<usize>(load<i32>(starts + (<usize>a << 2)) + c) << 2));
    }
    const out = y + (<usize>r * <usize>last << 2);
    for (let j = 0; j < last; j++) {
      const src = base + load<i32>(lastMap + (<usize>j << 2));
      store<u32>(out + (<usize>j << 2), load<u32>(x + (<usize>src << 2)));
    }
  }
}
