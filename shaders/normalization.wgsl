// LayerNormalization, RMSNormalization and InstanceNormalization: one workgroup per row of R
// elements; the mean (skipped for RMS) and the variance as trees in workgroup memory, then
// y = (x - mean) * rsqrt(var + eps) * scale + bias with scale/bias indices baked per op.
{{BINDINGS}}

const R = {{R}}u;
const NOUT = {{NOUT}}u;
const WG = {{WG}}u;
const RMS = {{RMS}};
var<workgroup> sv: array<f32, {{WG}}>;

fn scale_at(o: u32, r: u32) -> f32 { {{SCALE}} }
fn bias_at(o: u32, r: u32) -> f32 { {{BIAS}} }

fn tree_sum(lid: u32, v: f32) -> f32 {
  sv[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { sv[lid] = sv[lid] + sv[lid + s]; }
    workgroupBarrier();
  }
  let t = sv[0];
  workgroupBarrier();
  return t;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  let b = o * R;
  var mean = 0.0;
  if (!RMS) {
    var s = 0.0;
    for (var r = lid.x; r < R; r = r + WG) { s = s + f32(x(b + r)); }
    mean = tree_sum(lid.x, s) / f32(R);
  }
  var q = 0.0;
  for (var r = lid.x; r < R; r = r + WG) { let d = f32(x(b + r)) - mean; q = q + d * d; }
  let inv = inverseSqrt(tree_sum(lid.x, q) / f32(R) + {{EPS}});
  for (var r = lid.x; r < R; r = r + WG) {
    let v = (f32(x(b + r)) - mean) * inv * scale_at(o, r) + bias_at(o, r);
    y_set(b + r, {{OUT}}({{STORE}}));
  }
  if (lid.x == 0u) { {{STATS}} }
}
