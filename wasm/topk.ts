// TopK over the last axis of [rows, n] (the JS side transposes other axes there): an insertion
// buffer of k entries per row, O(n) for the common small k. Ties keep the lower index first, as
// ONNX specifies. Values f32, indices i64.

export function topk(tid: i32, nt: i32, rows: i32, n: i32, k: i32, largest: i32, x: usize, vals: usize, idx: usize): void {
  const r0 = rows * tid / nt, r1 = rows * (tid + 1) / nt;
  for (let r = r0; r < r1; r++) {
    const row = x + (<usize>(r * n) << 2);
    const vo = vals + (<usize>(r * k) << 2), io = idx + (<usize>(r * k) << 3);
    let cnt = 0;
    for (let i = 0; i < n; i++) {
      let v = load<f32>(row + (<usize>i << 2));
      // NaN ranks above everything when largest (and below when smallest), as numpy's sort does
      const key: f32 = largest ? v : -v;
      const kk: f32 = key != key ? Infinity : key;
      if (cnt == k) {
        const lastv = load<f32>(vo + (<usize>(k - 1) << 2));
        const lk0: f32 = largest ? lastv : -lastv;
        const lk: f32 = lk0 != lk0 ? Infinity : lk0;
        if (!(kk > lk)) continue;
      }
      // find the slot: after every entry with key >= kk (stable for ties)
      let p = cnt < k ? cnt : k - 1;
      while (p > 0) {
        const pv = load<f32>(vo + (<usize>(p - 1) << 2));
        const pk0: f32 = largest ? pv : -pv;
        const pk: f32 = pk0 != pk0 ? Infinity : pk0;
        if (pk >= kk) break;
        store<f32>(vo + (<usize>p << 2), pv);
        store<i64>(io + (<usize>p << 3), load<i64>(io + (<usize>(p - 1) << 3)));
        p--;
      }
      store<f32>(vo + (<usize>p << 2), v);
      store<i64>(io + (<usize>p << 3), <i64>i);
      if (cnt < k) cnt++;
    }
  }
}
