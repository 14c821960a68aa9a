// WGSL kernel of k.matmul_norm (src/ops/kernel/matmul-norm.ts): a workgroup computes RW whole
// output rows (every column, so the row is in the workgroup when the norm needs it): A rows staged
// in workgroup memory KT at a time, each thread owning the columns c = t, t + WG, ...; then the
// epilogue (bias, activation, residual), the row mean and variance as tree reductions, and the
// normalised row with scale and bias. f32 accumulation.

import { exprOf } from '../../../ops/kernel/elementwise.js';
import type { Expr } from '../../../ops/kernel/expr.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { broadcastOffset, lit, ShaderBuilder, unflatten } from '../wgsl.js';
import { exprToWgsl } from './lib/expr.js';

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
  const b = new ShaderBuilder().input('A', A!.layout).input('B', B!.layout);
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
    const off = t.layout.numel === 1 ? '0u' : broadcastOffset(t.dims, y.dims, 'o');
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
  const code = `${b.header()}
const M = ${M}u;
const N = ${N}u;
const K = ${K}u;
const RW = ${RW}u;
const KT = ${KT}u;
const WG = ${WG}u;
const CPT = ${CPT}u;
var<workgroup> As: array<f32, ${RW * KT}>;
var<workgroup> red: array<f32, ${RW * WG}>;

fn epi(acc: f32, r: u32, c: u32) -> f32 {
  let e = r * N + c;
  ${coords ? unflatten('e', y.dims, 'o') : '_ = e;'}
  ${reads.join(' ')}
  ${lines.join(' ')}
  return ${result};
}

fn row_sum(t: u32) {
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s) {
      for (var rr = 0u; rr < RW; rr = rr + 1u) { red[rr * WG + t] = red[rr * WG + t] + red[rr * WG + t + s]; }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(${WG})
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let r0 = (wid.x + wid.y * nwg.x) * RW;
  if (r0 >= M) { return; }
  var acc: array<f32, ${RW * CPT}>;
  for (var i = 0u; i < RW * CPT; i = i + 1u) { acc[i] = 0.0; }
  for (var k0 = 0u; k0 < K; k0 = k0 + KT) {
    for (var i = t; i < RW * KT; i = i + WG) {
      let rr = i / KT; let kk = i % KT;
      var v = 0.0;
      if (r0 + rr < M && k0 + kk < K) { v = f32(A((r0 + rr) * K + k0 + kk)); }
      As[i] = v;
    }
    workgroupBarrier();
    let kn = min(KT, K - k0);
    for (var kk = 0u; kk < kn; kk = kk + 1u) {
      let k = k0 + kk;
      for (var ci = 0u; ci < CPT; ci = ci + 1u) {
        let c = t + ci * WG;
        if (c < N) {
          let bv = f32(B(${bIdx}));
          for (var rr = 0u; rr < RW; rr = rr + 1u) { acc[rr * CPT + ci] = acc[rr * CPT + ci] + As[rr * KT + kk] * bv; }
        }
      }
    }
    workgroupBarrier();
  }
  // epilogue, then the row statistics
  for (var rr = 0u; rr < RW; rr = rr + 1u) {
    var s = 0.0;
    for (var ci = 0u; ci < CPT; ci = ci + 1u) {
      let c = t + ci * WG;
      if (c < N && r0 + rr < M) { let v = epi(acc[rr * CPT + ci], r0 + rr, c); acc[rr * CPT + ci] = v; s = s + v; }
    }
    red[rr * WG + t] = s;
  }
  workgroupBarrier();
  var mean: array<f32, ${RW}>;
  ${
    rms
      ? 'for (var rr = 0u; rr < RW; rr = rr + 1u) { mean[rr] = 0.0; }'
      : `row_sum(t);
  for (var rr = 0u; rr < RW; rr = rr + 1u) { mean[rr] = red[rr * WG] / f32(N); }
  workgroupBarrier();`
  }
  for (var rr = 0u; rr < RW; rr = rr + 1u) {
    var s = 0.0;
    for (var ci = 0u; ci < CPT; ci = ci + 1u) {
      let c = t + ci * WG;
      if (c < N) { let d = acc[rr * CPT + ci] - mean[rr]; s = s + d * d; }
    }
    red[rr * WG + t] = s;
  }
  workgroupBarrier();
  row_sum(t);
  for (var rr = 0u; rr < RW; rr = rr + 1u) {
    if (r0 + rr >= M) { continue; }
    let inv = inverseSqrt(red[rr * WG] / f32(N) + ${lit(eps, 'f32')});
    for (var ci = 0u; ci < CPT; ci = ci + 1u) {
      let c = t + ci * WG;
      if (c < N) {
        let v = (acc[rr * CPT + ci] - mean[rr]) * inv * f32(sc(c))${bias ? ' + f32(bi(c))' : ''};
        y_set((r0 + rr) * N + c, ${y.layout.wtype}(v));
      }
    }
  }
}`;
  return {
    dispatches: [
      {
        code,
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
