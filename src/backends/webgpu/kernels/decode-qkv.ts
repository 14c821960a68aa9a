// WGSL kernel of k.decode_qkv (src/ops/kernel/decode-qkv.ts): a decode step's norm, packed
// Q | K | V matvec, rotary embedding and KV-cache write in one dispatch. A thread owns a pair of
// columns of one head (d, d + D/2, or 2d, 2d + 1 when interleaved: the two entries RoPE mixes), so
// the rotation happens in registers; Q goes to its own output, K and V rows straight into the cache
// at the token's position: present_key/present_value alias past_key/past_value (written in place,
// never copied). Every workgroup first reduces the row's norm statistics over K in workgroup
// memory, as k.norm_matmul does. f32 accumulation.

import '../../../ops/kernel/decode-qkv.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { lit, ShaderBuilder } from '../wgsl.js';
import { planDecodeQkvNbits } from './decode-qkv-nbits.js';

function planDecodeQkv(a: PlanArgs) {
  const [x, w, scale, normBias, bias, pos, pastKey, , cos, sin] = a.ins;
  const hq = a.attrs.int('q_num_heads'),
    hkv = a.attrs.int('kv_num_heads'),
    D = a.attrs.int('head_size');
  const K = x!.dims[2]!;
  const C = pastKey!.dims[2]!;
  const N = (hq + 2 * hkv) * D;
  const half = D / 2;
  const pairs = N / 2;
  const rotary = !!(cos && sin);
  const WG = Math.min(64, a.ctx.wg);
  const b = new ShaderBuilder().input('X', x!.layout).input('W', w!.layout).input('sc', scale!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }];
  if (normBias) b.input('nb', normBias.layout), tensors.push({ in: 3 });
  if (bias) b.input('bi', bias.layout), tensors.push({ in: 4 });
  b.input('pos', pos!.layout);
  tensors.push({ in: 5 });
  if (rotary) {
    b.input('cs', cos!.layout).input('sn', sin!.layout);
    tensors.push({ in: 8 }, { in: 9 });
  }
  // the cache tensors are bound once, as outputs (they alias inputs 6 and 7)
  b.output('q', a.outs[0]!.layout).output('pk', a.outs[1]!.layout).output('pv', a.outs[2]!.layout);
  tensors.push({ out: 0 }, { out: 1 }, { out: 2 });
  const rms = a.attrs.int('rms', 0) === 1;
  const eps = lit(a.attrs.float('epsilon', 1e-5), 'f32');
  const interleaved = a.attrs.int('interleaved', 0) === 1;
  const stats = rms
    ? `var q2 = 0.0;
  for (var k = t; k < K; k = k + WG) { let v = f32(X(k)); q2 = q2 + v * v; }
  red[t] = 0.0; red2[t] = q2;`
    : `let x0 = f32(X(0u));
  var sm = 0.0;
  var q2 = 0.0;
  for (var k = t; k < K; k = k + WG) { let v = f32(X(k)) - x0; sm = sm + v; q2 = q2 + v * v; }
  red[t] = sm; red2[t] = q2;`;
  const blocks = Math.ceil(pairs / WG);
  const code = `${b.header()}
const N = ${N}u;
const K = ${K}u;
const WG = ${WG}u;
const D = ${D}u;
const HALF = ${half}u;
const C = ${C}u;
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> red2: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= ${blocks}u) { return; }
  ${stats}
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s) { red[t] = red[t] + red[t + s]; red2[t] = red2[t] + red2[t + s]; }
    workgroupBarrier();
  }
  let shifted = red[0] / f32(K);
  let mean = ${rms ? '0.0' : 'x0 + shifted'};
  let variance = max(red2[0] / f32(K) - shifted * shifted, 0.0);
  let inv = inverseSqrt(variance + ${eps});
  let p = g * WG + t;
  if (p >= ${pairs}u) { return; }
  let head = p / HALF;
  let j = p % HALF;
  let d1 = ${interleaved ? '2u * j' : 'j'};
  let d2 = ${interleaved ? '2u * j + 1u' : 'j + HALF'};
  let c1 = head * D + d1;
  let c2 = head * D + d2;
  var a1 = 0.0;
  var a2 = 0.0;
  for (var k = 0u; k < K; k = k + 1u) {
    let xn = (f32(X(k)) - mean) * inv * f32(sc(k))${normBias ? ' + f32(nb(k))' : ''};
    a1 = a1 + xn * f32(W(k * N + c1));
    a2 = a2 + xn * f32(W(k * N + c2));
  }
  ${bias ? 'a1 = a1 + f32(bi(c1)); a2 = a2 + f32(bi(c2));' : ''}
  let at = u32(max(pos(0u), 0i));
  if (head < ${hq + hkv}u) {
    ${
      rotary
        ? `let co = f32(cs(at * HALF + j));
    let si = f32(sn(at * HALF + j));
    let r1 = co * a1 - si * a2;
    a2 = si * a1 + co * a2;
    a1 = r1;`
        : ''
    }
  }
  if (head < ${hq}u) {
    q_set(c1, ${a.outs[0]!.layout.wtype}(a1));
    q_set(c2, ${a.outs[0]!.layout.wtype}(a2));
    return;
  }
  if (at >= C) { return; }
  if (head < ${hq + hkv}u) {
    let row = ((head - ${hq}u) * C + at) * D;
    pk_set(row + d1, ${a.outs[1]!.layout.wtype}(a1));
    pk_set(row + d2, ${a.outs[1]!.layout.wtype}(a2));
    return;
  }
  let row = ((head - ${hq + hkv}u) * C + at) * D;
  pv_set(row + d1, ${a.outs[2]!.layout.wtype}(a1));
  pv_set(row + d2, ${a.outs[2]!.layout.wtype}(a2));
}`;
  return {
    alias: [undefined, 6, 7],
    writesInputs: [6, 7],
    dispatches: [
      {
        code,
        variant: { family: 'decode-qkv', name: rms ? 'rms' : 'layernorm', key: { ...bakedKey(a), wg: WG } },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(blocks),
        label: `k.decode_qkv:${rms ? 'rms' : 'layernorm'}-qkv${rotary ? '-rope' : ''}-cache`,
      },
    ],
  };
}

registerKernels({
  ops: ['k.decode_qkv'],
  int64Inputs: [5],
  supports(node, attrs) {
    const t = node.inputs[1]?.type?.dtype;
    const bits = attrs.int('bits', 0);
    if (bits && ((bits !== 4 && bits !== 8) || t !== 'uint32' || attrs.int('rms', 0) !== 1 || node.inputs[3]))
      return `k.decode_qkv with ${bits}-bit weights runs RMSNorm only, from uint32 words`;
    if (!bits && t !== 'float32') return `k.decode_qkv with ${t} weights has no WGSL kernel`;
    const hd = attrs.int('head_size');
    return hd % 2 === 0 ? true : `k.decode_qkv needs an even head size (got ${hd})`;
  },
  plan: (a) => (a.attrs.int('bits', 0) ? planDecodeQkvNbits(a) : planDecodeQkv(a)),
});
