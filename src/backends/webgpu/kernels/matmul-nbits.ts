// WGSL kernel of k.matmul_nbits (src/ops/kernel/matmul-nbits.ts): a block-quantized matrix-vector
// product for decode rows, reading the 4- or 8-bit codes as packed uint32 words (never widened).
// A workgroup owns one output column and up to ROWS rows of A; its threads stride along the
// column's words (consecutive threads, consecutive words: coalesced), unpack 8 (4-bit) or 4
// (8-bit) codes per word into two or one vec4, scale them by the block's scale and zero point, and
// dot them with A. The per-thread sums are reduced with subgroupAdd where the device has
// `subgroups` (then across subgroups in workgroup memory), else by a workgroup-memory tree. With
// `shader-f16` the dequantised weights and the products are f16, the sums f32. Workgroup size from
// the adapter's limits (KernelContext.wg), capped by the words a column has.

import '../../../ops/kernel/matmul-nbits.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { ShaderBuilder } from '../wgsl.js';

const MAX_ROWS = 4;

function planMatmulNbits(a: PlanArgs) {
  const [A, , , Z, bias] = a.ins;
  const y = a.outs[0]!;
  const K = a.attrs.int('K'),
    N = a.attrs.int('N'),
    bits = a.attrs.int('bits', 4),
    bs = a.attrs.int('block_size');
  const M = A!.layout.numel / K;
  if (!M || !N) return { dispatches: [] };
  const wordsPerBlock = (bs * bits) / 32;
  const words = (K / bs) * wordsPerBlock;
  const codesPerWord = 32 / bits;
  const rows = Math.min(M, MAX_ROWS);
  const rowBlocks = Math.ceil(M / rows);
  let WG = 32;
  while (WG < a.ctx.wg && WG < words && WG < 256) WG *= 2;
  WG = Math.min(WG, a.ctx.wg);
  const sg = !!a.ctx.subgroups;
  const f16 = !!a.ctx.shaderF16;
  const F = f16 ? 'f16' : 'f32';
  const b = new ShaderBuilder().input('A', A!.layout).input('B', a.ins[1]!.layout).input('S', a.ins[2]!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }];
  if (Z) b.input('Z', Z.layout), tensors.push({ in: 3 });
  if (bias) b.input('bias', bias.layout), tensors.push({ in: 4 });
  b.output('Y', y.layout);
  tensors.push({ out: 0 });
  const mask = bits === 4 ? '15u' : '255u';
  const mid = 1 << (bits - 1);
  const a4 = (o: string) => `vec4<${F}>(${F}(A(${o})), ${F}(A(${o} + 1u)), ${F}(A(${o} + 2u)), ${F}(A(${o} + 3u)))`;
  const unpack =
    bits === 4
      ? `let lo = vec4<u32>(word, word >> 4u, word >> 8u, word >> 12u) & vec4<u32>(${mask});
      let hi = vec4<u32>(word >> 16u, word >> 20u, word >> 24u, word >> 28u) & vec4<u32>(${mask});
      let w0 = (vec4<${F}>(lo) - vec4<${F}>(z)) * s;
      let w1 = (vec4<${F}>(hi) - vec4<${F}>(z)) * s;`
      : `let lo = vec4<u32>(word, word >> 8u, word >> 16u, word >> 24u) & vec4<u32>(${mask});
      let w0 = (vec4<${F}>(lo) - vec4<${F}>(z)) * s;`;
  const dotRow = bits === 4 ? `f32(dot(${a4('o')}, w0)) + f32(dot(${a4('o + 4u')}, w1))` : `f32(dot(${a4('o')}, w0))`;
  const reduce = sg
    ? `for (var r = 0u; r < ROWS; r = r + 1u) {
    let v = subgroupAdd(acc[r]);
    if (sgi == 0u) { red[r * WG + t / sgs] = v; }
  }
  workgroupBarrier();
  if (t == 0u) {
    for (var r = 0u; r < ROWS; r = r + 1u) {
      var sum = 0.0;
      for (var i = 0u; i < (WG + sgs - 1u) / sgs; i = i + 1u) { sum = sum + red[r * WG + i]; }
      red[r * WG] = sum;
    }
  }
  workgroupBarrier();`
    : `for (var r = 0u; r < ROWS; r = r + 1u) { red[r * WG + t] = acc[r]; }
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st >> 1u) {
    if (t < st) {
      for (var r = 0u; r < ROWS; r = r + 1u) { red[r * WG + t] = red[r * WG + t] + red[r * WG + t + st]; }
    }
    workgroupBarrier();
  }`;
  const code = `${f16 ? 'enable f16;' : ''}
${sg ? 'enable subgroups;' : ''}
${b.header()}
const K = ${K}u;
const N = ${N}u;
const M = ${M}u;
const WG = ${WG}u;
const ROWS = ${rows}u;
const WORDS = ${words}u;
const WPB = ${wordsPerBlock}u;
const KB = ${K / bs}u;
var<workgroup> red: array<f32, ${rows * WG}>;

@compute @workgroup_size(${WG})
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,${sg ? SUBGROUP_BUILTINS : ''}
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= ${N * rowBlocks}u) { return; }
  let n = g % N;
  let r0 = (g / N) * ROWS;
  var acc: array<f32, ${rows}>;
  for (var w = t; w < WORDS; w = w + WG) {
    let word = B(n * WORDS + w);
    let blk = w / WPB;
    let s = ${F}(S(n * KB + blk));
    let z = ${Z ? `${F}(Z(n * KB + blk))` : `${F}(${mid})`};
    let k0 = blk * ${bs}u + (w % WPB) * ${codesPerWord}u;
    ${unpack}
    for (var r = 0u; r < ROWS; r = r + 1u) {
      if (r0 + r < M) {
        let o = (r0 + r) * K + k0;
        acc[r] = acc[r] + ${dotRow};
      }
    }
  }
  ${reduce}
  if (t == 0u) {
    for (var r = 0u; r < ROWS; r = r + 1u) {
      if (r0 + r < M) {
        Y_set((r0 + r) * N + n, ${y.layout.wtype}(red[r * WG]${bias ? ' + f32(bias(n))' : ''}));
      }
    }
  }
}`;
  return {
    dispatches: [
      {
        code,
        variant: {
          family: 'matmul-nbits',
          name: 'matvec',
          key: { ...bakedKey(a), bits, block: bs, wg: WG, rows, subgroups: sg, f16 },
        },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(N * rowBlocks),
        label: `k.matmul_nbits:q${bits}-matvec${sg ? '-subgroups' : ''}${f16 ? '-f16' : ''}`,
      },
    ],
  };
}

const SUBGROUP_BUILTINS = '\n  @builtin(subgroup_invocation_id) sgi: u32,\n  @builtin(subgroup_size) sgs: u32,';

registerKernels({
  ops: ['k.matmul_nbits'],
  plan: planMatmulNbits,
});
