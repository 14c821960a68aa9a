// Reductions: the tensor is seen as [outer, R, inner] with the reduced axes
// collapsed into R (the JS side transposes first when the axes are not contiguous). inner == 1
// reduces contiguous rows with vector accumulators; inner > 1 vectorises across inner.

import { combine, finalV, init, lane, lanes, loadPart, R_LOGSUMEXP, R_MAX, R_MIN, R_PROD, R_SUM, rowMax, stepV } from './lib/rows';
import { vsplat } from './lib/vmath';

export function reduce(tid: i32, nt: i32, op: i32, outer: i32, r: i32, inner: i32, x: usize, y: usize): void {
  if (inner == 1) {
    const i0 = outer * tid / nt, i1 = outer * (tid + 1) / nt;
    for (let i = i0; i < i1; i++) {
      const row = x + (<usize>(i * r) << 2);
      const mf: f32 = op == R_LOGSUMEXP ? rowMax(row, r) : 0;
      const m = vsplat(mf == -Infinity || mf == Infinity ? 0 : mf);
      let a0 = vsplat(init(op)), a1 = vsplat(init(op));
      let k = 0;
      for (; k + 8 <= r; k += 8) {
        a0 = stepV(op, a0, v128.load(row + (<usize>k << 2)), m);
        a1 = stepV(op, a1, v128.load(row + (<usize>k << 2), 16), m);
      }
      for (; k + 4 <= r; k += 4) a0 = stepV(op, a0, v128.load(row + (<usize>k << 2)), m);
      let s: f32;
      if (op == R_MAX || op == R_MIN || op == R_PROD) s = combine(op, lanes(op, a0), lanes(op, a1));
      else s = lanes(R_SUM, f32x4.add(a0, a1));
      // tail: one lane at a time, the other lanes hold the identity element
      for (; k < r; k++) {
        const v = f32x4.splat(load<f32>(row + (<usize>k << 2)));
        const t = f32x4.extract_lane(stepV(op, vsplat(init(op)), v, m), 0);
        s = op == R_MAX || op == R_MIN || op == R_PROD ? combine(op, s, t) : s + t;
      }
      store<f32>(y + (<usize>i << 2), f32x4.extract_lane(finalV(op, vsplat(s), m, r), 0));
    }
    return;
  }
  // vectorise across inner: each work item is (outer i, inner block of 4)
  const blocks = (inner + 3) / 4;
  const total = outer * blocks;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const i = t / blocks, j = (t % blocks) * 4;
    const base = x + (<usize>(i * r * inner + j) << 2);
    const full = j + 4 <= inner;
    let m = vsplat(0);
    if (op == R_LOGSUMEXP) {
      m = vsplat(-Infinity);
      for (let k = 0; k < r; k++) m = f32x4.max(m, loadPart(base + (<usize>(k * inner) << 2), full, inner - j, -Infinity));
      m = v128.bitselect(vsplat(0), m, f32x4.eq(f32x4.abs(m), vsplat(Infinity)));
    }
    let acc = vsplat(init(op));
    for (let k = 0; k < r; k++) acc = stepV(op, acc, loadPart(base + (<usize>(k * inner) << 2), full, inner - j, 0), m);
    const res = finalV(op, acc, m, r);
    const out = y + (<usize>(i * inner + j) << 2);
    if (full) v128.store(out, res);
    else for (let l = 0; l < inner - j; l++) store<f32>(out + (<usize>l << 2), lane(res, l));
  }
}
