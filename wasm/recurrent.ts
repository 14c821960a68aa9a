// RNN (kind 0), GRU (kind 1) and LSTM (kind 2) over float32, layout 0, with the default
// activations (Tanh; Sigmoid/Tanh; Sigmoid/Tanh/Tanh). Threads split the (direction, batch)
// pairs: each runs its sequence alone, so no step waits for another thread. Per step the gates
// are one pass over the stacked W and R rows (a row of each per gate unit), with SIMD dot
// products; the element-wise update follows the ONNX equations (see src/ops/recurrent.ts).
// Scratch per pair: gates [G*H], h [H], c [H], tmp [H] floats.

import { vsigmoid, vsplat, vtanh } from './lib/vmath';

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let s = vsplat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) s = f32x4.add(s, f32x4.mul(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2))));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; k < n; k++) r += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return r;
}

// Scalar activations through the SIMD polynomials: Mathf's table-based exp would put a data
// segment in linear memory, which the modules share (and the pool's argument block overlaps).
// @ts-ignore: decorator
@inline function sigm(x: f32): f32 { return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0); }
// @ts-ignore: decorator
@inline function tanh(x: f32): f32 { return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0); }
// @ts-ignore: decorator
@inline function cl(x: f32, c: f32): f32 { return c > 0 ? (x > c ? c : x < -c ? -c : x) : x; }
// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/**
 * flag: GRU linear_before_reset, LSTM input_forget. Optional pointers are 0 when absent
 * (bias, lens (int32), h0, c0, peepholes p, outputs y, yh, yc). clip 0 = none.
 */
export function recurrent(tid: i32, nt: i32, kind: i32, T: i32, B: i32, I: i32, H: i32, D: i32, reverseOnly: i32,
  x: usize, w: usize, r: usize, bias: usize, lens: usize, h0: usize, c0: usize, p: usize,
  y: usize, yh: usize, yc: usize, scratch: usize, clip: f32, flag: i32): void {
  const G = kind == 2 ? 4 : kind == 1 ? 3 : 1;
  const GH = G * H;
  const items = D * B;
  const i0 = items * tid / nt, i1 = items * (tid + 1) / nt;
  for (let item = i0; item < i1; item++) {
    const d = item / B, b = item % B;
    const gates = scratch + (<usize>(item * (GH + 3 * H)) << 2);
    const h = at(gates, GH), c = at(h, H), tmp = at(c, H);
    for (let j = 0; j < H; j++) {
      store<f32>(at(h, j), h0 ? load<f32>(at(h0, (d * B + b) * H + j)) : 0);
      store<f32>(at(c, j), c0 ? load<f32>(at(c0, (d * B + b) * H + j)) : 0);
    }
    const len = lens ? load<i32>(at(lens, b)) : T;
    const reverse = reverseOnly != 0 || d == 1;
    const wd = at(w, d * GH * I), rd = at(r, d * GH * H);
    const wb = bias ? at(bias, d * 2 * GH) : 0, rb = bias ? at(wb, GH) : 0;
    const pd = p ? at(p, d * 3 * H) : 0;
    for (let step = 0; step < len; step++) {
      const t = reverse ? len - 1 - step : step;
      const xr = at(x, (t * B + b) * I);
      // the GRU's h block keeps its recurrent part apart (reset gate applies to it)
      const recRows = kind == 1 ? 2 * H : GH;
      for (let j = 0; j < GH; j++) {
        let g = dot(xr, at(wd, j * I), I);
        if (bias) g += load<f32>(at(wb, j)) + (j < recRows ? load<f32>(at(rb, j)) : 0);
        if (j < recRows) g += dot(h, at(rd, j * H), H);
        store<f32>(at(gates, j), g);
      }
      if (kind == 0) {
        for (let j = 0; j < H; j++) store<f32>(at(h, j), tanh(cl(load<f32>(at(gates, j)), clip)));
      } else if (kind == 1) {
        for (let j = 0; j < 2 * H; j++) store<f32>(at(gates, j), sigm(cl(load<f32>(at(gates, j)), clip)));
        if (!flag) for (let k = 0; k < H; k++) store<f32>(at(tmp, k), load<f32>(at(gates, H + k)) * load<f32>(at(h, k)));
        for (let j = 0; j < H; j++) {
          const rbh: f32 = bias ? load<f32>(at(rb, 2 * H + j)) : 0;
          const row = at(rd, (2 * H + j) * H);
          const rec = flag ? load<f32>(at(gates, H + j)) * (dot(h, row, H) + rbh) : dot(tmp, row, H) + rbh;
          store<f32>(at(gates, 2 * H + j), tanh(cl(load<f32>(at(gates, 2 * H + j)) + rec, clip)));
        }
        for (let j = 0; j < H; j++) {
          const z = load<f32>(at(gates, j));
          store<f32>(at(h, j), (1 - z) * load<f32>(at(gates, 2 * H + j)) + z * load<f32>(at(h, j)));
        }
      } else {
        for (let j = 0; j < H; j++) {
          const cp = load<f32>(at(c, j));
          const pi: f32 = pd ? load<f32>(at(pd, j)) : 0, po: f32 = pd ? load<f32>(at(pd, H + j)) : 0;
          const pf: f32 = pd ? load<f32>(at(pd, 2 * H + j)) : 0;
          const ig = sigm(cl(load<f32>(at(gates, j)) + pi * cp, clip));
          const fg: f32 = flag ? <f32>1 - ig : sigm(cl(load<f32>(at(gates, 2 * H + j)) + pf * cp, clip));
          const cn: f32 = fg * cp + ig * tanh(cl(load<f32>(at(gates, 3 * H + j)), clip));
          const og = sigm(cl(load<f32>(at(gates, H + j)) + po * cn, clip));
          store<f32>(at(c, j), cn);
          store<f32>(at(h, j), og * tanh(cn));
        }
      }
      if (y) memory.copy(at(y, ((t * D + d) * B + b) * H), h, <usize>H << 2);
    }
    // rows past this entry's length stay zero
    if (y) for (let t = len; t < T; t++) memory.fill(at(y, ((t * D + d) * B + b) * H), 0, <usize>H << 2);
    if (yh) memory.copy(at(yh, (d * B + b) * H), h, <usize>H << 2);
    if (yc) memory.copy(at(yc, (d * B + b) * H), c, <usize>H << 2);
  }
}
