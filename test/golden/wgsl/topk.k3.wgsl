// variant topk/topk: shapes=float32[2,20];int64[1]>float32[2,3];int64[2,3] attrs=axis:-1 host=1:#360caa42 wg=256
// topk.k3 dispatch 0: nn.TopK:topk, grid 2x1x1
// TopK along one axis: one workgroup per row; K rounds, each a strided scan for the best element
// after the previous pick (value, then lower index first) and a tree in workgroup memory.
// Values keep the input's type; indices are written as i32 (int64 narrowed on the GPU).

@group(0) @binding(0) var<storage, read> x_0: array<f32>;
fn x(i: u32) -> f32 { return x_0[i]; }
@group(0) @binding(1) var<storage, read_write> vals_0: array<f32>;
fn vals(i: u32) -> f32 { return vals_0[i]; }
fn vals_set(i: u32, v: f32) { vals_0[i] = v; }
@group(0) @binding(2) var<storage, read_write> idx_0: array<i32>;
fn idx(i: u32) -> i32 { return idx_0[i]; }
fn idx_set(i: u32, v: i32) { idx_0[i] = v; }
// Helpers every kernel may call (appended to each kernel's bindings): special values, float16
// rounding, and math WGSL lacks or leaves undefined at the extremes.
fn inf_f32() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn nan_f32() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
// float16 held in f32: round to f16 precision (pack2x16float is undefined past the f16 range)
fn f16round(x: f32) -> f32 {
  if (abs(x) >= 65520.0) { return select(-inf_f32(), inf_f32(), x > 0.0); }
  return unpack2x16float(pack2x16float(vec2<f32>(x, 0.0))).x;
}
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// log with log(0) = -inf (WGSL leaves it undefined: SwiftShader gives -88)
fn log_s(x: f32) -> f32 { if (x == 0.0) { return -inf_f32(); } return log(x); }
// tanh without the overflow of exp(2x) for large |x|
fn tanh_s(x: f32) -> f32 { if (abs(x) > 15.0) { return sign(x); } return tanh(x); }
fn sigmoid_s(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
fn softplus_s(x: f32) -> f32 { if (x > 30.0) { return x; } return log(1.0 + exp(x)); }
// erf: Abramowitz–Stegun 7.1.26 refined (max error ~1.2e-7)
fn erf_s(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.5 * a);
  let y = 1.0 - t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(-y, y, x >= 0.0);
}



const R = 20u;
const NOUT = 2u;
const WG = 32u;
const KK = 3u;
const INNER = 1u;
const NONE = 0xffffffffu;
var<workgroup> sv: array<f32, 32>;
var<workgroup> si: array<u32, 32>;

// does (v, i) rank before (bv, bi)? NONE ranks last
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  if (i == NONE) { return false; }
  if (bi == NONE) { return true; }
  return v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(32)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  let outer = o / INNER;
  let inn = o - outer * INNER;
  let base = outer * R * INNER + inn;
  let obase = outer * KK * INNER + inn;
  var lv: f32 = f32(0);
  var li = NONE;
  for (var j = 0u; j < KK; j = j + 1u) {
    var bv: f32 = f32(0);
    var bi = NONE;
    for (var r = lid.x; r < R; r = r + WG) {
      let v = (x_0[(base + r * INNER)]);
      // only elements ranked after the previous pick
      if ((li == NONE || better(lv, li, v, r)) && better(v, r, bv, bi)) { bv = v; bi = r; }
    }
    sv[lid.x] = bv;
    si[lid.x] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid.x < s && better(sv[lid.x + s], si[lid.x + s], sv[lid.x], si[lid.x])) { sv[lid.x] = sv[lid.x + s]; si[lid.x] = si[lid.x + s]; }
      workgroupBarrier();
    }
    lv = sv[0];
    li = si[0];
    if (lid.x == 0u) { vals_0[obase + j * INNER] = lv; idx_0[obase + j * INNER] = i32(li); }
    workgroupBarrier();
  }
}
