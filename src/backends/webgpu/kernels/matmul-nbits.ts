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
import { SUBGROUP_BUILTINS } from './lib/subgroups.js';

const MAX_ROWS = 4;

function planMatmulNbits(a: PlanArgs) {
  const [A, , , Z, bias, residual, normScale, B2, , Z2] = a.ins;
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
  const gated = !!B2;
  const norm = !!normScale;
  const b = new ShaderBuilder().input('A', A!.layout).input('B', a.ins[1]!.layout).input('S', a.ins[2]!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }];
  const use = (name: string, i: number) => {
    b.input(name, a.ins[i]!.layout);
    tensors.push({ in: i });
  };
  if (Z) use('Z', 3);
  if (bias) use('bias', 4);
  if (residual) use('R', 5);
  if (norm) use('NS', 6);
  if (gated) use('B2', 7), use('S2', 8);
  if (gated && Z2) use('Z2', 9);
  b.output('Y', y.layout);
  tensors.push({ out: 0 });
  const mask = bits === 4 ? '15u' : '255u';
  const mid = 1 << (bits - 1);
  // values reduced per row: the product, the second product (gated), the sum of squares (norm)
  const vals = ['acc', ...(gated ? ['acc2'] : []), ...(norm ? ['ss'] : [])];
  const NV = vals.length;
  const codes = (w: string, hi: boolean) =>
    bits === 4
      ? hi
        ? `vec4<u32>(${w} >> 16u, ${w} >> 20u, ${w} >> 24u, ${w} >> 28u) & vec4<u32>(${mask})`
        : `vec4<u32>(${w}, ${w} >> 4u, ${w} >> 8u, ${w} >> 12u) & vec4<u32>(${mask})`
      : `vec4<u32>(${w}, ${w} >> 8u, ${w} >> 16u, ${w} >> 24u) & vec4<u32>(${mask})`;
  const dequant = (suffix: string, B: string, S: string, Zn: string | undefined) => {
    const parts = bits === 4 ? [0, 1] : [0];
    return `let word${suffix} = ${B}(n * WORDS + w);
    let s${suffix} = ${F}(${S}(n * KB + blk));
    let z${suffix} = ${Zn ? `${F}(${Zn}(n * KB + blk))` : `${F}(${mid})`};
    ${parts
      .map(
        (p) =>
          `let w${p}${suffix} = (vec4<${F}>(${codes(`word${suffix}`, p === 1)}) - vec4<${F}>(z${suffix})) * ` +
          `s${suffix};`,
      )
      .join('\n    ')}`;
  };
  const parts = bits === 4 ? [0, 1] : [0];
  const xv = (p: number) => `vec4<${F}>(${[0, 1, 2, 3].map((i) => `${F}(A(o + ${4 * p + i}u))`).join(', ')})`;
  const scaleVec = (p: number) => `vec4<${F}>(${[0, 1, 2, 3].map((i) => `${F}(NS(k0 + ${4 * p + i}u))`).join(', ')})`;
  const rowBody = parts
    .map((p) => {
      const x = `x${p}`;
      const lines = [`let ${x} = ${xv(p)};`];
      // the sum of squares in f32 even in the f16 variant (hidden states overflow f16 when squared)
      const x32 = f16 ? `vec4<f32>(${x})` : x;
      if (norm) lines.push(`ss[r] = ss[r] + dot(${x32}, ${x32});`, `let xs${p} = ${x} * ns${p};`);
      const xs = norm ? `xs${p}` : x;
      lines.push(`acc[r] = acc[r] + f32(dot(${xs}, w${p}));`);
      if (gated) lines.push(`acc2[r] = acc2[r] + f32(dot(${xs}, w${p}_2));`);
      return lines.join('\n          ');
    })
    .join('\n          ');
  const sgReduce = vals
    .map((v, j) => `let v${j} = subgroupAdd(${v}[r]); if (sgi == 0u) { red[(r * NV + ${j}u) * WG + t / sgs] = v${j}; }`)
    .join('\n    ');
  const reduce = sg
    ? `for (var r = 0u; r < ROWS; r = r + 1u) {
    ${sgReduce}
  }
  workgroupBarrier();
  if (t == 0u) {
    for (var i = 0u; i < ROWS * NV; i = i + 1u) {
      var sum = 0.0;
      for (var j = 0u; j < (WG + sgs - 1u) / sgs; j = j + 1u) { sum = sum + red[i * WG + j]; }
      red[i * WG] = sum;
    }
  }
  workgroupBarrier();`
    : `for (var r = 0u; r < ROWS; r = r + 1u) {
    ${vals.map((v, j) => `red[(r * NV + ${j}u) * WG + t] = ${v}[r];`).join(' ')}
  }
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st >> 1u) {
    if (t < st) {
      for (var i = 0u; i < ROWS * NV; i = i + 1u) { red[i * WG + t] = red[i * WG + t] + red[i * WG + t + st]; }
    }
    workgroupBarrier();
  }`;
  const act = a.attrs.string('act', 'silu');
  const gate =
    act === 'gelu_tanh'
      ? 'let gt = 0.5 * v * (1.0 + tanh(0.7978845608 * (v + 0.044715 * v * v * v)));'
      : 'let gt = v / (1.0 + exp(-v));';
  const eps = a.attrs.float('epsilon', 1e-5).toExponential();
  const store = `for (var r = 0u; r < ROWS; r = r + 1u) {
      if (r0 + r < M) {
        let at = (r0 + r) * N + n;
        ${norm ? `let inv = inverseSqrt(red[(r * NV + ${NV - 1}u) * WG] / f32(K) + ${eps});` : 'let inv = 1.0;'}
        var v = red[r * NV * WG] * inv${bias ? ' + f32(bias(n))' : ''};
        ${
          gated
            ? `${gate}
        v = gt * (red[(r * NV + 1u) * WG] * inv);`
            : ''
        }
        ${residual ? 'v = v + f32(R(at));' : ''}
        Y_set(at, ${y.layout.wtype}(v));
      }
    }`;
  const tag = `${norm ? 'rms-' : ''}q${bits}-matvec${gated ? `-gated-${act}` : ''}${residual ? '-residual' : ''}`;
  const code = `${f16 ? 'enable f16;' : ''}
${sg ? 'enable subgroups;' : ''}
${b.header()}
const K = ${K}u;
const N = ${N}u;
const M = ${M}u;
const WG = ${WG}u;
const ROWS = ${rows}u;
const NV = ${NV}u;
const WORDS = ${words}u;
const WPB = ${wordsPerBlock}u;
const KB = ${K / bs}u;
var<workgroup> red: array<f32, ${rows * NV * WG}>;

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
  ${vals.map((v) => `var ${v}: array<f32, ${rows}>;`).join('\n  ')}
  for (var w = t; w < WORDS; w = w + WG) {
    let blk = w / WPB;
    let k0 = blk * ${bs}u + (w % WPB) * ${codesPerWord}u;
    ${dequant('', 'B', 'S', Z ? 'Z' : undefined)}
    ${gated ? dequant('_2', 'B2', 'S2', Z2 ? 'Z2' : undefined) : ''}
    ${norm ? parts.map((p) => `let ns${p} = ${scaleVec(p)};`).join('\n    ') : ''}
    for (var r = 0u; r < ROWS; r = r + 1u) {
      if (r0 + r < M) {
        let o = (r0 + r) * K + k0;
          ${rowBody}
      }
    }
  }
  ${reduce}
  if (t == 0u) {
    ${store}
  }
}`;
  return {
    dispatches: [
      {
        code,
        variant: {
          family: 'matmul-nbits',
          name: tag,
          key: { ...bakedKey(a), bits, block: bs, wg: WG, rows, subgroups: sg, f16 },
        },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(N * rowBlocks),
        label: `k.matmul_nbits:${tag}${sg ? '-subgroups' : ''}${f16 ? '-f16' : ''}`,
      },
    ],
  };
}

registerKernels({
  ops: ['k.matmul_nbits'],
  plan: planMatmulNbits,
});
