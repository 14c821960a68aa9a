// variant matmul/vec: batch=0 aBatch=none bBatch=none transA=false transB=true acc=f32 out=f32 extra=1 parts=1,1,1,1 epilogue=#9b380ee5 params=1 wg=256
// matmul.gemm-transb-bias dispatch 0: nn.Gemm:matvec, grid 1x1x1, params [8,6,4,48,1,0,0,0]
// Skinny matrix products (one row or one column: decode steps, vector search): one thread per
// output, walking K with four independent accumulators. Same loads and epilogue as matmul.wgsl.
struct Params { M: u32, N: u32, K: u32, total: u32, v: array<vec4<u32>, 1> }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A_0: array<f32>;
fn A(i: u32) -> f32 { return A_0[i]; }
@group(0) @binding(2) var<storage, read> B_0: array<f32>;
fn B(i: u32) -> f32 { return B_0[i]; }
@group(0) @binding(3) var<storage, read> Cb_0: array<f32>;
fn Cb(i: u32) -> f32 { return Cb_0[i]; }
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


// M, N, K (and the element count) are uniform fields P.M, P.N, P.K, P.total; batch strides follow in P.v.


fn a_base(b: u32) -> u32 { return 0u; }
fn b_base(b: u32) -> u32 { return 0u; }
fn a_at(base: u32, r: u32, k: u32) -> f32 { return (A_0[(base + r * P.K + k)]); }
fn b_at(base: u32, k: u32, c: u32) -> f32 { return (B_0[(base + c * P.K + k)]); }
fn epilogue(acc: f32, r: u32, c: u32, b: u32) -> f32 { let o0 = r; let o1 = c; _ = o0; _ = o1; _ = b; return f32(0.5) * acc + (Cb_0[(o1 * P.v[0].x)]); }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= P.total) { return; }
  let batch = t / (P.M * P.N);
  let rc = t - batch * P.M * P.N;
  let r = rc / P.N;
  let c = rc - r * P.N;
  let ab = (0u);
  let bb = (0u);
  var s0 = f32(0); var s1 = f32(0); var s2 = f32(0); var s3 = f32(0);
  var k = 0u;
  for (; k + 4u <= P.K; k = k + 4u) {
    s0 = s0 + ((A_0[((ab) + (r) * P.K + (k))])) * ((B_0[((bb) + (c) * P.K + (k))]));
    s1 = s1 + ((A_0[((ab) + (r) * P.K + (k + 1u))])) * ((B_0[((bb) + (c) * P.K + (k + 1u))]));
    s2 = s2 + ((A_0[((ab) + (r) * P.K + (k + 2u))])) * ((B_0[((bb) + (c) * P.K + (k + 2u))]));
    s3 = s3 + ((A_0[((ab) + (r) * P.K + (k + 3u))])) * ((B_0[((bb) + (c) * P.K + (k + 3u))]));
  }
  for (; k < P.K; k = k + 1u) { s0 = s0 + ((A_0[((ab) + (r) * P.K + (k))])) * ((B_0[((bb) + (c) * P.K + (k))])); }
  y_0[t] = epilogue((s0 + s1) + (s2 + s3), r, c, batch);
}
