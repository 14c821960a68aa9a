// Matmul family (shaders/matmul.wgsl tiled, shaders/matmul-direct.wgsl, shaders/matmul-vec.wgsl for
// one-row/one-column products): MatMul with numpy batch broadcasting, Gemm (transposes, alpha,
// beta·C), MatMulInteger (zero points, int32 accumulation) and the lowered k.matmul with its fused
// epilogue.

import { getter } from '../../../ir/tensor.js';
import { exprOf } from '../../../ops/kernel/elementwise.js';
import { type NodePlan, type PlanArgs, registerKernels, type TRef } from '../kernel.js';
import { hashText, Params, type Variant } from '../variant.js';
import { fillTemplate, type Layout, lit, partsOf, ShaderBuilder, strides, type WType } from '../wgsl.js';
import { storeRule } from './lib/elementwise.js';
import { exprToWgsl, storeF32 } from './lib/expr.js';
import { broadcastParams, unflattenParams } from './lib/index-math.js';
import { directBlock } from './matmul-direct.js';

export interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  /** Batch dims of the output and of A and B (already broadcast-compatible). */
  batch: number[];
  aBatch: number[];
  bBatch: number[];
  transA: boolean;
  transB: boolean;
  a: Layout;
  b: Layout;
  y: Layout;
  acc: WType;
  /** Convert a loaded A/B element (expression `v`) to the accumulator type. */
  loadA?: (v: string) => string;
  loadB?: (v: string) => string;
  /** Epilogue body: `acc`, `r`, `c`, `b` in scope; must return the output value (sizes it needs from P). */
  epilogue: string | ((p: Params) => string);
  /** Extra read-only tensors the epilogue reads (bias, residual): name → input index. */
  extra: { name: string; layout: Layout; ref: TRef }[];
  label: string;
}

/** Whether an operand's batch offset is always 0 (no batch, or a batch of ones): a key field. */
const noBatch = (inBatch: number[]) => !inBatch.length || inBatch.every((d) => d === 1);

function baseFn(outBatch: number[], inBatch: number[], matSize: number, p: Params): string {
  if (noBatch(inBatch)) return 'return 0u;';
  const unflat = unflattenParams('b', outBatch, 'q', p);
  return `${unflat} return (${broadcastParams(inBatch, outBatch, 'q', p)}) * ${p.u(matSize)};`;
}

