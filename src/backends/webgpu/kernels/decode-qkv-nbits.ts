// k.decode_qkv over block-quantized weights (bits 4 or 8: W as k.matmul_nbits' uint32 words, one
// row per output feature). A workgroup owns the pair of features RoPE mixes (d, d + D/2, or 2d,
// 2d + 1 interleaved) of one head; its threads stride along the two rows' words, unpack them, and
// accumulate both products of the raw row scaled by the RMSNorm weight, and the row's sum of squares
// (the norm's statistic: every k is visited once per workgroup), reduced with subgroupAdd where the
// device has subgroups, else a workgroup-memory tree. Thread 0 scales by 1/rms, adds the bias,
// rotates, and writes Q or the K/V cache row in place (as the float kernel does).

import type { PlanArgs, TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { ShaderBuilder } from '../wgsl.js';
import { SUBGROUP_BUILTINS } from './lib/subgroups.js';

export function planDecodeQkvNbits(a: PlanArgs) {
  const [x, w, scale, , bias, pos, pastKey, , cos, sin, ws, wz] = a.ins;
  const hq = a.attrs.int('q_num_heads'),
    hkv = a.attrs.int('kv_num_heads'),
    D = a.attrs.int('head_size'),
    bits = a.attrs.int('bits'),
    bs = a.attrs.int('block_size', 32);
  const K = x!.dims[2]!;
  const C = pastKey!.dims[2]!;
  const half = D / 2;
  const pairs = ((hq + 2 * hkv) * D) / 2;
  const rotary = !!(cos && sin);
  const wpb = (bs * bits) / 32;
  const words = (K / bs) * wpb;
  const cpw = 32 / bits;
  let WG = 32;
  while (WG < a.ctx.wg && WG < words && WG < 256) WG *= 2;
  WG = Math.min(WG, a.ctx.wg);
  const sg = !!a.ctx.subgroups;
  const b = new ShaderBuilder().input('X', x!.layout).input('W', w!.layout).input('sc', scale!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }];
  b.input('WS', ws!.layout);
  tensors.push({ in: 10 });
  if (wz) b.input('WZ', wz.layout), tensors.push({ in: 11 });
  if (bias) b.input('bi', bias.layout), tensors.push({ in: 4 });
  b.input('pos', pos!.layout);
  tensors.push({ in: 5 });
  if (rotary) b.input('cs', cos!.layout).input('sn', sin!.layout), tensors.push({ in: 8 }, { in: 9 });
  b.output('q', a.outs[0]!.layout).output('pk', a.outs[1]!.layout).output('pv', a.outs[2]!.layout);
  tensors.push({ out: 0 }, { out: 1 }, { out: 2 });
  const interleaved = a.attrs.int('interleaved', 0) === 1;
  const eps = a.attrs.float('epsilon', 1e-5).toExponential();
  const mask = bits === 4 ? '15u' : '255u';
  const parts = bits === 4 ? [0, 1] : [0];
  const codes = (v: string, hi: boolean) =>
    bits === 4
      ? hi
        ? `vec4<u32>(${v} >> 16u, ${v} >> 20u, ${v} >> 24u, ${v} >> 28u) & vec4<u32>(${mask})`
        : `vec4<u32>(${v}, ${v} >> 4u, ${v} >> 8u, ${v} >> 12u) & vec4<u32>(${mask})`
      : `vec4<u32>(${v}, ${v} >> 8u, ${v} >> 16u, ${v} >> 24u) & vec4<u32>(${mask})`;
  const z = (row: string) => (wz ? `WZ(${row} * KB + blk)` : `${1 << (bits - 1)}.0`);
  const body = parts
    .map((p) => {
      const xs = [0, 1, 2, 3].map((i) => `f32(X(k0 + ${4 * p + i}u))`).join(', ');
      const ns = [0, 1, 2, 3].map((i) => `f32(sc(k0 + ${4 * p + i}u))`).join(', ');
      return `let x${p} = vec4<f32>(${xs});
    ss = ss + dot(x${p}, x${p});
    let xs${p} = x${p} * vec4<f32>(${ns});
    a1 = a1 + dot(xs${p}, (vec4<f32>(${codes('u1', p === 1)}) - z1) * s1);
    a2 = a2 + dot(xs${p}, (vec4<f32>(${codes('u2', p === 1)}) - z2) * s2);`;
    })
    .join('\n    ');
  const reduce = sg
    ? `let r1 = subgroupAdd(a1); let r2 = subgroupAdd(a2); let r3 = subgroupAdd(ss);
  if (sgi == 0u) { red[t / sgs] = r1; red[WG + t / sgs] = r2; red[2u * WG + t / sgs] = r3; }
  workgroupBarrier();
  if (t != 0u) { return; }
  var t1 = 0.0; var t2 = 0.0; var t3 = 0.0;
  for (var i = 0u; i < (WG + sgs - 1u) / sgs; i = i + 1u) {
    t1 = t1 + red[i]; t2 = t2 + red[WG + i]; t3 = t3 + red[2u * WG + i];
  }`
    : `red[t] = a1; red[WG + t] = a2; red[2u * WG + t] = ss;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st >> 1u) {
    if (t < st) {
      red[t] = red[t] + red[t + st];
      red[WG + t] = red[WG + t] + red[WG + t + st];
      red[2u * WG + t] = red[2u * WG + t] + red[2u * WG + t + st];
    }
    workgroupBarrier();
  }
  if (t != 0u) { return; }
  let t1 = red[0]; let t2 = red[WG]; let t3 = red[2u * WG];`;
  const wt = (k: number) => a.outs[k]!.layout.wtype;
  const code = `${sg ? 'enable subgroups;' : ''}
${b.header()}
const K = ${K}u;
const WG = ${WG}u;
const D = ${D}u;
const HALF = ${half}u;
const C = ${C}u;
const WORDS = ${words}u;
const WPB = ${wpb}u;
const KB = ${K / bs}u;
var<workgroup> red: array<f32, ${3 * WG}>;

@compute @workgroup_size(${WG})
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,${sg ? SUBGROUP_BUILTINS : ''}
) {
  let p = wid.x + wid.y * nwg.x;
  if (p >= ${pairs}u) { return; }
  let head = p / HALF;
  let j = p % HALF;
  let d1 = ${interleaved ? '2u * j' : 'j'};
  let d2 = ${interleaved ? '2u * j + 1u' : 'j + HALF'};
  let c1 = head * D + d1;
  let c2 = head * D + d2;
  var a1 = 0.0;
  var a2 = 0.0;
  var ss = 0.0;
  for (var w = t; w < WORDS; w = w + WG) {
    let blk = w / WPB;
    let k0 = blk * ${bs}u + (w % WPB) * ${cpw}u;
    let u1 = W(c1 * WORDS + w);
    let u2 = W(c2 * WORDS + w);
    let s1 = f32(WS(c1 * KB + blk));
    let s2 = f32(WS(c2 * KB + blk));
    let z1 = vec4<f32>(f32(${z('c1')}));
    let z2 = vec4<f32>(f32(${z('c2')}));
    ${body}
  }
  ${reduce}
  let inv = inverseSqrt(t3 / f32(K) + ${eps});
  var o1 = t1 * inv${bias ? ' + f32(bi(c1))' : ''};
  var o2 = t2 * inv${bias ? ' + f32(bi(c2))' : ''};
  let at = u32(max(pos(0u), 0i));
  ${
    rotary
      ? `if (head < ${hq + hkv}u) {
    let co = f32(cs(at * HALF + j));
    let si = f32(sn(at * HALF + j));
    let r1 = co * o1 - si * o2;
    o2 = si * o1 + co * o2;
    o1 = r1;
  }`
      : ''
  }
  if (head < ${hq}u) {
    q_set(c1, ${wt(0)}(o1));
    q_set(c2, ${wt(0)}(o2));
    return;
  }
  if (at >= C) { return; }
  if (head < ${hq + hkv}u) {
    let row = ((head - ${hq}u) * C + at) * D;
    pk_set(row + d1, ${wt(1)}(o1));
    pk_set(row + d2, ${wt(1)}(o2));
    return;
  }
  let row = ((head - ${hq + hkv}u) * C + at) * D;
  pv_set(row + d1, ${wt(2)}(o1));
  pv_set(row + d2, ${wt(2)}(o2));
}`;
  return {
    alias: [undefined, 6, 7],
    writesInputs: [6, 7],
    dispatches: [
      {
        code,
        variant: {
          family: 'decode-qkv',
          name: `rms-q${bits}${rotary ? '-rope' : ''}`,
          key: { ...bakedKey(a), bits, block: bs, wg: WG, subgroups: sg },
        },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(pairs),
        label: `k.decode_qkv:rms-q${bits}-qkv${rotary ? '-rope' : ''}-cache${sg ? '-subgroups' : ''}`,
      },
    ],
  };
}
