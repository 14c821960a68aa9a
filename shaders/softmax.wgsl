// Softmax, LogSoftmax and Hardmax along one axis (or the rows of the legacy 2-D coercion): one
// workgroup per row; max, then the sum of exp(x - max) as trees in workgroup memory, then the
// row is written. Row elements sit at base(o) + r * STRIDE. The sizes are uniform parameters:
// R (row length), NOUT (rows), STRIDE (product of the dims after the axis), and R * STRIDE.
struct Params { r: u32, nout: u32, stride: u32, span: u32 }
{{BINDINGS}}

const WG = {{WG}}u;
const KIND = {{KIND}}u; // 0 softmax, 1 log-softmax, 2 hardmax
var<workgroup> sv: array<f32, {{WG}}>;
var<workgroup> si: array<u32, {{WG}}>;

fn base(o: u32) -> u32 { let outer = o / P.stride; let inn = o - outer * P.stride; return outer * P.span + inn; }

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let R = P.r;
  let STRIDE = P.stride;
  let o = wid.x + wid.y * nwg.x;
  if (o >= P.nout) { return; }
  let b = base(o);
  var m = -inf_f32();
  var mi = 0xffffffffu;
  for (var r = lid.x; r < R; r = r + WG) {
    let v = f32(x(b + r * STRIDE));
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
    for (var r = lid.x; r < R; r = r + WG) { y_set(b + r * STRIDE, {{OUT}}(select(0.0, 1.0, r == am))); }
    return;
  }
  var sum = 0.0;
  for (var r = lid.x; r < R; r = r + WG) { sum = sum + exp(f32(x(b + r * STRIDE)) - mx); }
  sv[lid.x] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sv[lid.x] = sv[lid.x] + sv[lid.x + s]; }
    workgroupBarrier();
  }
  let total = sv[0];
  let lt = log(total);
  for (var r = lid.x; r < R; r = r + WG) {
    let v = f32(x(b + r * STRIDE)) - mx;
    var out: f32;
    if (KIND == 1u) { out = v - lt; } else { out = exp(v) / total; }
    y_set(b + r * STRIDE, {{OUT}}({{STORE}}));
  }
}
