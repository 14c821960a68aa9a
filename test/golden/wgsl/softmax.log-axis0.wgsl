// variant softmax/LogSoftmax: types=float32>float32 parts=1,1 wg=8 store=plain
// softmax.log-axis0 dispatch 0: nn.LogSoftmax:softmax, grid 3x1x1, params [5,3,3,15]
// Softmax, LogSoftmax and Hardmax along one axis (or the rows of the legacy 2-D coercion): one
// workgroup per row; max, then the sum of exp(x - max) as trees in workgroup memory, then the
// row is written. Row elements sit at base(o) + r * STRIDE. The sizes are uniform parameters:
// R (row length), NOUT (rows), STRIDE (product of the dims after the axis), and R * STRIDE.
struct Params { r: u32, nout: u32, stride: u32, span: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x_0: array<f32>;
fn x(i: u32) -> f32 { return x_0[i]; }
@group(0) @binding(2) var<storage, read_write> y_0: array<f32>;
fn y(i: u32) -> f32 { return y_0[i]; }
fn y_set(i: u32, v: f32) { y_0[i] = v; }
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



const WG = 8u;
const KIND = 1u; // 0 softmax, 1 log-softmax, 2 hardmax
var<workgroup> sv: array<f32, 8>;
var<workgroup> si: array<u32, 8>;

fn base(o: u32) -> u32 { let outer = o / P.stride; let inn = o - outer * P.stride; return outer * P.span + inn; }

@compute @workgroup_size(8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let R = P.r;
  let STRIDE = P.stride;
  let o = wid.x + wid.y * nwg.x;
  if (o >= P.nout) { return; }
  let b = base(o);
  var m = -inf_f32();
  var mi = 0xffffffffu;
  for (var r = lid.x; r < R; r = r + WG) {
    let v = f32((x_0[(b + r * STRIDE)]));
    if (mi == 0xffffffffu || v > m) { m = v; mi = r; }
  }
  sv[lid.x] = m;
  si[lid.x] = mi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      let a = sv[lid.x]; let ai = si[lid.x]; let c = sv[lid.x + s]; let ci = si[lid.x + s];
      if (ci != 0xffffffffu && (ai == 0xffffffffu || c > a || (c == a && ci < ai))) { sv[lid.x] = c; si[lid.x] = ci; }
    }
    workgroupBarrier();
  }
  let mx = sv[0];
  let am = si[0];
  workgroupBarrier();
  if (KIND == 2u) {
    for (var r = lid.x; r < R; r = r + WG) { y_0[b + r * STRIDE] = f32(select(0.0, 1.0, r == am)); }
    return;
  }
  var sum = 0.0;
  for (var r = lid.x; r < R; r = r + WG) { sum = sum + exp(f32((x_0[(b + r * STRIDE)])) - mx); }
  sv[lid.x] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sv[lid.x] = sv[lid.x] + sv[lid.x + s]; }
    workgroupBarrier();
  }
  let total = sv[0];
  let lt = log(total);
  for (var r = lid.x; r < R; r = r + WG) {
    let v = f32((x_0[(b + r * STRIDE)])) - mx;
    var out: f32;
    if (KIND == 1u) { out = v - lt; } else { out = exp(v) / total; }
    y_0[b + r * STRIDE] = f32(out);
  }
}