export function matmulDispatch(a: PlanArgs, s: MatmulSpec): NodePlan {
  const { ctx } = a;
  const batches = s.batch.reduce((p, q) => p * q, 1);
  const total = batches * s.M * s.N;
  if (total === 0) return { dispatches: [] };
  // the sizes are uniform fields (P.M, P.N, P.K, P.total); batch strides follow in P.v
  const p = new Params(['M', 'N', 'K', 'total']);
  p.set('M', s.M).set('N', s.N).set('K', s.K).set('total', total);
  const b = new ShaderBuilder().uniform();
  b.input('A', s.a).input('B', s.b);
  const tensors: TRef[] = [{ in: 0 }, { in: 1 }];
  for (const e of s.extra) {
    b.input(e.name, e.layout);
    tensors.push(e.ref);
  }
  b.output('y', s.y);
  tensors.push({ out: 0 });
  const aIdx = s.transA ? `base + k * P.M + r` : `base + r * P.K + k`;
  const bIdx = s.transB ? `base + c * P.K + k` : `base + k * P.N + c`;
  const loadA = s.loadA ?? ((v: string) => (s.a.wtype === s.acc ? v : `${s.acc}(${v})`));
  const loadB = s.loadB ?? ((v: string) => (s.b.wtype === s.acc ? v : `${s.acc}(${v})`));
  // what the program is specialised on, declared in its first line (the pipeline-cache key)
  const variant: Variant = {
    batch: s.batch.length,
    aBatch: noBatch(s.aBatch) ? 'none' : 'strided',
    bBatch: noBatch(s.bBatch) ? 'none' : 'strided',
    transA: s.transA,
    transB: s.transB,
    acc: s.acc,
    out: s.y.wtype,
    extra: s.extra.length,
    parts: [s.a, s.b, ...s.extra.map((e) => e.layout), s.y].map(partsOf).join(','),
    // set below: the fused epilogue and the loads (dequantizing ones for MatMulInteger) as one
    // structural hash, and the uniform slots
    epilogue: '',
    params: 0,
  };
  const declare = (name: string, key: Variant) => ({ family: 'matmul', name, key });
  const aBase = baseFn(s.batch, s.aBatch, s.M * s.K, p);
  const bBase = baseFn(s.batch, s.bBatch, s.K * s.N, p);
  const epilogue = typeof s.epilogue === 'string' ? s.epilogue : s.epilogue(p);
  const common = {
    ACC: s.acc,
    OUT: s.y.wtype,
    A_BASE: aBase,
    B_BASE: bBase,
    A_LOAD: loadA(`A(${aIdx})`),
    B_LOAD: loadB(`B(${bIdx})`),
    EPILOGUE: epilogue,
    BINDINGS: `${p.struct()}\n${b.header()}`,
  };
  variant.params = p.vec4s;
  variant.epilogue = hashText(`${epilogue}|${common.A_LOAD}|${common.B_LOAD}`);
  const t = ctx.tiles.mm;
  const skinny = s.M === 1 || s.N === 1 || s.M * s.N <= 256 || s.K === 0;
  if (skinny) {
    const code = fillTemplate('matmul-vec', { ...common, WG: ctx.wg });
    return {
      dispatches: [
        {
          code,
          variant: declare('vec', { ...variant, wg: ctx.wg }),
          params: p.data(),
          bindings: b.bindings,
          tensors,
          grid: ctx.grid(Math.ceil(total / ctx.wg)),
          label: `${s.label}:matvec`,
        },
      ],
    };
  }
  if (t.direct) {
    let { tm, tn } = t;
    const { wgx, wgy } = t;
    while (tm > 1 && wgy * tm >= 2 * s.M) tm /= 2;
    while (tn > 1 && wgx * tn >= 2 * s.N) tn /= 2;
    const { decl, kbody, store } = directBlock(tm, tn, s.acc);
    const filled = fillTemplate('matmul-direct', {
      ...common,
      TM: tm,
      TN: tn,
      WGX: wgx,
      WGY: wgy,
      DECL: decl,
      KBODY: kbody,
      STORE: store,
    });
    const v = declare('direct', { ...variant, tile: `${tm}x${tn}`, wg: `${wgx}x${wgy}` });
    const gx = Math.ceil(s.N / (tn * wgx)),
      gy = Math.ceil(s.M / (tm * wgy));
    return {
      dispatches: [
        {
          code: filled,
          variant: v,
          params: p.data(),
          bindings: b.bindings,
          tensors,
          grid: [gx, gy, batches],
          label: `${s.label}:matmul-direct${tm}x${tn}`,
        },
      ],
    };
  }
  // shrink the tile for small matrices so workgroups are not mostly idle
  let { tm, tn } = t;
  const { wgx, wgy, tk } = t;
  while (tm > 1 && wgy * tm >= 2 * s.M) tm /= 2;
  while (tn > 1 && wgx * tn >= 2 * s.N) tn /= 2;
  const tileM = wgy * tm,
    tileN = wgx * tn;
  const wgsBytes = (tileM * tk + tk * tileN) * 4;
  if (wgsBytes > (ctx.limits.maxComputeWorkgroupStorageSize ?? 16384))
    throw new Error(`matmul tile needs ${wgsBytes} bytes of workgroup memory`);
  const filled = fillTemplate('matmul', {
    ...common,
    TM: tm,
    TN: tn,
    WGX: wgx,
    WGY: wgy,
    TK: tk,
    TILE_M: tileM,
    TILE_N: tileN,
    TILE_M_TK: tileM * tk,
    TK_TILE_N: tk * tileN,
    TM_TN: tm * tn,
  });
  const v = declare('tiled', { ...variant, tile: `${tm}x${tn}`, wg: `${wgx}x${wgy}`, tk });
  const gx = Math.ceil(s.N / tileN),
    gy = Math.ceil(s.M / tileM);
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  if (batches > maxDim)
    throw new Error(`${batches} matrix batches exceed maxComputeWorkgroupsPerDimension (${maxDim})`);
  return {
    dispatches: [
      {
        code: filled,
        variant: v,
        params: p.data(),
        bindings: b.bindings,
        tensors,
        grid: [gx, gy, batches],
        label: `${s.label}:matmul${tm}x${tn}`,
      },
    ],
  };
}

