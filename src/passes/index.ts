// The pass pipeline. Each pass can be run and printed on its own (`--print-after NAME|all`).

import type { Graph } from '../ir/graph.js';
import { constantFolding } from './constant-folding.js';
import { controlFlow } from './control-flow.js';
import { deadCodeElimination } from './dce.js';
import { decomposeContrib, decomposeContribCpu } from './decompose-contrib.js';
import { foldConvScale } from './fold-conv-scale.js';
import { freeTranspose } from './free-transpose.js';
import { fuseElementwise, fuseEpilogue } from './fuse.js';
import { fuseAttention } from './fuse-attention.js';
import { fuseMatmulNorm } from './fuse-matmul-norm.js';
import { fuseNormMatmul } from './fuse-norm-matmul.js';
import { lower } from './lower.js';
import { memoryPlan } from './memory-plan.js';
import { packNbits } from './pack-nbits.js';
import { packQkv } from './pack-qkv.js';
import type { Pass, PassResult } from './pass.js';
import { shapeInference } from './shape-inference.js';
import { widenFloat16 } from './widen-f16.js';

export type { Pass, PassResult };

export const PASSES: Record<string, Pass> = {
  [shapeInference.name]: shapeInference,
  [constantFolding.name]: constantFolding,
  [controlFlow.name]: controlFlow,
  [deadCodeElimination.name]: deadCodeElimination,
  [decomposeContrib.name]: decomposeContrib,
  [decomposeContribCpu.name]: decomposeContribCpu,
  [lower.name]: lower,
  [fuseElementwise.name]: fuseElementwise,
  [fuseEpilogue.name]: fuseEpilogue,
  [memoryPlan.name]: memoryPlan,
  [widenFloat16.name]: widenFloat16,
  [foldConvScale.name]: foldConvScale,
  [fuseAttention.name]: fuseAttention,
  [freeTranspose.name]: freeTranspose,
  [fuseMatmulNorm.name]: fuseMatmulNorm,
  [packQkv.name]: packQkv,
  [packNbits.name]: packNbits,
  [fuseNormMatmul.name]: fuseNormMatmul,
};

/** The default pipeline for the graph a backend receives. */
export const DEFAULT_PIPELINE = [
  'shape-inference',
  'constant-folding',
  'control-flow',
  'constant-folding',
  'dce',
  'shape-inference',
];

/** What kernel backends (wasm, webgpu) run after the default pipeline. */
export const KERNEL_PIPELINE = [
  ...DEFAULT_PIPELINE,
  'decompose-contrib',
  'lower',
  'fuse-elementwise',
  'fuse-epilogue',
  'dce',
];

/**
 * The WebGPU backend's kernel pipeline: attention chains become one fused kernel (with Q, K and V
 * from one packed matmul where they project the same tensor), and transposes
 * that move only unit axes become views, before the shared lowering; after the epilogue fusion, a
 * LayerNorm over a matmul's rows joins the matmul, and a norm read only by matmuls (decode) becomes
 * their prologue. MatMulNBits with constant codes stays packed (pack-nbits: k.matmul_nbits).
 */
export const WEBGPU_KERNEL_PIPELINE = KERNEL_PIPELINE.flatMap((p) =>
  p === 'decompose-contrib'
    ? ['pack-nbits', p]
    : p === 'lower'
      ? ['fuse-attention', 'pack-qkv', 'free-transpose', 'lower']
      : p === 'fuse-epilogue'
        ? ['fuse-epilogue', 'fuse-matmul-norm', 'fuse-norm-matmul']
        : [p],
);

export interface PipelineHooks {
  afterPass?(pass: Pass, result: PassResult, g: Graph): void;
}

export function runPipeline(g: Graph, names: string[] = DEFAULT_PIPELINE, hooks: PipelineHooks = {}): Graph {
  for (const name of names) {
    const pass = PASSES[name];
    if (!pass) throw new Error(`unknown pass '${name}'; passes: ${Object.keys(PASSES).join(', ')}`);
    const result = pass.run(g);
    hooks.afterPass?.(pass, result, g);
  }
  return g;
}
