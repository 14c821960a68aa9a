// WGSL kernel of k.matmul_norm (src/ops/kernel/matmul-norm.ts): a workgroup computes RW whole
// output rows (every column, so the row is in the workgroup when the norm needs it): A rows staged
// in workgroup memory KT at a time, each thread owning the columns c = t, t + WG, ...; then the
// epilogue (bias, activation, residual), the row mean and variance as tree reductions, and the
// normalised row with scale and bias. f32 accumulation.

import { exprOf } from '../../../ops/kernel/elementwise.js';
import type { Expr } from '../../../ops/kernel/expr.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { hashText, Params, typesKey } from '../variant.js';
import { lit, ShaderBuilder } from '../wgsl.js';
import { exprToWgsl } from './lib/expr.js';
import { broadcastParams, unflattenParams } from './lib/index-math.js';

const RW = 4;
const KT = 16;

function planMatmulNorm(a: PlanArgs) {
  const [A, B] = a.ins;
  const y = a.outs[0]!;
  const extras = a.attrs.int('extras', 0);
  const transB = a.attrs.int('transB', 0) === 1;
  const K = A!.dims[A!.dims.length - 1]!;
  const N = transB ? B!.dims[0]! : B!.dims[1]!;
  const M = A!.layout.numel / Math.max(1, K);
  if (!M || !N) return { dispatches: [] };
  const WG = Math.min(128, a.ctx.wg);
  const CPT = Math.ceil(N / WG);
  // the row count (P.v[0].x) and the residual/bias broadcast strides are uniforms; N and K (the
  // weight's shape) stay compile-time: the columns per thread and the K tiles are unrolled on them
  const p = new Params();
  p.u(M);
  const b = new ShaderBuilder().uniform().input('A', A!.layout).input('B', B!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }];
  const names = ['acc'];
  const reads: string[] = [];
  let coords = false;
  for (let j = 0; j < extras; j++) {
    const t = a.ins[2 + j];
    if (!t) {
      names.push('0.0');
      continue;
    }
    b.input(`e${j}`, t.layout);
    tensors.push({ in: 2 + j });
    const off = t.layout.numel === 1 ? '0u' : broadcastParams(t.dims, y.dims, 'o', p);
    coords ||= t.layout.numel !== 1;
    reads.push(`let x${j} = f32(e${j}(${off}));`);
    names.push(`x${j}`);
  }
  const scale = a.ins[2 + extras]!;
  const bias = a.ins[3 + extras];
  b.input('sc', scale.layout);
  tensors.push({ in: 2 + extras });
  if (bias) {
    b.input('bi', bias.layout);
    tensors.push({ in: 3 + extras });
  }
  b.output('y', y.layout);
  tensors.push({ out: 0 });
  const e: Expr = exprOf(a.attrs.string('epilogue', '$0'));
  const { lines, result } = exprToWgsl(e, names);
  const rms = a.attrs.int('rms', 0) === 1;
  const eps = a.attrs.float('epsilon', 1e-5);
  const bIdx = transB ? 'c * K + k' : 'k * N + c';
  // the RW x CPT accumulators as plain variables, every loop over them written out: private
  // arrays indexed in loops are spilled to memory by some compilers (SwiftShader: 10x slower)
  const each = (f: (rr: number, ci: number) => string) =>
    Array.from({ length: RW }, (_, rr) => Array.from({ length: CPT }, (_, ci) => f(rr, ci)).join('\n  ')).join('\n  ');
  const rows = (f: (rr: number) => string) => Array.from({ length: RW }, (_, rr) => f(rr)).join('\n  ');
  const col = (ci: number) => `t + ${ci * WG}u`;
  const fma = Array.from({ length: CPT }, (_, ci) => {
    const body = rows((rr) => `a${rr}_${ci} = a${rr}_${ci} + As[${rr * KT}u + kk] * bv;`);
    return `{ let c = ${col(ci)}; if (c < N) { let bv = f32(B(${bIdx})); ${body} } }`;
  }).join('\n      ');
  const reduce = `for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s) {
      ${rows((rr) => `red[${rr * WG}u + t] = red[${rr * WG}u + t] + red[${rr * WG}u + t + s];`)}
    }
    workgroupBarrier();
  }`;
  const unflat = coords ? unflattenParams('e', y.dims, 'o', p) : '_ = e;';
  const code = `${p.struct()}
${b.header()}
const N = ${N}u;
const K = ${K}u;
const KT = ${KT}u;
const WG = ${WG}u;
var<workgroup> As: array<f32, ${RW * KT}>;
var<workgroup> red: array<f32, ${RW * WG}>;

fn epi(acc: f32, r: u32, c: u32) -> f32 {
  let e = r * N + c;
  ${unflat}
  ${reads.join(' ')}
  ${lines.join(' ')}
  return ${result};
}

@compute @workgroup_size(${WG})
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = P.v[0].x;
  let r0 = (wid.x + wid.y * nwg.x) * ${RW}u;
  if (r0 >= M) { return; }
  ${each((rr, ci) => `var a${rr}_${ci} = 0.0;`)}
  for (var k0 = 0u; k0 < K; k0 = k0 + KT) {
    for (var i = t; i < ${RW * KT}u; i = i + WG) {
      let rr = i / KT; let kk = i % KT;
      var v = 0.0;
      if (r0 + rr < M && k0 + kk < K) { v = f32(A((r0 + rr) * K + k0 + kk)); }
      As[i] = v;
    }
    workgroupBarrier();
    let kn = min(KT, K - k0);
    for (var kk = 0u; kk < kn; kk = kk + 1u) {
      let k = k0 + kk;
      ${fma}
    }
    workgroupBarrier();
  }
  // epilogue, then the row statistics
  ${rows((rr) => `var s${rr} = 0.0;`)}
  ${each(
    (rr, ci) =>
      `if (${col(ci)} < N && r0 + ${rr}u < M) { a${rr}_${ci} = epi(a${rr}_${ci}, r0 + ${rr}u, ${col(ci)}); ` +
      `s${rr} = s${rr} + a${rr}_${ci}; }`,
  )}
  ${rows((rr) => `red[${rr * WG}u + t] = s${rr};`)}
  workgroupBarrier();
  ${rms ? '' : reduce}
  ${rows((rr) => `let mean${rr} = ${rms ? '0.0' : `red[${rr * WG}u] / f32(N)`};`)}
  workgroupBarrier();
  ${rows((rr) => `var q${rr} = 0.0;`)}
  ${each((rr, ci) => `if (${col(ci)} < N) { let d = a${rr}_${ci} - mean${rr}; q${rr} = q${rr} + d * d; }`)}
  ${rows((rr) => `red[${rr * WG}u + t] = q${rr};`)}
  workgroupBarrier();
  ${reduce}
  ${rows((rr) => `let inv${rr} = inverseSqrt(red[${rr * WG}u] / f32(N) + ${lit(eps, 'f32')});`)}
  ${each(
    (rr, ci) =>
      `if (${col(ci)} < N && r0 + ${rr}u < M) { let c = ${col(ci)}; ` +
      `let v = (a${rr}_${ci} - mean${rr}) * inv${rr} * f32(sc(c))${bias ? ' + f32(bi(c))' : ''}; ` +
      `y_set((r0 + ${rr}u) * N + c, ${y.layout.wtype}(v)); }`,
  )}
}`;
  return {
    dispatches: [
      {
        code,
        variant: {
          family: 'matmul-norm',
          name: rms ? 'rms' : 'layernorm',
          key: {
            ...{
              N,
              K,
              transB,
              rank: y.dims.length,
              types: typesKey(a.ins, a.outs),
              bias: !!bias,
              eps: lit(eps, 'f32'),
            },
            parts: b.bindings.length,
            wg: WG,
            params: p.vec4s,
            epilogue: hashText(`${reads.join(' ')}|${lines.join(' ')}|${result}`),
          },
        },
        params: p.data(),
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(Math.ceil(M / RW)),
        label: `k.matmul_norm:${rms ? 'rms' : 'layernorm'}`,
      },
    ],
  };
}

registerKernels({
  ops: ['k.matmul_norm'],
  supports(node) {
    const a = node.inputs[0]?.type?.dtype;
    return a === 'float32' || a === 'float16' ? true : `k.matmul_norm on ${a} has no WGSL kernel`;
  },
  plan: planMatmulNorm,
});
