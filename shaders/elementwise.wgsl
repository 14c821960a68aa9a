// Elementwise kernels: y[i] = EXPR(inputs broadcast to y's shape). One template serves unary,
// binary, variadic, activation, comparison, select and cast ops and fused chains (k.map):
// dtypes, rank and the expression are compile-time (the variant key); threads, element count,
// strides and broadcast strides are uniform parameters in P (P.v[0].x threads, P.v[0].y count).
{{BINDINGS}}

// pow for negative bases with integer exponents (WGSL pow is undefined for x < 0)
fn pow_s(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x >= 0.0) { return pow(x, y); }
  if (trunc(y) != y) { return nan_f32(); }
  let r = pow(-x, y);
  return select(r, -r, (abs(y) % 2.0) == 1.0);
}
fn ipow(b: i32, e: i32) -> i32 {
  if (e < 0) { if (b == 1) { return 1; } if (b == -1) { return select(-1, 1, (e % 2) == 0); } return 0; }
  var r = 1; var x = b; var k = e;
  loop { if (k == 0) { break; } if ((k & 1) == 1) { r = r * x; } x = x * x; k = k >> 1u; }
  return r;
}

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
