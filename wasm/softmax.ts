// Softmax / LogSoftmax over R in [outer, R, inner] (inner == 1: contiguous rows with vector
// accumulators; inner > 1 vectorises across inner).

import { lanes, R_SUM, rowMax } from './lib/rows';
import { vexp, vlog, vsplat } from './lib/vmath';

/** Softmax (log = 0) or LogSoftmax (log = 1) over R in [outer, R, inner]. */
export function softmax(tid: i32, nt: i32, log: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  if (inner == 1) {
    const i0 = outer * tid / nt, i1 = outer * (tid + 1) / nt;
    for (let i = i0; i < i1; i++) {
      const row = x + (<usize>(i * r) << 2), out = y + (<usize>(i * r) << 2);
      const mx = rowMax(row, r);
      const m = vsplat(mx);
      let sv = vsplat(0);
      let k = 0;
      for (; k + 4 <= r; k += 4) {
        const e = vexp(f32x4.sub(v128.load(row + (<usize>k << 2)), m));
        if (!log) v128.store(out + (<usize>k << 2), e);
        sv = f32x4.add(sv, e);
      }
      let s = lanes(R_SUM, sv);
      for (; k < r; k++) {
        const e = f32x4.extract_lane(vexp(vsplat(load<f32>(row + (<usize>k << 2)) - mx)), 0);
        if (!log) store<f32>(out + (<usize>k << 2), e);
        s += e;
      }
      if (log) {
        const l = vsplat(mx + f32x4.extract_lane(vlog(vsplat(s)), 0));
        k = 0;
        for (; k + 4 <= r; k += 4) v128.store(out + (<usize>k << 2), f32x4.sub(v128.load(row + (<usize>k << 2)), l));
        for (; k < r; k++) store<f32>(out + (<usize>k << 2), load<f32>(row + (<usize>k << 2)) - f32x4.extract_lane(l, 0));
      } else {
        const inv = vsplat(1 / s);
        k = 0;
        for (; k + 4 <= r; k += 4) v128.store(out + (<usize>k << 2), f32x4.mul(v128.load(out + (<usize>k << 2)), inv));
        for (; k < r; k++) store<f32>(out + (<usize>k << 2), load<f32>(out + (<usize>k << 2)) * f32x4.extract_lane(inv, 0));
      }
    }
    return;
  }
  const total = outer * inner;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const i = t / inner, j = t % inner;
    const base = x + (<usize>(i * r * inner + j) << 2), out = y + (<usize>(i * r * inner + j) << 2);
    const st = <usize>inner << 2;
    let mx: f32 = -Infinity;
    for (let k = 0; k < r; k++) { const v = load<f32>(base + k * st); mx = v > mx || v != v ? v : mx; }
    let s: f32 = 0;
    for (let k = 0; k < r; k++) {
      const e = f32x4.extract_lane(vexp(vsplat(load<f32>(base + k * st) - mx)), 0);
      store<f32>(out + k * st, e);
      s += e;
    }
    const ls = mx + f32x4.extract_lane(vlog(vsplat(s)), 0);
    for (let k = 0; k < r; k++) {
      if (log) store<f32>(out + k * st, load<f32>(base + k * st) - ls);
      else store<f32>(out + k * st, load<f32>(out + k * st) / s);
    }
  }
}
