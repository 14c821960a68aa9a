// LayerNormalization, RMSNormalization and InstanceNormalization: one workgroup per row of R
// elements; the mean (skipped for RMS) and the variance as trees in workgroup memory, then
// y = (x - mean) * rsqrt(var + eps) * scale + bias. R (row length) and NOUT (rows) are P.v[0].xy;
// scale/bias index strides follow in P.
{{BINDINGS}}

const WG = {{WG}}u;
const RMS = {{RMS}};
var<workgroup> sv: array<f32, {{WG}}>;

fn scale_at(o: u32, r: u32) -> f32 { {{SCALE}} }
fn bias_at(o: u32, r: u32) -> f32 { {{BIAS}} }

@compute @workgroup_size({{WG}})
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
    for (var r = lid.x; r < R; r = r + WG) { s = s + f32(x(b + r)); }
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
  for (var r = lid.x; r < R; r = r + WG) { let d = f32(x(b + r)) - mean; q = q + d * d; }
  sv[lid.x] = q;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid.x < h) { sv[lid.x] = sv[lid.x] + sv[lid.x + h]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(sv[0] / f32(R) + {{EPS}});
  for (var r = lid.x; r < R; r = r + WG) {
    let v = (f32(x(b + r)) - mean) * inv * scale_at(o, r) + bias_at(o, r);
    y_set(b + r, {{OUT}}({{STORE}}));
  }
  if (lid.x == 0u) { {{STATS}} }
}
