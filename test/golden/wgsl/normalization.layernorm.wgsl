// variant normalization/LayerNormalization: types=float32,float32,float32>float32 bindings=5 wg=16 scale=row bias=row normRank=1 eps=f32(0.000009999999747378752) stats=0 params=1
// normalization.layernorm dispatch 0: nn.LayerNormalization:norm, grid 4x1x1, params [16,4,0,0]
// LayerNormalization, RMSNormalization and InstanceNormalization: one workgroup per row of R
// elements; the mean (skipped for RMS) and the variance as trees in workgroup memory, then
// y = (x - mean) * rsqrt(var + eps) * scale + bias. R (row length) and NOUT (rows) are P.v[0].xy;
// scale/bias index strides follow in P.
struct Params { v: array<vec4<u32>, 1> }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x_0: array<f32>;
fn x(i: u32) -> f32 { return x_0[i]; }
@group(0) @binding(2) var<storage, read> sc_0: array<f32>;
fn sc(i: u32) -> f32 { return sc_0[i]; }
@group(0) @binding(3) var<storage, read> bi_0: array<f32>;
fn bi(i: u32) -> f32 { return bi_0[i]; }
@group(0) @binding(4) var<storage, read_write> y_0: array<f32>;
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



const WG = 16u;
const RMS = false;
var<workgroup> sv: array<f32, 16>;

fn scale_at(o: u32, r: u32) -> f32 { _ = o; return f32((sc_0[(r)])); }
fn bias_at(o: u32, r: u32) -> f32 { _ = o; return f32((bi_0[(r)])); }

@compute @workgroup_size(16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let R = P.v[0].x;
  let NOUT = P.v[0].y;
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  let b = o * R;
  // the trees are written out in main: OpenGL ES (llvmpipe) allows barriers only there
  var mean = 0.0;
  if (!RMS) {
    var s = 0.0;
    for (var r = lid.x; r < R; r = r + WG) { s = s + f32((x_0[(b + r)])); }
    sv[lid.x] = s;
    workgroupBarrier();
    for (var h = WG / 2u; h > 0u; h = h >> 1u) {
      if (lid.x < h) { sv[lid.x] = sv[lid.x] + sv[lid.x + h]; }
      workgroupBarrier();
    }
    mean = sv[0] / f32(R);
    workgroupBarrier();
  }
  var q = 0.0;
  for (var r = lid.x; r < R; r = r + WG) { let d = f32((x_0[(b + r)])) - mean; q = q + d * d; }
  sv[lid.x] = q;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid.x < h) { sv[lid.x] = sv[lid.x] + sv[lid.x + h]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(sv[0] / f32(R) + f32(0.000009999999747378752));
  for (var r = lid.x; r < R; r = r + WG) {
    let v = (f32((x_0[(b + r)])) - mean) * inv * scale_at(o, r) + bias_at(o, r);
    y_0[b + r] = f32(v);
  }
  if (lid.x == 0u) {  }
}
