// Skinny matrix products (one row or one column: decode steps, vector search): one thread per
// output, walking K with four independent accumulators. Same loads and epilogue as matmul.wgsl.
{{BINDINGS}}
// M, N, K (and the element count) are uniform fields P.M, P.N, P.K, P.total; batch strides follow in P.v.


fn a_base(b: u32) -> u32 { {{A_BASE}} }
fn b_base(b: u32) -> u32 { {{B_BASE}} }
fn a_at(base: u32, r: u32, k: u32) -> {{ACC}} { return {{A_LOAD}}; }
fn b_at(base: u32, k: u32, c: u32) -> {{ACC}} { return {{B_LOAD}}; }
fn epilogue(acc: {{ACC}}, r: u32, c: u32, b: u32) -> {{OUT}} { {{EPILOGUE}} }

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WG}}u;
  if (t >= P.total) { return; }
  let batch = t / (P.M * P.N);
  let rc = t - batch * P.M * P.N;
  let r = rc / P.N;
  let c = rc - r * P.N;
  let ab = a_base(batch);
  let bb = b_base(batch);
  var s0 = {{ACC}}(0); var s1 = {{ACC}}(0); var s2 = {{ACC}}(0); var s3 = {{ACC}}(0);
  var k = 0u;
  for (; k + 4u <= P.K; k = k + 4u) {
    s0 = s0 + a_at(ab, r, k) * b_at(bb, k, c);
    s1 = s1 + a_at(ab, r, k + 1u) * b_at(bb, k + 1u, c);
    s2 = s2 + a_at(ab, r, k + 2u) * b_at(bb, k + 2u, c);
    s3 = s3 + a_at(ab, r, k + 3u) * b_at(bb, k + 3u, c);
  }
  for (; k < P.K; k = k + 1u) { s0 = s0 + a_at(ab, r, k) * b_at(bb, k, c); }
  y_set(t, epilogue((s0 + s1) + (s2 + s3), r, c, batch));
}
