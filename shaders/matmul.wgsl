// Matrix multiply (MatMul, Gemm, MatMulInteger, k.matmul): C[b] = epilogue(A[b] · B[b]) with
// batch broadcasting. Tiles of A and B are staged in workgroup memory; each thread accumulates
// TM×TN outputs in registers. Tile sizes and workgroup shape come from the adapter (tiles.ts);
// shapes, transposes, batch offsets and the epilogue are baked in.
{{BINDINGS}}
// M, N, K (and the element count) are uniform fields P.M, P.N, P.K, P.total; batch strides follow in P.v.

const TM = {{TM}}u;
const TN = {{TN}}u;
const WGX = {{WGX}}u;
const WGY = {{WGY}}u;
const TK = {{TK}}u;
const TILE_M = {{TILE_M}}u;
const TILE_N = {{TILE_N}}u;

var<workgroup> As: array<{{ACC}}, {{TILE_M_TK}}>;
var<workgroup> Bs: array<{{ACC}}, {{TK_TILE_N}}>;

fn a_base(b: u32) -> u32 { {{A_BASE}} }
fn b_base(b: u32) -> u32 { {{B_BASE}} }
fn a_at(base: u32, r: u32, k: u32) -> {{ACC}} { return {{A_LOAD}}; }
fn b_at(base: u32, k: u32, c: u32) -> {{ACC}} { return {{B_LOAD}}; }
fn epilogue(acc: {{ACC}}, r: u32, c: u32, b: u32) -> {{OUT}} { {{EPILOGUE}} }

@compute @workgroup_size({{WGX}}, {{WGY}}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let batch = wid.z;
  let ab = a_base(batch);
  let bb = b_base(batch);
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  var acc: array<{{ACC}}, {{TM_TN}}>;
  for (var k0 = 0u; k0 < P.K; k0 = k0 + TK) {
    for (var e = li; e < TILE_M * TK; e = e + WGX * WGY) {
      let r = row0 + e / TK;
      let k = k0 + e % TK;
      As[e] = select({{ACC}}(0), a_at(ab, min(r, P.M - 1u), min(k, P.K - 1u)), r < P.M && k < P.K);
    }
    for (var e = li; e < TK * TILE_N; e = e + WGX * WGY) {
      let k = k0 + e / TILE_N;
      let c = col0 + e % TILE_N;
      Bs[e] = select({{ACC}}(0), b_at(bb, min(k, P.K - 1u), min(c, P.N - 1u)), k < P.K && c < P.N);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      var bv: array<{{ACC}}, {{TN}}>;
      for (var j = 0u; j < TN; j = j + 1u) { bv[j] = Bs[kk * TILE_N + lid.x + j * WGX]; }
      for (var i = 0u; i < TM; i = i + 1u) {
        let av = As[(lid.y + i * WGY) * TK + kk];
        for (var j = 0u; j < TN; j = j + 1u) { acc[i * TN + j] = acc[i * TN + j] + av * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i = i + 1u) {
    let r = row0 + lid.y + i * WGY;
    if (r >= P.M) { break; }
    for (var j = 0u; j < TN; j = j + 1u) {
      let c = col0 + lid.x + j * WGX;
      if (c < P.N) { y_set(batch * P.M * P.N + r * P.N + c, epilogue(acc[i * TN + j], r, c, batch)); }
    }
  }
}
