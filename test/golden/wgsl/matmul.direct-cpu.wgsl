// variant matmul/direct: batch=0 aBatch=none bBatch=none transA=false transB=false acc=f32 out=f32 extra=0 parts=1,1,1 epilogue=#7476c3e0 params=1 tile=8x2 wg=8x8
// matmul.direct-cpu dispatch 0: nn.MatMul:matmul-direct8x2, grid 1x1x1, params [64,16,32,1024,0,0,0,0]
// Matrix multiply without workgroup memory, for CPU-emulated adapters (SwiftShader, llvmpipe),
// where a workgroupBarrier costs far more than the cache-served global loads it would save:
// each thread accumulates a TM×TN block of outputs straight from A and B. Same loads and
// epilogue as matmul.wgsl.
struct Params { M: u32, N: u32, K: u32, total: u32, v: array<vec4<u32>, 1> }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A_0: array<f32>;
fn A(i: u32) -> f32 { return A_0[i]; }
@group(0) @binding(2) var<storage, read> B_0: array<f32>;
fn B(i: u32) -> f32 { return B_0[i]; }
@group(0) @binding(3) var<storage, read_write> y_0: array<f32>;
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

const TM = 8u;
const TN = 2u;

fn a_base(b: u32) -> u32 { return 0u; }
fn b_base(b: u32) -> u32 { return 0u; }
fn a_at(base: u32, r: u32, k: u32) -> f32 { return (A_0[(base + r * P.K + k)]); }
fn b_at(base: u32, k: u32, c: u32) -> f32 { return (B_0[(base + k * P.N + c)]); }
fn epilogue(acc: f32, r: u32, c: u32, b: u32) -> f32 { _ = r; _ = c; _ = b; return acc; }

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let batch = gid.z;
  let row0 = gid.y * TM;
  let col0 = gid.x * TN;
  if (row0 >= P.M || col0 >= P.N) { return; }
  let ab = (0u);
  let bb = (0u);
  // TM×TN accumulators as named registers (the kernel generator unrolls the block)
  let r0 = min(row0 + 0u, P.M - 1u);
  let r1 = min(row0 + 1u, P.M - 1u);
  let r2 = min(row0 + 2u, P.M - 1u);
  let r3 = min(row0 + 3u, P.M - 1u);
  let r4 = min(row0 + 4u, P.M - 1u);
  let r5 = min(row0 + 5u, P.M - 1u);
  let r6 = min(row0 + 6u, P.M - 1u);
  let r7 = min(row0 + 7u, P.M - 1u);
  let c0 = min(col0 + 0u, P.N - 1u);
  let c1 = min(col0 + 1u, P.N - 1u);
  var acc0_0 = f32(0);
  var acc0_1 = f32(0);
  var acc1_0 = f32(0);
  var acc1_1 = f32(0);
  var acc2_0 = f32(0);
  var acc2_1 = f32(0);
  var acc3_0 = f32(0);
  var acc3_1 = f32(0);
  var acc4_0 = f32(0);
  var acc4_1 = f32(0);
  var acc5_0 = f32(0);
  var acc5_1 = f32(0);
  var acc6_0 = f32(0);
  var acc6_1 = f32(0);
  var acc7_0 = f32(0);
  var acc7_1 = f32(0);
  for (var k = 0u; k < P.K; k = k + 1u) {
    let b0 = ((B_0[((bb) + (k) * P.N + (c0))]));
    let b1 = ((B_0[((bb) + (k) * P.N + (c1))]));
    let a0 = ((A_0[((ab) + (r0) * P.K + (k))]));
    acc0_0 = acc0_0 + a0 * b0;
    acc0_1 = acc0_1 + a0 * b1;
    let a1 = ((A_0[((ab) + (r1) * P.K + (k))]));
    acc1_0 = acc1_0 + a1 * b0;
    acc1_1 = acc1_1 + a1 * b1;
    let a2 = ((A_0[((ab) + (r2) * P.K + (k))]));
    acc2_0 = acc2_0 + a2 * b0;
    acc2_1 = acc2_1 + a2 * b1;
    let a3 = ((A_0[((ab) + (r3) * P.K + (k))]));
    acc3_0 = acc3_0 + a3 * b0;
    acc3_1 = acc3_1 + a3 * b1;
    let a4 = ((A_0[((ab) + (r4) * P.K + (k))]));
    acc4_0 = acc4_0 + a4 * b0;
    acc4_1 = acc4_1 + a4 * b1;
    let a5 = ((A_0[((ab) + (r5) * P.K + (k))]));
    acc5_0 = acc5_0 + a5 * b0;
    acc5_1 = acc5_1 + a5 * b1;
    let a6 = ((A_0[((ab) + (r6) * P.K + (k))]));
    acc6_0 = acc6_0 + a6 * b0;
    acc6_1 = acc6_1 + a6 * b1;
    let a7 = ((A_0[((ab) + (r7) * P.K + (k))]));
    acc7_0 = acc7_0 + a7 * b0;
    acc7_1 = acc7_1 + a7 * b1;
  }
  if (row0 + 0u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 0u) * P.N + col0 + 0u] = epilogue(acc0_0, row0 + 0u, col0 + 0u, batch); }
  if (row0 + 0u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 0u) * P.N + col0 + 1u] = epilogue(acc0_1, row0 + 0u, col0 + 1u, batch); }
  if (row0 + 1u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 1u) * P.N + col0 + 0u] = epilogue(acc1_0, row0 + 1u, col0 + 0u, batch); }
  if (row0 + 1u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 1u) * P.N + col0 + 1u] = epilogue(acc1_1, row0 + 1u, col0 + 1u, batch); }
  if (row0 + 2u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 2u) * P.N + col0 + 0u] = epilogue(acc2_0, row0 + 2u, col0 + 0u, batch); }
  if (row0 + 2u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 2u) * P.N + col0 + 1u] = epilogue(acc2_1, row0 + 2u, col0 + 1u, batch); }
  if (row0 + 3u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 3u) * P.N + col0 + 0u] = epilogue(acc3_0, row0 + 3u, col0 + 0u, batch); }
  if (row0 + 3u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 3u) * P.N + col0 + 1u] = epilogue(acc3_1, row0 + 3u, col0 + 1u, batch); }
  if (row0 + 4u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 4u) * P.N + col0 + 0u] = epilogue(acc4_0, row0 + 4u, col0 + 0u, batch); }
  if (row0 + 4u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 4u) * P.N + col0 + 1u] = epilogue(acc4_1, row0 + 4u, col0 + 1u, batch); }
  if (row0 + 5u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 5u) * P.N + col0 + 0u] = epilogue(acc5_0, row0 + 5u, col0 + 0u, batch); }
  if (row0 + 5u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 5u) * P.N + col0 + 1u] = epilogue(acc5_1, row0 + 5u, col0 + 1u, batch); }
  if (row0 + 6u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 6u) * P.N + col0 + 0u] = epilogue(acc6_0, row0 + 6u, col0 + 0u, batch); }
  if (row0 + 6u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 6u) * P.N + col0 + 1u] = epilogue(acc6_1, row0 + 6u, col0 + 1u, batch); }
  if (row0 + 7u < P.M && col0 + 0u < P.N) { y_0[batch * P.M * P.N + (row0 + 7u) * P.N + col0 + 0u] = epilogue(acc7_0, row0 + 7u, col0 + 0u, batch); }
  if (row0 + 7u < P.M && col0 + 1u < P.N) { y_0[batch * P.M * P.N + (row0 + 7u) * P.N + col0 + 1u] = epilogue(acc7_1, row0 + 7u, col0 + 1u, batch); }
}
