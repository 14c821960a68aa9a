// Fused attention: per (batch, query head, query row) the scores against every key, softcap, the
// mask / causal bias, a safe softmax (a fully masked row gives zeros) and the weighted sum of the
// values, without materialising the [Sq, T] score matrix beyond one row per thread. Grouped-query
// heads read key/value head h / (Hq / Hkv). Operands are addressed through element strides, so the
// 3-D [B, S, H·D] and 4-D [B, H, S, D] layouts and a concatenated KV cache need no copies here.
//
// Only the keys a row can see are visited: the biases (mask, causal, padding) are gathered first,
// and the scores and the value sum run over [first live key, last live key]. A key is dead when its
// bias is -Infinity (bool mask, causal, padding) or more than DEAD below the row's largest bias (a
// float mask's -1e9 for empty cache slots and future positions): exp() of its logit underflows to
// zero unless two scores differ by about 1e6. So prefill over a KV cache of capacity C costs the
// positions reached, not C, and a decode step the filled part of the cache.
//
// Descriptor (i32 unless noted), see src/backends/wasm/ops/attention.ts:
//  0 B  1 Hq  2 Hkv  3 Sq  4 T  5 D  6 Dv  7 causalOffset  8 causal
//  9..11 Q strides (b,h,s)  12..14 K strides (b,h,t)  15..17 V strides (b,h,t)  18..20 Y strides (b,h,s)
//  21 mask kind (0 none, 1 bool, 2 float)  22..25 mask strides (b,h,i,j)  26 mask last dim  27 pad short
//  28 scale (f32)  29 softcap (f32)

import { vexp, vtanh, vsplat } from './lib/vmath';

const DEAD: f32 = 1e6;

// @ts-ignore: decorator
@inline function at(d: usize, i: i32): i32 { return load<i32>(d + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Lane c of the result = the lane sum of vector c (four dot products finished at once). */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Scores q·k_j for j in [j0, j1), written as raw dots to row[j]; four keys per pass. */
// @ts-ignore: decorator
@inline function scores(qp: usize, kp: usize, kt: i32, D: i32, j0: i32, j1: i32, row: usize): void {
  const D4 = D & ~3;
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const k0 = kp + (<usize>(j * kt) << 2), k1 = k0 + (<usize>kt << 2), k2 = k1 + (<usize>kt << 2);
    const k3 = k2 + (<usize>kt << 2);
    let a0 = vsplat(0), a1 = vsplat(0), a2 = vsplat(0), a3 = vsplat(0);
    for (let d = 0; d < D4; d += 4) {
      const o = <usize>d << 2;
      const qv = v128.load(qp + o);
      a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(k0 + o)));
      a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1 + o)));
      a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(k2 + o)));
      a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(k3 + o)));
    }
    let s = hsum4(a0, a1, a2, a3);
    for (let d = D4; d < D; d++) {
      const qd = vsplat(load<f32>(qp + (<usize>d << 2)));
      const kd = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(vsplat(load<f32>(k0 + (<usize>d << 2))),
        1, load<f32>(k1 + (<usize>d << 2))), 2, load<f32>(k2 + (<usize>d << 2))), 3, load<f32>(k3 + (<usize>d << 2)));
      s = f32x4.add(s, f32x4.mul(qd, kd));
    }
    v128.store(row + (<usize>j << 2), s);
  }
  for (; j < j1; j++) {
    const kr = kp + (<usize>(j * kt) << 2);
    let acc = vsplat(0);
    let d = 0;
    for (; d < D4; d += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(qp + (<usize>d << 2)), v128.load(kr + (<usize>d << 2))));
    let s = hsum(acc);
    for (; d < D; d++) s += load<f32>(qp + (<usize>d << 2)) * load<f32>(kr + (<usize>d << 2));
    store<f32>(row + (<usize>j << 2), s);
  }
}

/** y = Σ_j p_j · v_j over [j0, j1) with p in row (already normalised); four values per pass. */
// @ts-ignore: decorator
@inline function weighted(yp: usize, vp: usize, vt: i32, Dv: i32, j0: i32, j1: i32, row: usize): void {
  const Dv4 = Dv & ~3;
  for (let d = 0; d < Dv; d++) store<f32>(yp + (<usize>d << 2), 0);
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const p0 = vsplat(load<f32>(row + (<usize>j << 2))), p1 = vsplat(load<f32>(row + (<usize>(j + 1) << 2)));
    const p2 = vsplat(load<f32>(row + (<usize>(j + 2) << 2))), p3 = vsplat(load<f32>(row + (<usize>(j + 3) << 2)));
    const v0 = vp + (<usize>(j * vt) << 2), v1 = v0 + (<usize>vt << 2), v2 = v1 + (<usize>vt << 2);
    const v3 = v2 + (<usize>vt << 2);
    let d = 0;
    for (; d < Dv4; d += 4) {
      const o = <usize>d << 2;
      const s01 = f32x4.add(f32x4.mul(p0, v128.load(v0 + o)), f32x4.mul(p1, v128.load(v1 + o)));
      const s23 = f32x4.add(f32x4.mul(p2, v128.load(v2 + o)), f32x4.mul(p3, v128.load(v3 + o)));
      v128.store(yp + o, f32x4.add(v128.load(yp + o), f32x4.add(s01, s23)));
    }
    for (; d < Dv; d++) {
      const o = <usize>d << 2;
      const s = f32x4.extract_lane(p0, 0) * load<f32>(v0 + o) + f32x4.extract_lane(p1, 0) * load<f32>(v1 + o)
        + f32x4.extract_lane(p2, 0) * load<f32>(v2 + o) + f32x4.extract_lane(p3, 0) * load<f32>(v3 + o);
      store<f32>(yp + o, load<f32>(yp + o) + s);
    }
  }
  for (; j < j1; j++) {
    const p: f32 = load<f32>(row + (<usize>j << 2));
    const pv = vsplat(p);
    const vr = vp + (<usize>(j * vt) << 2);
    let d = 0;
    for (; d < Dv4; d += 4) {
      const o = <usize>d << 2;
      v128.store(yp + o, f32x4.add(v128.load(yp + o), f32x4.mul(pv, v128.load(vr + o))));
    }
    for (; d < Dv; d++) store<f32>(yp + (<usize>d << 2), load<f32>(yp + (<usize>d << 2)) + p * load<f32>(vr + (<usize>d << 2)));
  }
}

