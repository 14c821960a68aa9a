// QuantizeLinear / DequantizeLinear (per tensor or per axis), DynamicQuantizeLinear's min/max and
// parameters. Signed flags pick int8 (1) or uint8 (0).

import { rd } from './lib/int8';

/** y = (x - zp) · scale over [outer, axisLen, inner] with scale/zp per axis position (stride 1) or one (stride 0). x: int8/uint8/int32. */
export function dequantize(tid: i32, nt: i32, outer: i32, len: i32, inner: i32, x: usize, kind: i32, scale: usize, sStride: i32, zp: usize, y: usize): void {
  const total = outer * len;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  for (let t = t0; t < t1; t++) {
    const a = t % len;
    const sc = load<f32>(scale + (<usize>(a * sStride) << 2));
    const zi: i32 = zp ? (kind == 2 ? load<i32>(zp + (<usize>(a * sStride) << 2)) : rd(zp + <usize>(a * sStride), kind)) : 0;
    const base = <usize>t * inner;
    for (let j = 0; j < inner; j++) {
      const q = base + <usize>j;
      const xv: i32 = kind == 2 ? load<i32>(x + (q << 2)) : rd(x + q, kind);
      store<f32>(y + (q << 2), <f32>(xv - zi) * sc);
    }
  }
}

/** y = saturate(round_half_even(x / scale) + zp) to int8 (signed = 1) or uint8, per axis position or one scale. */
export function quantize(tid: i32, nt: i32, outer: i32, len: i32, inner: i32, x: usize, scale: usize, sStride: i32, zp: usize, signed: i32, y: usize): void {
  const total = outer * len;
  const t0 = total * tid / nt, t1 = total * (tid + 1) / nt;
  const lo: f32 = signed ? -128 : 0, hi: f32 = signed ? 127 : 255;
  for (let t = t0; t < t1; t++) {
    const a = t % len;
    const sc = load<f32>(scale + (<usize>(a * sStride) << 2));
    const zf: f32 = zp ? <f32>rd(zp + <usize>(a * sStride), signed) : 0;
    const base = <usize>t * inner;
    let j = 0;
    if (inner >= 16) {
      // 16 at a time, the scalar loop's steps lane-wise (division, round half even, NaN -> min, clamp)
      const vs = f32x4.splat(sc), vz = f32x4.splat(zf), vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
      for (; j + 16 <= inner; j += 16) {
        const src = x + ((base + <usize>j) << 2);
        let v0 = f32x4.add(f32x4.nearest(f32x4.div(v128.load(src), vs)), vz);
        let v1 = f32x4.add(f32x4.nearest(f32x4.div(v128.load(src, 16), vs)), vz);
        let v2 = f32x4.add(f32x4.nearest(f32x4.div(v128.load(src, 32), vs)), vz);
        let v3 = f32x4.add(f32x4.nearest(f32x4.div(v128.load(src, 48), vs)), vz);
        v0 = f32x4.min(vhi, f32x4.max(vlo, v128.bitselect(v0, vlo, f32x4.eq(v0, v0))));
        v1 = f32x4.min(vhi, f32x4.max(vlo, v128.bitselect(v1, vlo, f32x4.eq(v1, v1))));
        v2 = f32x4.min(vhi, f32x4.max(vlo, v128.bitselect(v2, vlo, f32x4.eq(v2, v2))));
        v3 = f32x4.min(vhi, f32x4.max(vlo, v128.bitselect(v3, vlo, f32x4.eq(v3, v3))));
        const h0 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(v0), i32x4.trunc_sat_f32x4_s(v1));
        const h1 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(v2), i32x4.trunc_sat_f32x4_s(v3));
        v128.store(y + base + <usize>j, signed ? i8x16.narrow_i16x8_s(h0, h1) : i8x16.narrow_i16x8_u(h0, h1));
      }
    }
    for (; j < inner; j++) {
      const q = base + <usize>j;
      let v: f32 = f32.nearest(load<f32>(x + (q << 2)) / sc) + zf;
      v = v != v ? lo : min<f32>(hi, max<f32>(lo, v)); // NaN: the type's minimum, as the reference
      store<u8>(y + q, <u8>(<i32>v));
    }
  }
}

/**
 * DynamicQuantizeLinear, step 1: this thread's min and max over its share of x, folded with 0
 * (the range always includes zero), into part[2·tid], part[2·tid+1]. NaNs are skipped.
 */
export function minMaxPartial(tid: i32, nt: i32, n: i32, x: usize, part: usize): void {
  const i0 = (<i64>n * tid / nt) as i32, i1 = (<i64>n * (tid + 1) / nt) as i32;
  let mn: f32 = 0, mx: f32 = 0;
  let i = i0;
  if (i1 - i0 >= 8) {
    let vmn = f32x4.splat(0), vmx = f32x4.splat(0);
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      // pmin/pmax keep the accumulator where v is NaN (comparison false)
      vmn = f32x4.pmin(vmn, v); vmx = f32x4.pmax(vmx, v);
    }
    mn = min(min(f32x4.extract_lane(vmn, 0), f32x4.extract_lane(vmn, 1)), min(f32x4.extract_lane(vmn, 2), f32x4.extract_lane(vmn, 3)));
    mx = max(max(f32x4.extract_lane(vmx, 0), f32x4.extract_lane(vmx, 1)), max(f32x4.extract_lane(vmx, 2), f32x4.extract_lane(vmx, 3)));
  }
  for (; i < i1; i++) { const v = load<f32>(x + (<usize>i << 2)); if (v < mn) mn = v; if (v > mx) mx = v; }
  store<f32>(part + (<usize>tid << 3), mn);
  store<f32>(part + (<usize>tid << 3) + 4, mx);
}

/** Step 2 (called on one thread; tid and nt unused): scale and zero point from `parts` partial ranges, as the spec's float32 formula. */
export function dynamicQuantParams(tid: i32, nt: i32, parts: i32, part: usize, scaleOut: usize, zpOut: usize): void {
  let mn: f32 = 0, mx: f32 = 0;
  for (let t = 0; t < parts; t++) {
    mn = min(mn, load<f32>(part + (<usize>t << 3)));
    mx = max(mx, load<f32>(part + (<usize>t << 3) + 4));
  }
  const scale: f32 = (mx == mn ? <f32>1 : mx - mn) / <f32>255;
  const zpF: f32 = <f32>0 - mn / scale;
  const zp = f32.nearest(min<f32>(255, max<f32>(0, zpF)));
  store<f32>(scaleOut, scale);
  store<u8>(zpOut, <u8>(<i32>zp));
}