/** The output store of an epilogue value v (float16 rounding, narrow-integer wrap). */
const store = (a: PlanArgs, v: string) => `return ${storeRule(v, a.outs[0]!.dtype, a.outs[0]!.layout.wtype)};`;

function matmulShapes(aDims: number[], bDims: number[]) {
  const a2 = aDims.length === 1 ? [1, aDims[0]!] : aDims;
  const b2 = bDims.length === 1 ? [bDims[0]!, 1] : bDims;
  const M = a2[a2.length - 2]!,
    K = a2[a2.length - 1]!,
    N = b2[b2.length - 1]!;
  const aBatch = a2.slice(0, -2),
    bBatch = b2.slice(0, -2);
  const r = Math.max(aBatch.length, bBatch.length);
  const pad = (x: number[]) => [...new Array<number>(r - x.length).fill(1), ...x];
  const pa = pad(aBatch),
    pb = pad(bBatch);
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  return { M, N, K, batch, aBatch: pa, bBatch: pb };
}

registerKernels({
  ops: ['nn.MatMul'],
  plan(a) {
    const x = a.ins[0]!,
      w = a.ins[1]!,
      y = a.outs[0]!;
    const sh = matmulShapes(x.dims, w.dims);
    const acc: WType = y.layout.wtype === 'f16' ? 'f32' : y.layout.wtype;
    const out = y.layout.wtype === acc ? 'acc' : `${y.layout.wtype}(acc)`;
    return matmulDispatch(a, {
      ...sh,
      transA: false,
      transB: false,
      a: x.layout,
      b: w.layout,
      y: y.layout,
      acc,
      epilogue: `_ = r; _ = c; _ = b; ${store(a, out)}`,
      extra: [],
      label: 'nn.MatMul',
    });
  },
});

registerKernels({
  ops: ['nn.Gemm'],
  plan(a) {
    const A = a.ins[0]!,
      B = a.ins[1]!,
      C = a.ins[2],
      y = a.outs[0]!;
    const transA = a.attrs.int('transA', 0) === 1,
      transB = a.attrs.int('transB', 0) === 1;
    const M = transA ? A.dims[1]! : A.dims[0]!,
      K = transA ? A.dims[0]! : A.dims[1]!;
    const N = transB ? B.dims[0]! : B.dims[1]!;
    const alpha = a.attrs.float('alpha', 1),
      beta = a.attrs.float('beta', 1);
    const acc: WType = y.layout.wtype === 'f16' ? 'f32' : y.layout.wtype;
    const scaled = alpha === 1 ? 'acc' : `${lit(alpha, acc)} * acc`;
    const extra: MatmulSpec['extra'] = [];
    const withC = !!C && C.layout.numel > 0 && beta !== 0;
    if (withC) extra.push({ name: 'Cb', layout: C.layout, ref: { in: 2 } });
    const epilogue = (p: Params) => {
      let v = scaled;
      if (withC) {
        const off = C.layout.numel === 1 ? '0u' : broadcastParams(C.dims, [M, N], 'o', p);
        const cv = C.layout.wtype === acc ? `Cb(${off})` : `${acc}(Cb(${off}))`;
        v = `${v} + ${beta === 1 ? cv : `${lit(beta, acc)} * ${cv}`}`;
      }
      const out = y.layout.wtype === acc ? v : `${y.layout.wtype}(${v})`;
      return `let o0 = r; let o1 = c; _ = o0; _ = o1; _ = b; ${store(a, out)}`;
    };
    return matmulDispatch(a, {
      M,
      N,
      K,
      batch: [],
      aBatch: [],
      bBatch: [],
      transA,
      transB,
      a: A.layout,
      b: B.layout,
      y: y.layout,
      acc,
      epilogue,
      extra,
      label: 'nn.Gemm',
    });
  },
});

