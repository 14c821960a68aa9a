// RNN (kind 0), GRU (kind 1) and LSTM (kind 2) over float32, layout 0, with the default
// activations (Tanh; Sigmoid/Tanh; Sigmoid/Tanh/Tanh). Threads split the (direction, batch)
// pairs: each runs its sequence alone, so no step waits for another thread. The input part of
// every gate comes precomputed (one GEMM); per step the recurrent part is one pass over the
// stacked R rows, four rows per pass with SIMD dot products, then the element-wise update of the
// ONNX equations (see src/ops/recurrent.ts).
// Scratch per pair: gates [G*H], h [H], c [H], tmp [H] floats.

import { vsigmoid, vsplat, vtanh } from './lib/vmath';

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let s = vsplat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    s = f32x4.add(s, f32x4.mul(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2))));
  }
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; k < n; k++) r += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return r;
}

// Scalar activations through the SIMD polynomials: Mathf's table-based exp would put a data
// segment in linear memory, which the modules share (and the pool's argument block overlaps).
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** out[0..3] = (or += when acc) the dot products of a (n floats) with the four consecutive rows at w. */
function dot4(a: usize, w: usize, n: i32, out: usize, acc: bool): void {
  let s0 = vsplat(0), s1 = vsplat(0), s2 = vsplat(0), s3 = vsplat(0);
  const r1 = at(w, n), r2 = at(w, 2 * n), r3 = at(w, 3 * n);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    const x = v128.load(a + o);
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(w + o)));
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(r1 + o)));
    s2 = f32x4.add(s2, f32x4.mul(x, v128.load(r2 + o)));
    s3 = f32x4.add(s3, f32x4.mul(x, v128.load(r3 + o)));
  }
  let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
  for (; k < n; k++) {
    const x = load<f32>(at(a, k));
    t0 += x * load<f32>(at(w, k)); t1 += x * load<f32>(at(r1, k));
    t2 += x * load<f32>(at(r2, k)); t3 += x * load<f32>(at(r3, k));
  }
  if (acc) { t0 += load<f32>(out); t1 += load<f32>(out, 4); t2 += load<f32>(out, 8); t3 += load<f32>(out, 12); }
  store<f32>(out, t0); store<f32>(out, t1, 4); store<f32>(out, t2, 8); store<f32>(out, t3, 12);
}

// @ts-ignore: decorator
@inline function sigm(x: f32): f32 { return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0); }
// @ts-ignore: decorator
@inline function tanh(x: f32): f32 { return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0); }
// @ts-ignore: decorator
@inline function cl(x: f32, c: f32): f32 { return c > 0 ? (x > c ? c : x < -c ? -c : x) : x; }
// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/**
 * x: the input projection X·Wᵀ [D, T, B, G*H] (computed by a GEMM before this kernel).
 * flag: GRU linear_before_reset, LSTM input_forget. Optional pointers are 0 when absent
 * (bias, lens (int32), h0, c0, peepholes p, outputs y, yh, yc). clip 0 = none.
 */
export function recurrent(tid: i32, nt: i32, kind: i32, T: i32, B: i32, I: i32, H: i32, D: i32, reverseOnly: i32,
  x: usize, r: usize, bias: usize, lens: usize, h0: usize, c0: usize, p: usize,
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
    const rd = at(r, d * GH * H);
    const wb = bias ? at(bias, d * 2 * GH) : 0, rb = bias ? at(wb, GH) : 0;
    const pd = p ? at(p, d * 3 * H) : 0;
    for (let step = 0; step < len; step++) {
      const t = reverse ? len - 1 - step : step;
      const xr = at(x, ((d * T + t) * B + b) * GH);   // this step's precomputed X·Wᵀ row
      // the GRU's h block keeps its recurrent part apart (reset gate applies to it)
      const recRows = kind == 1 ? 2 * H : GH;
      // four gate rows at a time: each load of x (or h) feeds four independent accumulators
      let j = 0;
      for (; j + 4 <= GH; j += 4) {
        memory.copy(at(gates, j), at(xr, j), 16);
        if (j + 4 <= recRows) dot4(h, at(rd, j * H), H, at(gates, j), true);
        else {
          for (let q = j; q < j + 4; q++) {
            if (q < recRows) store<f32>(at(gates, q), load<f32>(at(gates, q)) + dot(h, at(rd, q * H), H));
          }
        }
      }
      for (; j < GH; j++) {
        let g = load<f32>(at(xr, j));
        if (j < recRows) g += dot(h, at(rd, j * H), H);
        store<f32>(at(gates, j), g);
      }
      if (bias) for (let q = 0; q < GH; q++) {
        const rq: f32 = q < recRows ? load<f32>(at(rb, q)) : 0;
        store<f32>(at(gates, q), load<f32>(at(gates, q)) + load<f32>(at(wb, q)) + rq);
      }
      if (kind == 0) {
        for (let j = 0; j < H; j++) store<f32>(at(h, j), tanh(cl(load<f32>(at(gates, j)), clip)));
      } else if (kind == 1) {
        for (let j = 0; j < 2 * H; j++) store<f32>(at(gates, j), sigm(cl(load<f32>(at(gates, j)), clip)));
        if (!flag) {
          for (let k = 0; k < H; k++) store<f32>(at(tmp, k), load<f32>(at(gates, H + k)) * load<f32>(at(h, k)));
        }
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
