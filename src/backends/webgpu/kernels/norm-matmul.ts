// WGSL kernel of k.norm_matmul (src/ops/kernel/norm-matmul.ts), a matrix-vector product for the few
// rows of a decode step with the row's LayerNorm/RMSNorm as its prologue: a workgroup takes one row
// and WG output columns; it first reduces the row's mean and variance over K (one tree reduction in
// workgroup memory), then each thread accumulates its column over K, normalising A on the fly,
// and applies the epilogue (bias, activation, residual). f32 accumulation.

import { exprOf } from '../../../ops/kernel/elementwise.js';
import type { Expr } from '../../../ops/kernel/expr.js';
import { type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { bakedKey } from '../variant.js';
import { broadcastOffset, lit, ShaderBuilder, unflatten } from '../wgsl.js';
import { exprToWgsl } from './lib/expr.js';

function planNormMatmul(a: PlanArgs) {
  const [A, B] = a.ins;
  const y = a.outs[0]!;
  const gated = a.attrs.int('gated', 0) === 1;
  const first = gated ? 3 : 2; // the epilogue's extras start after B (and B2)
  const extras = a.attrs.int('extras', 0);
  const transB = a.attrs.int('transB', 0) === 1;
  const K = A!.dims[A!.dims.length - 1]!;
  const N = transB ? B!.dims[0]! : B!.dims[1]!;
  const M = A!.layout.numel / Math.max(1, K);
  if (!M || !N) return { dispatches: [] };
  const WG = Math.min(64, a.ctx.wg);
  const b = new ShaderBuilder().input('A', A!.layout).input('B', B!.layout);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }];
  if (gated) {
    b.input('B2', a.ins[2]!.layout);
    tensors.push({ in: 2 });
  }
  const names = gated ? ['acc', 'acc2'] : ['acc'];
  const reads: string[] = [];
  let coords = false;
  for (let j = 0; j < extras; j++) {
    const t = a.ins[first + j];
    if (!t) {
      names.push('0.0');
      continue;
    }
    b.input(`e${j}`, t.layout);
    tensors.push({ in: first + j });
    const off = t.layout.numel === 1 ? '0u' : broadcastOffset(t.dims, y.dims, 'o');
    coords ||= t.layout.numel !== 1;
    reads.push(`let x${j} = f32(e${j}(${off}));`);
    names.push(`x${j}`);
  }
  const scale = a.ins[first + extras]!;
  const bias = a.ins[first + 1 + extras];
  b.input('sc', scale.layout);
  tensors.push({ in: first + extras });
  if (bias) {
    b.input('bi', bias.layout);
    tensors.push({ in: first + 1 + extras });
  }
  b.output('y', y.layout);
  tensors.push({ out: 0 });
  const e: Expr = exprOf(a.attrs.string('epilogue', '$0'));
  const { lines, result } = exprToWgsl(e, names);
  const rms = a.attrs.int('rms', 0) === 1;
  const eps = lit(a.attrs.float('epsilon', 1e-5), 'f32');
  const blocks = Math.ceil(N / WG);
  // one tree reduction of two sums (shifted by the row's first element, so E[d²] - E[d]² does not
  // cancel): two reductions in a row computed wrong sums on Dawn's OpenGL ES backend (llvmpipe)
  const stats = rms
    ? `var q = 0.0;
  for (var k = t; k < K; k = k + WG) { let v = f32(A(base + k)); q = q + v * v; }
  red[t] = 0.0; red2[t] = q;`
    : `let x0 = f32(A(base));
  var sm = 0.0;
  var q = 0.0;
  for (var k = t; k < K; k = k + WG) { let v = f32(A(base + k)) - x0; sm = sm + v; q = q + v * v; }
  red[t] = sm; red2[t] = q;`;
  const code = `${b.header()}
const N = ${N}u;
const K = ${K}u;
const WG = ${WG}u;
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> red2: array<f32, ${WG}>;

fn epi(acc: f32, acc2: f32, r: u32, c: u32) -> f32 {
  _ = acc2;
  let e = r * N + c;
  ${coords ? unflatten('e', y.dims, 'o') : '_ = e;'}
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
  let g = wid.x + wid.y * nwg.x;
  if (g >= ${blocks * M}u) { return; }
  let r = g / ${blocks}u;
  let c = (g % ${blocks}u) * WG + t;
  let base = r * K;
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
  if (c >= N) { return; }
  var acc = 0.0;
  var acc2 = 0.0;
  for (var k = 0u; k < K; k = k + 1u) {
    let xn = (f32(A(base + k)) - mean) * inv * f32(sc(k))${bias ? ' + f32(bi(k))' : ''};
    let wi = ${transB ? 'c * K + k' : 'k * N + c'};
    acc = acc + xn * f32(B(wi));
    ${gated ? 'acc2 = acc2 + xn * f32(B2(wi));' : ''}
  }
  y_set(r * N + c, ${y.layout.wtype}(epi(acc, acc2, r, c)));
}`;
  return {
    dispatches: [
      {
        code,
        variant: {
          family: 'norm-matmul',
          name: `${rms ? 'rms' : 'layernorm'}${gated ? '-gated' : ''}`,
          key: { ...bakedKey(a), wg: a.ctx.wg },
        },
        bindings: b.bindings,
        tensors,
        grid: a.ctx.grid(blocks * M),
        label: `k.norm_matmul:${rms ? 'rms' : 'layernorm'}-matvec${gated ? '-gated' : ''}`,
      },
    ],
  };
}

registerKernels({
  ops: ['k.norm_matmul'],
  supports(node) {
    const a = node.inputs[0]?.type?.dtype;
    return a === 'float32' || a === 'float16' ? true : `k.norm_matmul on ${a} has no WGSL kernel`;
  },
  plan: planNormMatmul,
});