registerKernels({
  ops: ['nn.MatMulInteger'],
  hostInputs: () => [2, 3],
  supports(node) {
    for (const i of [2, 3]) {
      const t = node.inputs[i]?.type;
      if (t?.shape && t.shape.length > 0 && !(t.shape.length === 1 && t.shape[0] === 1))
        return 'per-row/per-column zero points';
    }
    return true;
  },
  plan(a) {
    const x = a.ins[0]!,
      w = a.ins[1]!;
    const sh = matmulShapes(x.dims, w.dims);
    const zp = (i: number) => (a.ins[i]?.host && a.ins[i]!.host!.size ? Number(getter(a.ins[i]!.host!)(0)) : 0);
    const za = zp(2),
      zb = zp(3);
    const ld = (z: number) => (v: string) => (z ? `(i32(${v}) - ${z}i)` : `i32(${v})`);
    return matmulDispatch(a, {
      ...sh,
      transA: false,
      transB: false,
      a: x.layout,
      b: w.layout,
      y: a.outs[0]!.layout,
      acc: 'i32',
      loadA: ld(za),
      loadB: ld(zb),
      epilogue: '_ = r; _ = c; _ = b; return acc;',
      extra: [],
      label: 'nn.MatMulInteger',
    });
  },
});

export { strides };

registerKernels({
  ops: ['k.matmul'],
  plan(a) {
    const A = a.ins[0]!,
      B = a.ins[1]!,
      y = a.outs[0]!;
    const transA = a.attrs.int('transA', 0) === 1,
      transB = a.attrs.int('transB', 0) === 1;
    const ra = A.dims.length,
      rb = B.dims.length;
    const M = transA ? A.dims[ra - 1]! : A.dims[ra - 2]!,
      K = transA ? A.dims[ra - 2]! : A.dims[ra - 1]!;
    const N = transB ? B.dims[rb - 2]! : B.dims[rb - 1]!;
    const batch = y.dims.slice(0, -2);
    const pad = (x: number[]) => [...new Array<number>(batch.length - x.length).fill(1), ...x];
    const e = exprOf(a.attrs.string('epilogue', '$0'));
    const extra: MatmulSpec['extra'] = [];
    const names = ['acc'];
    const outDims = y.dims;
    a.ins.slice(2).forEach((t, j) => {
      if (!t) {
        names.push('0.0');
        return;
      }
      extra.push({ name: `e${j}`, layout: t.layout, ref: { in: j + 2 } as TRef });
      names.push(`x${j}`);
    });
    const { lines, result } = exprToWgsl(e, names);
    const yw = y.layout.wtype;
    // the extra inputs' broadcast strides (and the batch split) from P
    const epilogue = (p: Params) => {
      const pre: string[] = [];
      let coords = false;
      a.ins.slice(2).forEach((t, j) => {
        if (!t) return;
        let off = '0u';
        if (t.layout.numel !== 1) {
          coords = true;
          off = broadcastParams(t.dims, outDims, 'o', p);
        }
        pre.push(`let x${j} = f32(e${j}(${off}));`);
      });
      if (coords) {
        const unflat = unflattenParams('b', batch, 'o', p);
        pre.unshift(`${unflat} let o${batch.length} = r; let o${batch.length + 1} = c;`);
      }
      return `_ = r; _ = c; _ = b; ${pre.join(' ')} ${lines.join(' ')} return ${storeF32(result, y.dtype, yw)};`;
    };
    return matmulDispatch(a, {
      M,
      N,
      K,
      batch,
      aBatch: pad(A.dims.slice(0, -2)),
      bBatch: pad(B.dims.slice(0, -2)),
      transA,
      transB,
      a: A.layout,
      b: B.layout,
      y: y.layout,
      acc: 'f32',
      epilogue,
      extra,
      label: 'k.matmul',
    });
  },
});
