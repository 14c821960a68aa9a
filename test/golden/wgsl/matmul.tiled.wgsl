// variant matmul/tiled: batch=0 aBatch=none bBatch=none transA=false transB=false acc=f32 out=f32 extra=0 parts=1,1,1 epilogue=#7476c3e0 params=1 tile=4x1 wg=16x16 tk=16
// matmul.tiled dispatch 0: nn.MatMul:matmul4x1, grid 1x1x1, params [64,16,32,1024,0,0,0,0]
// Matrix multiply (MatMul, Gemm, MatMulInteger, k.matmul): C[b] = epilogue(A[b] · B[b]) with
// batch broadcasting. Tiles of A and B are staged in workgroup memory; each thread accumulates
// TM×TN outputs in registers. Tile sizes and workgroup shape come from the adapter (tiles.ts);
// shapes, transposes, batch offsets and the epilogue are baked in.
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

const TM = 4u;
const TN = 1u;
const WGX = 16u;
const WGY = 16u;
const TK = 16u;
const TILE_M = 64u;
const TILE_N = 16u;

var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 256>;

fn a_base(b: u32) -> u32 { return 0u; }
fn b_base(b: u32) -> u32 { return 0u; }
fn a_at(base: u32, r: u32, k: u32) -> f32 { return (A_0[(base + r * P.K + k)]); }
fn b_at(base: u32, k: u32, c: u32) -> f32 { return (B_0[(base + k * P.N + c)]); }
fn epilogue(acc: f32, r: u32, c: u32, b: u32) -> f32 { _ = r; _ = c; _ = b; return acc; }

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let batch = wid.z;
  let ab = (0u);
  let bb = (0u);
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  var acc: array<f32, 4>;
  for (var k0 = 0u; k0 < P.K; k0 = k0 + TK) {
    for (var e = li; e < TILE_M * TK; e = e + WGX * WGY) {
      let r = row0 + e / TK;
      let k = k0 + e % TK;
      As[e] = select(f32(0), ((A_0[((ab) + (min(r, P.M - 1u)) * P.K + (min(k, P.K - 1u)))])), r < P.M && k < P.K);
    }
    for (var e = li; e < TK * TILE_N; e = e + WGX * WGY) {
      let k = k0 + e / TILE_N;
      let c = col0 + e % TILE_N;
      Bs[e] = select(f32(0), ((B_0[((bb) + (min(k, P.K - 1u)) * P.N + (min(c, P.N - 1u)))])), k < P.K && c < P.N);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var bv: array<f32, 1>;
      for (var j = 0u; j < TN; j = j + 1u) { bv[j] = Bs[kk * TILE_N + lid.x + j * WGX]; }
      for (var i = 0u; i < TM; i = i + 1u) {
        let av = As[(lid.y + i * WGY) * TK + kk];
        for (var j = 0u; j < TN; j = j + 1u) { acc[i * TN + j] = acc[i * TN + j] + av * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i = i + 1u) {
    let r = row0 + lid.y + i * WGY;
    if (r >= P.M) { break; }
    for (var j = 0u; j < TN; j = j + 1u) {
      let c = col0 + lid.x + j * WGX;
      if (c < P.N) { y_0[batch * P.M * P.N + r * P.N + c] = epilogue(acc[i * TN + j], r, c, batch); }
    }
  }
}
