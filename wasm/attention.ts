// Fused attention: per (batch, query head, query row) the scores against every key, softcap, the
// mask / causal bias, a safe softmax (a fully masked row gives zeros) and the weighted sum of the
// values, without materialising the [Sq, T] score matrix beyond one row per thread. Grouped-query
// heads read key/value head h / (Hq / Hkv). Operands are addressed through element strides, so the
// 3-D [B, S, H·D] and 4-D [B, H, S, D] layouts and a concatenated KV cache need no copies here.
//
// Descriptor (i32 unless noted), see src/backends/wasm/ops.ts `attention`:
//  0 B  1 Hq  2 Hkv  3 Sq  4 T  5 D  6 Dv  7 causalOffset  8 causal
//  9..11 Q strides (b,h,s)  12..14 K strides (b,h,t)  15..17 V strides (b,h,t)  18..20 Y strides (b,h,s)
//  21 mask kind (0 none, 1 bool, 2 float)  22..25 mask strides (b,h,i,j)  26 mask last dim  27 pad short
//  28 scale (f32)  29 softcap (f32)

import { vexp, vtanh, vsplat } from './lib/vmath';

// @ts-ignore: decorator
@inline function at(d: usize, i: i32): i32 { return load<i32>(d + (<usize>i << 2)); }

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
  const row = scratch + <usize>tid * scratchStride;
  const total = B * Hq * Sq;
  const w0 = (<i64>total * tid / nt) as i32, w1 = (<i64>total * (tid + 1) / nt) as i32;
  const D4 = D & ~3, Dv4 = Dv & ~3;
  for (let w = w0; w < w1; w++) {
    const i = w % Sq, h = (w / Sq) % Hq, b = w / (Sq * Hq);
    const kvh = h / group;
    const qp = q + (<usize>(b * qb + h * qh + i * qs) << 2);
    const kp = k + (<usize>(b * kb + kvh * kh) << 2);
    const vp = v + (<usize>(b * vb + kvh * vh) << 2);
    const yp = y + (<usize>(b * yb + h * yh + i * ys) << 2);
    let mx: f32 = -Infinity;
    for (let j = 0; j < T; j++) {
      const kr = kp + (<usize>(j * kt) << 2);
      let acc = vsplat(0);
      let d = 0;
      for (; d < D4; d += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(qp + (<usize>d << 2)), v128.load(kr + (<usize>d << 2))));
      let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      for (; d < D; d++) s += load<f32>(qp + (<usize>d << 2)) * load<f32>(kr + (<usize>d << 2));
      s *= scale;
      if (softcap != 0) s = softcap * f32x4.extract_lane(vtanh(vsplat(s / softcap)), 0);
      let bias: f32 = 0;
      if (mk) {
        let jj = j;
        let off = false;
        if (mlast != T) { if (padShort) { if (j >= mlast) off = true; } else jj = 0; }
        if (off) bias = -Infinity;
        else {
          const mo = b * mb + h * mh + i * mi + jj * mj;
          if (mk == 1) bias = load<u8>(mask + <usize>mo) ? 0 : -Infinity;
          else bias = load<f32>(mask + (<usize>mo << 2));
        }
      }
      if (causal && j > i + cOff) bias = -Infinity;
      const l = s + bias;
      store<f32>(row + (<usize>j << 2), l);
      if (l > mx) mx = l;
    }
    // fully masked row: zeros
    if (mx == -Infinity) {
      for (let d = 0; d < Dv; d++) store<f32>(yp + (<usize>d << 2), 0);
      continue;
    }
    let sum: f32 = 0;
    let j = 0;
    const m4 = vsplat(mx);
    for (; j + 4 <= T; j += 4) {
      const e = vexp(f32x4.sub(v128.load(row + (<usize>j << 2)), m4));
      v128.store(row + (<usize>j << 2), e);
      sum += f32x4.extract_lane(e, 0) + f32x4.extract_lane(e, 1) + f32x4.extract_lane(e, 2) + f32x4.extract_lane(e, 3);
    }
    for (; j < T; j++) {
      const e = f32x4.extract_lane(vexp(vsplat(load<f32>(row + (<usize>j << 2)) - mx)), 0);
      store<f32>(row + (<usize>j << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    for (let d = 0; d < Dv; d++) store<f32>(yp + (<usize>d << 2), 0);
    for (j = 0; j < T; j++) {
      const p: f32 = load<f32>(row + (<usize>j << 2)) * inv;
      if (p == 0) continue;
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
}
