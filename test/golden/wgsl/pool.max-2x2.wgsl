// variant pool/MaxPool: shapes=float32[1,2,6,6]>float32[1,2,3,3] attrs=kernel_shape:2.2,strides:2.2 wg=256
// pool.max-2x2 dispatch 0: nn.MaxPool:pool, grid 1x1x1
// Pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LpPool-free): one thread
// per output element walking its window; pads, strides, dilations and the divisor rule
// (count_include_pad) are baked in.

@group(0) @binding(0) var<storage, read> x_0: array<f32>;
fn x(i: u32) -> f32 { return x_0[i]; }
@group(0) @binding(1) var<storage, read_write> y_0: array<f32>;
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
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= 18u) { return; }
  var yr = i; let y0 = 0u; let y1 = yr / 9u; yr = yr - y1 * 9u; let y2 = yr / 3u; yr = yr - y2 * 3u; let y3 = yr; let xc = (y0 * 2u + y1) * 36u; var cntp = 0u;
  var acc: f32 = -inf_f32();
  var cnt = 0u;
  for (var kk = 0u; kk < 4u; kk = kk + 1u) {
    var qr = kk; let q0 = qr / 2u; qr = qr - q0 * 2u; let q1 = qr; let s0 = i32(y2) * 2i - 0i + i32(q0) * 1i; let s1 = i32(y3) * 2i - 0i + i32(q1) * 1i; let inb = s0 >= 0 && s0 < 6i && s1 >= 0 && s1 < 6i; let off = u32(max(s0, 0i)) * 6u + u32(max(s1, 0i)) * 1u; if (inb) { let v = (x_0[(xc + off)]); acc = max(acc, v); cnt = cnt + 1u; } if (s0 < 6i && s1 < 6i) { cntp = cntp + 1u; }
  }
  _ = cntp; _ = cnt;
  y_0[i] = acc;
}
