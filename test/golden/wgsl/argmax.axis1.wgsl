// variant argmax/ArgMax: types=float32>int64 parts=1,1 wg=16 acc=f32 kept=1 reduced=1 last=0
// argmax.axis1 dispatch 0: nn.ArgMax:reduce, grid 3x1x1, params [10,3,10,1]
// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax/ArgMin):
// one workgroup per output element; threads stride over its R inputs, then a tree in workgroup
// memory. Arg reductions carry the index and break ties toward the first (or last) index.
// R (reduced elements per output) and NOUT are P.v[0].xy; the strides of in_off follow in P.

struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x_0: array<f32>;
fn x(i: u32) -> f32 { return x_0[i]; }
@group(0) @binding(2) var<storage, read_write> y_0: array<i32>;
fn y(i: u32) -> i32 { return y_0[i]; }
fn y_set(i: u32, v: i32) { y_0[i] = v; }
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
const ARG = true;
var<workgroup> sv: array<f32, 16>;
var<workgroup> si: array<u32, 16>;

fn in_off(o: u32, r: u32) -> u32 { var kr = o; let k0 = kr; var qr = r; let q0 = qr; return k0 * P.v[0].z + q0 * P.v[0].w; }
fn load(o: u32, r: u32) -> f32 { let v = (x_0[(in_off(o, r))]); return v; }
fn combine(a: f32, b: f32) -> f32 { return a + b; }
// for arg reductions: does (b, bi) replace (a, ai)? ai == NONE means "nothing yet"
fn better(a: f32, ai: u32, b: f32, bi: u32) -> bool {
  if (bi == 0xffffffffu) { return false; }
  if (ai == 0xffffffffu) { return true; }
  if (b > a) { return true; } if (b == a) { return bi < ai; } return false;
}

@compute @workgroup_size(16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let R = P.v[0].x;
  let NOUT = P.v[0].y;
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  var acc: f32 = f32(0.0);
  var idx = 0xffffffffu;
  for (var r = lid.x; r < R; r = r + WG) {
    let v = load(o, r);
    if (ARG) { if (better(acc, idx, v, r)) { acc = v; idx = r; } } else { acc = ((acc) + (v)); }
  }
  sv[lid.x] = acc;
  si[lid.x] = idx;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      if (ARG) {
        if (better(sv[lid.x], si[lid.x], sv[lid.x + s], si[lid.x + s])) { sv[lid.x] = sv[lid.x + s]; si[lid.x] = si[lid.x + s]; }
      } else {
        sv[lid.x] = ((sv[lid.x]) + (sv[lid.x + s]));
      }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let a = sv[0];
    let ai = si[0];
    _ = ai;
    y_0[o] = i32(ai);
  }
}
