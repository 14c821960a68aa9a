// Flash-decoding's second step: merge the key splits of each attention row. Split s left its
// running max pm, sum pl and unnormalised output pacc; the row's output is
// sum_s pacc_s * exp(pm_s - M) / sum_s pl_s * exp(pm_s - M) with M the largest max (0 when no
// key of the row was attendable). One thread per output element.
{{BINDINGS}}

const HQ = {{HQ}}u;
const SQ = {{SQ}}u;
const DV = {{DV}}u;
const SPLITS = {{SPLITS}}u;
const TOTAL = {{TOTAL}}u;

fn y_at(b: u32, h: u32, i: u32, d: u32) -> u32 { return {{Y_AT}}; }

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * {{WG}}u;
  if (e >= TOTAL) { return; }
  let d = e % DV;
  let r = e / DV;
  var mx = -3.0e38;
  for (var s = 0u; s < SPLITS; s = s + 1u) { mx = max(mx, pm(r * SPLITS + s)); }
  var num = 0.0;
  var den = 0.0;
  for (var s = 0u; s < SPLITS; s = s + 1u) {
    let w = exp(pm(r * SPLITS + s) - mx);
    den = den + pl(r * SPLITS + s) * w;
    num = num + pacc((r * SPLITS + s) * DV + d) * w;
  }
  let i = r % SQ;
  let bh = r / SQ;
  y_set(y_at(bh / HQ, bh % HQ, i, d), {{STORE}});
}
