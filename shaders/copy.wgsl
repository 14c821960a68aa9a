// The copy template (data movement): every thread takes elements of the iteration space (the
// output for gathers, an input for concat's scatter) and copies one element, with the source index
// computed from coordinates for the op: transpose, slice, pad (constant/edge/reflect/wrap),
// expand, tile, concat, split, gather, gather-elements, trilu, quantize, cumsum. Sizes and offsets
// are uniform parameters in P (P.v[0].x threads, P.v[0].y elements, then the kernel's own).
{{BINDINGS}}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WG}}u;
  let threads = P.v[0].x;
  let n = P.v[0].y;
  if (t >= threads) { return; }
  for (var k = 0u; k < {{PER_THREAD}}u; k++) {
    let i = t + k * threads;
    if (i >= n) { return; }
{{BODY}}
  }
}