/** `scratch` holds two rows of T floats per thread: the biases, then the logits / probabilities. */
export function attention(tid: i32, nt: i32, desc: usize, q: usize, k: usize, v: usize, mask: usize, y: usize, scratch: usize, scratchStride: i32): void {
  const B = at(desc, 0), Hq = at(desc, 1), Hkv = at(desc, 2), Sq = at(desc, 3), T = at(desc, 4), D = at(desc, 5), Dv = at(desc, 6);
  const cOff = at(desc, 7), causal = at(desc, 8);
  const qb = at(desc, 9), qh = at(desc, 10), qs = at(desc, 11);
  const kb = at(desc, 12), kh = at(desc, 13), kt = at(desc, 14);
  const vb = at(desc, 15), vh = at(desc, 16), vt = at(desc, 17);
  const yb = at(desc, 18), yh = at(desc, 19), ys = at(desc, 20);
  const mk = at(desc, 21), mb = at(desc, 22), mh = at(desc, 23), mi = at(desc, 24), mj = at(desc, 25), mlast = at(desc, 26), padShort = at(desc, 27);
  const scale = load<f32>(desc + 28 * 4), softcap = load<f32>(desc + 29 * 4);
  const group = Hq / Hkv;
  const bias = scratch + <usize>tid * scratchStride, row = bias + (<usize>T << 2);
  const total = B * Hq * Sq;
  const w0 = (<i64>total * tid / nt) as i32, w1 = (<i64>total * (tid + 1) / nt) as i32;
  for (let w = w0; w < w1; w++) {
    const i = w % Sq, h = (w / Sq) % Hq, b = w / (Sq * Hq);
    const kvh = h / group;
    const qp = q + (<usize>(b * qb + h * qh + i * qs) << 2);
    const kp = k + (<usize>(b * kb + kvh * kh) << 2);
    const vp = v + (<usize>(b * vb + kvh * vh) << 2);
    const yp = y + (<usize>(b * yb + h * yh + i * ys) << 2);
    // the biases, and the row's largest
    let bmax: f32 = -Infinity;
    const jEnd = causal ? min(T, max(0, i + cOff + 1)) : T;
    for (let j = 0; j < jEnd; j++) {
      let bj: f32 = 0;
      if (mk) {
        let jj = j;
        let off = false;
        if (mlast != T) { if (padShort) { if (j >= mlast) off = true; } else jj = 0; }
        if (off) bj = -Infinity;
        else {
          const mo = b * mb + h * mh + i * mi + jj * mj;
          if (mk == 1) bj = load<u8>(mask + <usize>mo) ? 0 : -Infinity;
          else bj = load<f32>(mask + (<usize>mo << 2));
        }
      }
      store<f32>(bias + (<usize>j << 2), bj);
      if (bj > bmax) bmax = bj;
    }
    // fully masked row: zeros
    if (bmax == -Infinity) {
      for (let d = 0; d < Dv; d++) store<f32>(yp + (<usize>d << 2), 0);
      continue;
    }
    const cut = bmax - DEAD;
    let j0 = 0, j1 = jEnd;
    while (!(load<f32>(bias + (<usize>j0 << 2)) >= cut)) j0++;
    while (!(load<f32>(bias + (<usize>(j1 - 1) << 2)) >= cut)) j1--;
    scores(qp, kp, kt, D, j0, j1, row);
    let mx: f32 = -Infinity;
    for (let j = j0; j < j1; j++) {
      let s = load<f32>(row + (<usize>j << 2)) * scale;
      if (softcap != 0) s = softcap * f32x4.extract_lane(vtanh(vsplat(s / softcap)), 0);
      const l = s + load<f32>(bias + (<usize>j << 2));
      store<f32>(row + (<usize>j << 2), l);
      if (l > mx) mx = l;
    }
    if (mx == -Infinity) {
      for (let d = 0; d < Dv; d++) store<f32>(yp + (<usize>d << 2), 0);
      continue;
    }
    let sum: f32 = 0;
    let j = j0;
    const m4 = vsplat(mx);
    for (; j + 4 <= j1; j += 4) {
      const e = vexp(f32x4.sub(v128.load(row + (<usize>j << 2)), m4));
      v128.store(row + (<usize>j << 2), e);
      sum += hsum(e);
    }
    for (; j < j1; j++) {
      const e = f32x4.extract_lane(vexp(vsplat(load<f32>(row + (<usize>j << 2)) - mx)), 0);
      store<f32>(row + (<usize>j << 2), e);
      sum += e;
    }
    const inv = vsplat(1 / sum);
    for (j = j0; j + 4 <= j1; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), inv));
    for (; j < j1; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
    weighted(yp, vp, vt, Dv, j0, j1, row);
  }
}
