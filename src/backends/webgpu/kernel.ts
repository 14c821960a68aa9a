// What a kernel family provides: which nodes it runs, and for concrete input shapes a plan of
// dispatches (WGSL text, bindings, grid). Plans are built at compile time when shapes are static
// (so pipelines warm up before the first run) and otherwise at run time, memoised per shape.

import type { AttrReader } from '../../ir/attributes.js';
import type { DType } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ProgramVariant } from './variant.js';
import type { BindingSpec, Layout, WType } from './wgsl.js';

/** A tensor as a kernel sees it while planning. */
export interface TensorInfo {
  dtype: DType;
  dims: number[];
  layout: Layout;
  /** Values on the host, where known (constants, uploads, shape computations). */
  host?: Tensor;
}

export interface OutInfo {
  dtype: DType;
  dims: number[];
  layout: Layout;
}

/** Which tensor fills a binding slot: an input, an output or a temporary of the node. */
export type TRef = { in: number } | { out: number } | { tmp: number };

export interface Dispatch {
  /** The program; planning puts its variant's declaration in the first line. */
  code: string;
  /** Family, variant and key: the pipeline cache's key (see variant.ts). */
  variant: ProgramVariant;
  /** The uniform parameters (binding 0) when the program reads sizes from `P`. */
  params?: Uint32Array;
  bindings: BindingSpec[];
  tensors: TRef[];
  grid: [number, number, number];
  /** Kernel name for errors and traces. */
  label: string;
}

export interface NodePlan {
  /** Output k shares the storage of input alias[k] (reshapes and views cost nothing). */
  alias?: (number | undefined)[];
  /** Aliased inputs the dispatches write (a KV cache row written in place): their host copies go stale. */
  writesInputs?: number[];
  /** Outputs computed on the host (Shape, small shape arithmetic): no dispatch. */
  host?: Tensor[];
  temps?: Layout[];
  dispatches: Dispatch[];
}

/** Device facts a kernel specialises on. */
export interface KernelContext {
  limits: Record<string, number>;
  f16: boolean;
  /** The device has shader-f16 (f16 arithmetic in kernels that choose it; storage follows `f16`). */
  shaderF16?: boolean;
  /** The device has subgroups (subgroupAdd reductions; workgroup-memory trees otherwise). */
  subgroups?: boolean;
  /** Threads per workgroup for 1-D kernels (from maxComputeInvocationsPerWorkgroup). */
  wg: number;
  /** Tile choice for this adapter (see tiles.ts). */
  tiles: import('./tiles.js').TileConfig;
  layout(dtype: DType, numel: number): Layout;
  storage(dtype: DType): WType;
  /** Grid for `groups` workgroups within maxComputeWorkgroupsPerDimension. */
  grid(groups: number): [number, number, number];
}

export interface PlanArgs {
  node: Node;
  attrs: AttrReader;
  ins: (TensorInfo | undefined)[];
  outs: OutInfo[];
  ctx: KernelContext;
  /** The inputs whose host values the plan may read (the family's hostInputs). */
  hostInputs?: number[];
}

export interface KernelFamily {
  /** Op names (nn.Add, k.map, …). */
  ops: string[];
  /** Extra checks beyond dtypes: true, or the reason this node cannot run here. */
  supports?(node: Node, attrs: AttrReader): true | string;
  /** Inputs that may be int64 (indices, shapes): stored narrowed to i32. */
  int64Inputs?: number[] | 'all';
  /** Outputs may be int64 (index results such as ArgMax). */
  int64Outputs?: boolean;
  /** Inputs whose values the plan needs on the host (shapes, pads, axes). */
  hostInputs?(node: Node): number[];
  plan(a: PlanArgs): NodePlan;
}

const FAMILIES = new Map<string, KernelFamily>();

export function registerKernels(f: KernelFamily): void {
  for (const op of f.ops) FAMILIES.set(op, f);
}

export function kernelFor(op: string): KernelFamily | undefined {
  return FAMILIES.get(op);
}

export function kernelOps(): string[] {
  return [...FAMILIES.keys()].sort();
}
