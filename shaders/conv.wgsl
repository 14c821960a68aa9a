// Convolution (nn.Conv, k.conv with its epilogue): one thread per output element, looping over
// the input channels of its group and the kernel window; strides, pads, dilations and the
// window walk are baked in for the shapes.
{{BINDINGS}}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WG}}u;
  if (i >= {{N}}u) { return; }
  {{COORDS}}
  var acc = 0.0;
  for (var cg = 0u; cg < {{CG}}u; cg = cg + 1u) {
    let xc = xbase + (g * {{CG}}u + cg) * {{XCH}}u;
    let wc = wbase + cg * {{KN}}u;
    for (var kk = 0u; kk < {{KN}}u; kk = kk + 1u) {
      {{WINDOW}}
    }
  }
{{STORE}}
}
