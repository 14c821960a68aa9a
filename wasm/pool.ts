// Pooling over up to 3 spatial dims. Per axis and output position the JS side precomputes the
// first covered input position, how many fall inside the input, and how many inside the padded
// input (count_include_pad), exactly as the reference does; the kernel walks those windows.
// Descriptor (i32): ID IH IW, dD dH dW (dilations), then for each axis (D, H, W): its output
// length O and O triples (first, count, padded). Modes: 0 max, 1 average, 2 average with pads.

// @ts-ignore: decorator
@inline function at(desc: usize, i: i32): i32 { return load<i32>(desc + (<usize>i << 2)); }

export function pool(tid: i32, nt: i32, mode: i32, planes: i32, desc: usize, x: usize, y: usize): void {
  const ID = at(desc, 0), IH = at(desc, 1), IW = at(desc, 2);
  const dD = at(desc, 3), dH = at(desc, 4), dW = at(desc, 5);
  const oD = at(desc, 6); const tD = 7;
  const oH = at(desc, tD + 3 * oD); const tH = tD + 3 * oD + 1;
  const oW = at(desc, tH + 3 * oH); const tW = tH + 3 * oH + 1;
  const inPlane = ID * IH * IW, outPlane = oD * oH * oW;
  const total = planes * outPlane;
  const t0 = (<i64>total * tid / nt) as i32, t1 = (<i64>total * (tid + 1) / nt) as i32;
  for (let o = t0; o < t1; o++) {
    const p = o / outPlane;
    let r = o % outPlane;
    const ow = r % oW; r /= oW;
    const oh = r % oH; const od = r / oH;
    const fd = at(desc, tD + 3 * od), nd = at(desc, tD + 3 * od + 1), pd = at(desc, tD + 3 * od + 2);
    const fh = at(desc, tH + 3 * oh), nh = at(desc, tH + 3 * oh + 1), ph = at(desc, tH + 3 * oh + 2);
    const fw = at(desc, tW + 3 * ow), nw = at(desc, tW + 3 * ow + 1), pw = at(desc, tW + 3 * ow + 2);
    const base = x + (<usize>p * <usize>inPlane << 2);
    let acc: f32 = 0;
    let best: f32 = NaN;
    let any = false;
    for (let a = 0; a < nd; a++) {
      const rd = base + (<usize>((fd + a * dD) * IH * IW) << 2);
      for (let b = 0; b < nh; b++) {
        const rh = rd + (<usize>((fh + b * dH) * IW) << 2);
        for (let c = 0; c < nw; c++) {
          const v = load<f32>(rh + (<usize>(fw + c * dW) << 2));
          if (mode == 0) {
            // first maximum wins; NaN only where every value is NaN
            if (!any || v > best || (best != best && v == v)) best = v;
            any = true;
          } else acc += v;
        }
      }
    }
    let out: f32;
    if (mode == 0) out = any ? best : 0;
    else out = acc / <f32>(mode == 2 ? pd * ph * pw : nd * nh * nw);
    store<f32>(y + (<usize>o << 2), out);
  }
}
