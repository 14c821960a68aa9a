// WGSL the kernel families generate for a few variants each, planned without a device against a
// fixed adapter description (a discrete GPU's tiles, and SwiftShader's for the matmul variants),
// with the helpers inlined as the device does before compiling. test/golden/wgsl.test.ts
// compares them with the committed snapshots in test/golden/wgsl/.

import { type Attr, AttrReader } from '../../src/ir/attributes.js';
import type { DType } from '../../src/ir/dtype.js';
import { Node, Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import '../../src/backends/webgpu/kernels/index.js';
import { type KernelContext, kernelFor, type TensorInfo } from '../../src/backends/webgpu/kernel.js';
import { tilesFor } from '../../src/backends/webgpu/tiles.js';
import { declaration } from '../../src/backends/webgpu/variant.js';
import { gridFor, inlineHelpers, type Layout, storageOf } from '../../src/backends/webgpu/wgsl.js';

const LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBufferBindingSize: 1 << 27,
  maxBufferSize: 1 << 28,
};

function context(adapter: string): KernelContext {
  const storage = (dt: DType) => {
    const w = storageOf(dt, false);
    if (!w) throw new Error(`${dt} has no WGSL storage type`);
    return w;
  };
  const layout = (dt: DType, numel: number): Layout => ({ wtype: storage(dt), numel, partElems: 1 << 25 });
  return {
    limits: LIMITS,
    f16: false,
    wg: 256,
    tiles: tilesFor({ architecture: '', device: adapter, description: adapter }, LIMITS),
    layout,
    storage,
    grid: (g) => gridFor(g, LIMITS.maxComputeWorkgroupsPerDimension),
  };
}

/** Kernel contexts without a device: a discrete GPU's tiles and SwiftShader's. */
export const GPU = context('discrete gpu');
export const CPU = context('swiftshader');

interface T {
  dtype: DType;
  dims: number[];
  /** Values known on the host (axes, starts, indices the plan reads). */
  host?: (number | bigint)[];
}

export interface Case {
  name: string;
  op: string;
  attrs?: Record<string, Attr>;
  ins: (T | undefined)[];
  outs: T[];
  ctx?: KernelContext;
}

const f32 = (...dims: number[]): T => ({ dtype: 'float32', dims });
const i64 = (host: number[]): T => ({ dtype: 'int64', dims: [host.length], host: host.map(BigInt) });
const int = (value: number): Attr => ({ kind: 'int', value });
const ints = (value: number[]): Attr => ({ kind: 'ints', value });
const str = (value: string): Attr => ({ kind: 'string', value });

