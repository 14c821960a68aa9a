// Fused attention, one workgroup per (batch, query head, query row, key split): QK^T, the mask
// terms (additive or boolean mask, causal frontier), softcap, an online softmax and the product
// with V in one pass over the keys, which are read where they lie (a past cache, then the new
// keys: the cache is read in place, never concatenated). K/V head
// = query head / GROUP (grouped-query and multi-query attention). Keys go in tiles of WG: each
// thread scores one key of the tile, then each thread accumulates its own output dims. With
// SPLITS > 1 (decode: few rows, long caches) each workgroup covers one CHUNK of the keys and
// writes its running max, sum and unnormalised output; attention-combine merges the splits.
{{BINDINGS}}

const HQ = {{HQ}}u;
const SQ = {{SQ}}u;
const SKV = {{SKV}}u; // past + new keys
const PAST = {{PAST}}u;
const D = {{D}}u;
const DV = {{DV}}u;
const GROUP = {{GROUP}}u;
const SPLITS = {{SPLITS}}u;
const CHUNK = {{CHUNK}}u;
const ROWS = {{ROWS}}u;
const WG = {{WG}}u;
const DPT = {{DPT}}u; // output dims per thread
const SCALE = {{SCALE}};
const SOFTCAP = {{SOFTCAP}};
const NEG = -3.0e38; // "masked": finite, so exp(NEG - m) is 0 and never NaN

var<workgroup> qrow: array<f32, {{D}}>;
var<workgroup> sc: array<f32, {{WG}}>;

fn q_at(b: u32, h: u32, i: u32, d: u32) -> u32 { return {{Q_AT}}; }
fn k_at(b: u32, h: u32, j: u32, d: u32) -> u32 { return {{K_AT}}; }
fn v_at(b: u32, h: u32, j: u32, d: u32) -> u32 { return {{V_AT}}; }
fn y_at(b: u32, h: u32, i: u32, d: u32) -> u32 { return {{Y_AT}}; }
fn bias(b: u32, h: u32, i: u32, j: u32) -> f32 { {{BIAS}} }
fn key(b: u32, h: u32, j: u32, d: u32) -> f32 { {{KEY}} }
fn value(b: u32, h: u32, j: u32, d: u32) -> f32 { {{VALUE}} }

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= ROWS * SPLITS) { return; }
  let s = row % SPLITS;
  let r = row / SPLITS;
  let i = r % SQ;
  let bh = r / SQ;
  let h = bh % HQ;
  let b = bh / HQ;
  let kvh = h / GROUP;
  for (var d = t; d < D; d = d + WG) { qrow[d] = f32(q(q_at(b, h, i, d))) * SCALE; }
  workgroupBarrier();
  var m = NEG;
  var l = 0.0;
  var acc: array<f32, {{DPT}}>;
  for (var c = 0u; c < DPT; c = c + 1u) { acc[c] = 0.0; }
  let j0 = s * CHUNK;
  let j1 = min(j0 + CHUNK, SKV);
  for (var base = j0; base < j1; base = base + WG) {
    let j = base + t;
    var sj = NEG;
    if (j < j1) {
      var dot = 0.0;
      for (var d = 0u; d < D; d = d + 1u) { dot = dot + qrow[d] * key(b, kvh, j, d); }
      if (SOFTCAP != 0.0) { dot = SOFTCAP * tanh_s(dot / SOFTCAP); }
      sj = max(dot + bias(b, h, i, j), NEG);
    }
    sc[t] = sj;
    workgroupBarrier();
    let n = min(WG, j1 - base);
    var tm = NEG;
    for (var u = 0u; u < n; u = u + 1u) { tm = max(tm, sc[u]); }
    let mn = max(m, tm);
    let alpha = exp(m - mn);
    // each thread turns its own key's score into a weight once (after all have read the scores)
    workgroupBarrier();
    sc[t] = select(exp(sj - mn), 0.0, sj <= NEG);
    workgroupBarrier();
    var ps = 0.0;
    for (var u = 0u; u < n; u = u + 1u) { ps = ps + sc[u]; }
    l = l * alpha + ps;
    for (var c = 0u; c < DPT; c = c + 1u) {
      let d = t + c * WG;
      if (d < DV) {
        var a = acc[c] * alpha;
        for (var u = 0u; u < n; u = u + 1u) { a = a + sc[u] * value(b, kvh, base + u, d); }
        acc[c] = a;
      }
    }
    m = mn;
    workgroupBarrier();
  }
  {{FINISH}}
}
