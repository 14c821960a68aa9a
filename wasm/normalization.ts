// LayerNormalization and RMSNormalization over the last `len` elements of each row:
// y = (x - mean) · invstd · scale + bias (RMS: no mean). Scale and bias have `len` elements
// (or are broadcast scalars: stride 0). Optional Mean / InvStdDev outputs get one value per row.

import { vsplat } from './lib/vmath';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2)), 0);
}

export function layerNorm(tid: i32, nt: i32, rms: i32, rows: i32, len: i32, x: usize, scale: usize, scs: i32, bias: usize, bcs: i32,
  y: usize, eps: f32, meanOut: usize, invOut: usize): void {
  const i0 = rows * tid / nt, i1 = rows * (tid + 1) / nt;
  const n4 = len & ~3;
  for (let i = i0; i < i1; i++) {
    const row = x + (<usize>(i * len) << 2), out = y + (<usize>(i * len) << 2);
    let mean: f32 = 0;
    if (!rms) {
      let s0 = vsplat(0), s1 = vsplat(0);
      let k = 0;
      for (; k + 8 <= len; k += 8) { s0 = f32x4.add(s0, v128.load(row + (<usize>k << 2))); s1 = f32x4.add(s1, v128.load(row + (<usize>k << 2), 16)); }
      for (; k + 4 <= len; k += 4) s0 = f32x4.add(s0, v128.load(row + (<usize>k << 2)));
      let s = hsum(f32x4.add(s0, s1));
      for (; k < len; k++) s += load<f32>(row + (<usize>k << 2));
      mean = s / <f32>len;
    }
    const mv = vsplat(mean);
    let q0 = vsplat(0), q1 = vsplat(0);
    let k = 0;
    for (; k + 8 <= len; k += 8) {
      const d0 = f32x4.sub(v128.load(row + (<usize>k << 2)), mv), d1 = f32x4.sub(v128.load(row + (<usize>k << 2), 16), mv);
      q0 = f32x4.add(q0, f32x4.mul(d0, d0)); q1 = f32x4.add(q1, f32x4.mul(d1, d1));
    }
    for (; k + 4 <= len; k += 4) { const d = f32x4.sub(v128.load(row + (<usize>k << 2)), mv); q0 = f32x4.add(q0, f32x4.mul(d, d)); }
    let q = hsum(f32x4.add(q0, q1));
    for (; k < len; k++) { const d = load<f32>(row + (<usize>k << 2)) - mean; q += d * d; }
    const inv: f32 = 1 / Mathf.sqrt(q / <f32>len + eps);
    if (meanOut) store<f32>(meanOut + (<usize>i << 2), mean);
    if (invOut) store<f32>(invOut + (<usize>i << 2), inv);
    const iv = vsplat(inv);
    k = 0;
    if (scs == 1 && (bcs == 1 || !bias)) {
      for (; k < n4; k += 4) {
        const o = <usize>k << 2;
        let v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(row + o), mv), iv), v128.load(scale + o));
        if (bias) v = f32x4.add(v, v128.load(bias + o));
        v128.store(out + o, v);
      }
    }
    for (; k < len; k++) {
      const o = <usize>k << 2;
      let v = (load<f32>(row + o) - mean) * inv * load<f32>(scale + (<usize>(k * scs) << 2));
      if (bias) v += load<f32>(bias + (<usize>(k * bcs) << 2));
      store<f32>(out + o, v);
    }
  }
}
