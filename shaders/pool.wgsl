// Pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LpPool-free): one thread
// per output element walking its window; pads, strides, dilations and the divisor rule
// (count_include_pad) are baked in.
{{BINDINGS}}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WG}}u;
  if (i >= {{N}}u) { return; }
  {{COORDS}}
  var acc: {{ACC}} = {{INIT}};
  var cnt = 0u;
  for (var kk = 0u; kk < {{KN}}u; kk = kk + 1u) {
    {{WINDOW}}
  }
  y_set(i, {{RESULT}});
}
