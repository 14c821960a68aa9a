// Comparisons of integer tensors (the float ones are k.map code): one side may be a scalar.

/** y[i] = a[i] OP b[i] as a bool byte; OP 0 eq, 1 lt, 2 gt, 3 le, 4 ge; sa / sb = 1 when that side is a scalar. */
export function compare_i64(tid: i32, nt: i32, op: i32, n: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize): void {
  const i0 = n * tid / nt, i1 = n * (tid + 1) / nt;
  for (let i = i0; i < i1; i++) {
    const x = load<i64>(a + (<usize>(sa ? 0 : i) << 3)), z = load<i64>(b + (<usize>(sb ? 0 : i) << 3));
    const r = op == 0 ? x == z : op == 1 ? x < z : op == 2 ? x > z : op == 3 ? x <= z : x >= z;
    store<u8>(y + <usize>i, r ? 1 : 0);
  }
}

/** The same over int32. */
export function compare_i32(tid: i32, nt: i32, op: i32, n: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize): void {
  const i0 = n * tid / nt, i1 = n * (tid + 1) / nt;
  for (let i = i0; i < i1; i++) {
    const x = load<i32>(a + (<usize>(sa ? 0 : i) << 2)), z = load<i32>(b + (<usize>(sb ? 0 : i) << 2));
    const r = op == 0 ? x == z : op == 1 ? x < z : op == 2 ? x > z : op == 3 ? x <= z : x >= z;
    store<u8>(y + <usize>i, r ? 1 : 0);
  }
}
