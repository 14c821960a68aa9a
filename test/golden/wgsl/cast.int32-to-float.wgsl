// variant elementwise/scalar: op=nn.Cast types=int32>float32 store=f32 rank=1 access=same ranks=- parts=1,1 perThread=1 wg=256 params=1 expr=#48435401
// cast.int32-to-float dispatch 0: nn.Cast:elementwise, grid 1x1x1, params [6,6,0,0]
// Elementwise kernels: y[i] = EXPR(inputs broadcast to y's shape). One template serves unary,
// binary, variadic, activation, comparison, select and cast ops and fused chains (k.map):
// dtypes, rank and the expression are compile-time (the variant key); threads, element count,
// strides and broadcast strides are uniform parameters in P (P.v[0].x threads, P.v[0].y count).
struct Params { v: array<vec4<u32>, 1> }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x0_0: array<i32>;
fn x0(i: u32) -> i32 { return x0_0[i]; }
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




// pow for negative bases with integer exponents (WGSL pow is undefined for x < 0)
fn pow_s(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x >= 0.0) { return pow(x, y); }
  if (trunc(y) != y) { return nan_f32(); }
  let r = pow(-x, y);
  return select(r, -r, (abs(y) % 2.0) == 1.0);
}
fn ipow(b: i32, e: i32) -> i32 {
  if (e < 0) { if (b == 1) { return 1; } if (b == -1) { return select(-1, 1, (e % 2) == 0); } return 0; }
  var r = 1; var x = b; var k = e;
  loop { if (k == 0) { break; } if ((k & 1) == 1) { r = r * x; } x = x * x; k = k >> 1u; }
  return r;
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
    let v0 = (x0_0[(i)]);
    y_0[i] = f32(v0);
  }
}
