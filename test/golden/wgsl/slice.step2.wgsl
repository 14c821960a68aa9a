// variant slice/Slice: ranks=2,2 types=float32,int64,int64,int64,int64>float32 parts=1,1 perThread=1 wg=256 params=3
// slice.step2 dispatch 0: nn.Slice:layout, grid 1x1x1, params [16,16,4,0,1,1,2,10,1,0,0,0]
// The copy template (data movement): every thread takes elements of the iteration space (the
// output for gathers, an input for concat's scatter) and copies one element, with the source index
// computed from coordinates for the op: transpose, slice, pad (constant/edge/reflect/wrap),
// expand, tile, concat, split, gather, gather-elements, trilu, quantize, cumsum. Sizes and offsets
// are uniform parameters in P (P.v[0].x threads, P.v[0].y elements, then the kernel's own).

struct Params { v: array<vec4<u32>, 3> }
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



@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  let threads = P.v[0].x;
  let n = P.v[0].y;
  if (t >= threads) { return; }
  for (var k = 0u; k < 1u; k++) {
    let i = t + k * threads;
    if (i >= n) { return; }
    var cr = i; let c0 = cr / P.v[0].z; cr = cr - c0 * P.v[0].z; let c1 = cr;
    y_0[i] = (x_0[((u32(bitcast<i32>(P.v[0].w) + i32(c0) * bitcast<i32>(P.v[1].x))) * P.v[1].w + (u32(bitcast<i32>(P.v[1].y) + i32(c1) * bitcast<i32>(P.v[1].z))) * P.v[2].x)]);
  }
}