export const CASES: Case[] = [
  // elementwise families
  { name: 'elementwise-binary.add-vec4', op: 'nn.Add', ins: [f32(4, 8), f32(4, 8)], outs: [f32(4, 8)] },
  { name: 'elementwise-binary.add-broadcast', op: 'nn.Add', ins: [f32(2, 3), f32(3)], outs: [f32(2, 3)] },
  { name: 'elementwise-unary.sqrt', op: 'nn.Sqrt', ins: [f32(7)], outs: [f32(7)] },
  {
    name: 'activation.gelu-tanh',
    op: 'nn.Gelu',
    attrs: { approximate: str('tanh') },
    ins: [f32(16)],
    outs: [f32(16)],
  },
  {
    name: 'logical.where',
    op: 'nn.Where',
    ins: [{ dtype: 'bool', dims: [5] }, f32(5), f32(1)],
    outs: [f32(5)],
  },
  { name: 'cast.int32-to-float', op: 'nn.Cast', ins: [{ dtype: 'int32', dims: [6] }], outs: [f32(6)] },
  {
    name: 'elementwise.kmap-fused',
    op: 'k.map',
    attrs: { expr: str('mul(sigmoid($0), add($1, 1.0))'), dtype: str('float32') },
    ins: [f32(2, 8), f32(8)],
    outs: [f32(2, 8)],
  },
  // matmul family
  { name: 'matmul.tiled', op: 'nn.MatMul', ins: [f32(64, 32), f32(32, 16)], outs: [f32(64, 16)] },
  { name: 'matmul.vec', op: 'nn.MatMul', ins: [f32(1, 32), f32(32, 16)], outs: [f32(1, 16)] },
  { name: 'matmul.direct-cpu', op: 'nn.MatMul', ins: [f32(64, 32), f32(32, 16)], outs: [f32(64, 16)], ctx: CPU },
  {
    name: 'matmul.gemm-transb-bias',
    op: 'nn.Gemm',
    attrs: { transB: int(1), alpha: { kind: 'float', value: 0.5 } },
    ins: [f32(8, 4), f32(6, 4), f32(6)],
    outs: [f32(8, 6)],
  },
  {
    name: 'matmul.kmatmul-relu',
    op: 'k.matmul',
    attrs: { epilogue: str('relu(add($0, $1))') },
    ins: [f32(2, 16, 8), f32(8, 12), f32(12)],
    outs: [f32(2, 16, 12)],
  },
  // convolution and pooling
  {
    name: 'conv.3x3-pad1',
    op: 'nn.Conv',
    attrs: { pads: ints([1, 1, 1, 1]) },
    ins: [f32(1, 3, 8, 8), f32(4, 3, 3, 3), f32(4)],
    outs: [f32(1, 4, 8, 8)],
  },
  {
    name: 'pool.max-2x2',
    op: 'nn.MaxPool',
    attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) },
    ins: [f32(1, 2, 6, 6)],
    outs: [f32(1, 2, 3, 3)],
  },
  { name: 'pool.global-average', op: 'nn.GlobalAveragePool', ins: [f32(1, 3, 4, 4)], outs: [f32(1, 3, 1, 1)] },
  // rows: reduce, argmax, softmax, normalization
  { name: 'reduce.sum-axis1', op: 'nn.ReduceSum', ins: [f32(4, 16, 3), i64([1])], outs: [f32(4, 1, 3)] },
  {
    name: 'argmax.axis1',
    op: 'nn.ArgMax',
    attrs: { axis: int(1) },
    ins: [f32(3, 10)],
    outs: [{ dtype: 'int64', dims: [3, 1] }],
  },
  { name: 'softmax.last-axis', op: 'nn.Softmax', ins: [f32(4, 16)], outs: [f32(4, 16)] },
  {
    name: 'softmax.log-axis0',
    op: 'nn.LogSoftmax',
    attrs: { axis: int(0) },
    ins: [f32(5, 3)],
    outs: [f32(5, 3)],
  },
  {
    name: 'normalization.layernorm',
    op: 'nn.LayerNormalization',
    attrs: { axis: int(-1) },
    ins: [f32(4, 16), f32(16), f32(16)],
    outs: [f32(4, 16)],
  },
  // data movement and scans
  {
    name: 'shape.transpose',
    op: 'nn.Transpose',
    attrs: { perm: ints([2, 0, 1]) },
    ins: [f32(2, 3, 4)],
    outs: [f32(4, 2, 3)],
  },
  {
    name: 'slice.step2',
    op: 'nn.Slice',
    ins: [f32(4, 10), i64([1]), i64([9]), i64([1]), i64([2])],
    outs: [f32(4, 4)],
  },
  {
    name: 'concat-split.concat-axis1',
    op: 'nn.Concat',
    attrs: { axis: int(1) },
    ins: [f32(2, 3), f32(2, 5)],
    outs: [f32(2, 8)],
  },
  {
    name: 'gather.axis0',
    op: 'nn.Gather',
    ins: [f32(10, 4), { dtype: 'int64', dims: [3] }],
    outs: [f32(3, 4)],
  },
  {
    name: 'pad.reflect',
    op: 'nn.Pad',
    attrs: { mode: str('reflect') },
    ins: [f32(3, 4), i64([1, 1, 1, 1])],
    outs: [f32(5, 6)],
  },
  { name: 'cumsum.axis0', op: 'nn.CumSum', ins: [f32(5, 3), i64([0])], outs: [f32(5, 3)] },
  {
    name: 'topk.k3',
    op: 'nn.TopK',
    attrs: { axis: int(-1) },
    ins: [f32(2, 20), i64([3])],
    outs: [f32(2, 3), { dtype: 'int64', dims: [2, 3] }],
  },
  {
    name: 'quantize.per-tensor',
    op: 'nn.QuantizeLinear',
    ins: [f32(8), f32(), { dtype: 'uint8', dims: [] }],
    outs: [{ dtype: 'uint8', dims: [8] }],
  },
];

/** The WGSL of one case: each dispatch's program, helpers inlined, under a header naming it. */
export function generate(c: Case): string {
  const ctx = c.ctx ?? GPU;
  const inVals = c.ins.map((t, i) => (t ? new Value(`x${i}`, { dtype: t.dtype, shape: t.dims }) : null));
  inVals.forEach((v, i) => {
    const h = c.ins[i]?.host;
    if (v && h) v.const = Tensor.from(c.ins[i]!.dtype, h, c.ins[i]!.dims);
  });
  const outVals = c.outs.map((t, i) => new Value(`y${i}`, { dtype: t.dtype, shape: t.dims }));
  const node = new Node(c.op, inVals, outVals, c.attrs ?? {}, c.name);
  const fam = kernelFor(c.op);
  if (!fam) throw new Error(`${c.name}: no WebGPU kernel for ${c.op}`);
  const ins: (TensorInfo | undefined)[] = c.ins.map((t, i) =>
    t
      ? {
          dtype: t.dtype,
          dims: t.dims,
          layout: ctx.layout(
            t.dtype,
            t.dims.reduce((p, q) => p * q, 1),
          ),
          host: inVals[i]!.const,
        }
      : undefined,
  );
  const outs = c.outs.map((t) => ({
    dtype: t.dtype,
    dims: t.dims,
    layout: ctx.layout(
      t.dtype,
      t.dims.reduce((p, q) => p * q, 1),
    ),
  }));
  const attrs = new AttrReader(node.attrs, node.describe());
  const plan = fam.plan({ node, attrs, ins, outs, ctx, hostInputs: fam.hostInputs?.(node) ?? [] });
  if (!plan.dispatches.length) throw new Error(`${c.name}: the plan has no dispatch`);
  // as the device compiles them: the declaration first (see node-plan.ts), then the program
  return plan.dispatches
    .map((d, k) => {
      const params = d.params ? `, params [${Array.from(d.params).join(',')}]` : '';
      const head = `// ${c.name} dispatch ${k}: ${d.label}, grid ${d.grid.join('x')}${params}`;
      return `${declaration(d.variant)}\n${head}\n${inlineHelpers(d.code)}`;
    })
    .join('\n');
}
