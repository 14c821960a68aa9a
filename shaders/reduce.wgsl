// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax/ArgMin):
// one workgroup per output element; threads stride over its R inputs, then a tree in workgroup
// memory. Arg reductions carry the index and break ties toward the first (or last) index.
// R (reduced elements per output) and NOUT are P.v[0].xy; the strides of in_off follow in P.
{{BINDINGS}}

const WG = {{WG}}u;
const ARG = {{ARG}};
var<workgroup> sv: array<{{ACC}}, {{WG}}>;
var<workgroup> si: array<u32, {{WG}}>;

fn in_off(o: u32, r: u32) -> u32 { {{IN_OFF}} }
fn load(o: u32, r: u32) -> {{ACC}} { let v = x(in_off(o, r)); return {{LOAD}}; }
fn combine(a: {{ACC}}, b: {{ACC}}) -> {{ACC}} { return {{COMBINE}}; }
// for arg reductions: does (b, bi) replace (a, ai)? ai == NONE means "nothing yet"
fn better(a: {{ACC}}, ai: u32, b: {{ACC}}, bi: u32) -> bool {
  if (bi == 0xffffffffu) { return false; }
  if (ai == 0xffffffffu) { return true; }
  {{BETTER}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let R = P.v[0].x;
  let NOUT = P.v[0].y;
  let o = wid.x + wid.y * nwg.x;
  if (o >= NOUT) { return; }
  var acc: {{ACC}} = {{INIT}};
  var idx = 0xffffffffu;
  for (var r = lid.x; r < R; r = r + WG) {
    let v = load(o, r);
    if (ARG) { if (better(acc, idx, v, r)) { acc = v; idx = r; } } else { acc = combine(acc, v); }
  }
  sv[lid.x] = acc;
  si[lid.x] = idx;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      if (ARG) {
        if (better(sv[lid.x], si[lid.x], sv[lid.x + s], si[lid.x + s])) { sv[lid.x] = sv[lid.x + s]; si[lid.x] = si[lid.x + s]; }
      } else {
        sv[lid.x] = combine(sv[lid.x], sv[lid.x + s]);
      }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let a = sv[0];
    let ai = si[0];
    _ = ai;
    {{FINISH}}
  }
}
