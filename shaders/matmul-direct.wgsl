// Matrix multiply without workgroup memory, for CPU-emulated adapters (SwiftShader, llvmpipe),
// where a workgroupBarrier costs far more than the cache-served global loads it would save:
// each thread accumulates a TM×TN block of outputs straight from A and B. Same loads and
// epilogue as matmul.wgsl.
{{BINDINGS}}
// M, N, K (and the element count) are uniform fields P.M, P.N, P.K, P.total; batch strides follow in P.v.

const TM = {{TM}}u;
const TN = {{TN}}u;

fn a_base(b: u32) -> u32 { {{A_BASE}} }
fn b_base(b: u32) -> u32 { {{B_BASE}} }
fn a_at(base: u32, r: u32, k: u32) -> {{ACC}} { return {{A_LOAD}}; }
fn b_at(base: u32, k: u32, c: u32) -> {{ACC}} { return {{B_LOAD}}; }
fn epilogue(acc: {{ACC}}, r: u32, c: u32, b: u32) -> {{OUT}} { {{EPILOGUE}} }

@compute @workgroup_size({{WGX}}, {{WGY}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let batch = gid.z;
  let row0 = gid.y * TM;
  let col0 = gid.x * TN;
  if (row0 >= P.M || col0 >= P.N) { return; }
  let ab = a_base(batch);
  let bb = b_base(batch);
  // TM×TN accumulators as named registers (the kernel generator unrolls the block)
{{DECL}}
  for (var k = 0u; k < P.K; k = k + 1u) {
{{KBODY}}
  }
{{STORE}}
}
