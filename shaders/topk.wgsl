// TopK along one axis: one workgroup per row; K rounds, each a strided scan for the best element
// after the previous pick (value, then lower index first) and a tree in workgroup memory.
// Values keep the input's type; indices are written as i32 (int64 narrowed on the GPU).
{{BINDINGS}}

const R = {{R}}u;
const NOUT = {{NOUT}}u;
const WG = {{WG}}u;
const KK = {{K}}u;
const INNER = {{INNER}}u;
const NONE = 0xffffffffu;
var<workgroup> sv: array<{{T}}, {{WG}}>;
var<workgroup> si: array<u32, {{WG}}>;

// does (v, i) rank before (bv, bi)? NONE ranks last
fn better(v: {{T}}, i: u32, bv: {{T}}, bi: u32) -> bool {
  if (i == NONE) { return false; }
  if (bi == NONE) { return true; }
  return v {{CMP}} bv || (v == bv && i < bi);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  let outer = o / INNER;
  let inn = o - outer * INNER;
  let base = outer * R * INNER + inn;
  let obase = outer * KK * INNER + inn;
  var lv: {{T}} = {{T}}(0);
  var li = NONE;
  for (var j = 0u; j < KK; j = j + 1u) {
    var bv: {{T}} = {{T}}(0);
    var bi = NONE;
    for (var r = lid.x; r < R; r = r + WG) {
      let v = x(base + r * INNER);
      // only elements ranked after the previous pick
      if ((li == NONE || better(lv, li, v, r)) && better(v, r, bv, bi)) { bv = v; bi = r; }
    }
    sv[lid.x] = bv;
    si[lid.x] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid.x < s && better(sv[lid.x + s], si[lid.x + s], sv[lid.x], si[lid.x])) { sv[lid.x] = sv[lid.x + s]; si[lid.x] = si[lid.x + s]; }
      workgroupBarrier();
    }
    lv = sv[0];
    li = si[0];
    if (lid.x == 0u) { vals_set(obase + j * INNER, lv); idx_set(obase + j * INNER, i32(li)); }
    workgroupBarrier();
  }
}
