// What an op family declares about each op, and the registry that src/ops/ fills. The IR owns the
// container (so the builder and verifier can look ops up) but none of the definitions.

import type { Attr, AttrKind, AttrReader } from './attributes.js';
import type { Graph, Node, TensorType, Value } from './graph.js';
import type { Tensor } from './tensor.js';
import type { RunValue } from './values.js';

export interface AttrSpec {
  kind: AttrKind;
  /** Default when absent; undefined together with `required` means "must be given". */
  default?: unknown;
  required?: boolean;
}

export interface InferContext {
  node: Node;
  attrs: AttrReader;
  /** Input types, undefined where an optional input is omitted. */
  types: (TensorType | undefined)[];
  /** Input values known before running (constants), for shape-carrying inputs like Reshape's. */
  consts: (Tensor | undefined)[];
}

export interface RunContext {
  node: Node;
  attrs: AttrReader;
  inputs: (Tensor | undefined)[];
}

/** RunContext for ops that take or make sequences and optionals (OpDef.values). */
export interface ValueRunContext {
  node: Node;
  attrs: AttrReader;
  inputs: (RunValue | undefined)[];
}

/** What a control-flow op asks its driver for: one run of a subgraph on these values. */
export interface BodyCall {
  graph: Graph;
  inputs: (RunValue | undefined)[];
  captures: (RunValue | undefined)[];
}

/** Control flow, written once for every driver: yields the subgraph runs it needs, returns its outputs. */
export type ControlSteps = Generator<BodyCall, RunValue[], RunValue[]>;

export interface CostContext {
  node: Node;
  attrs: AttrReader;
  types: (TensorType | undefined)[];
  outTypes: (TensorType | undefined)[];
}

/** Work of one op: arithmetic operations and bytes read plus written, for the roofline model. */
export interface Cost {
  flops: number;
  bytes: number;
}

/** What an ONNX importer may do to turn an older opset's form of a node into the canonical one. */
export interface ImportContext {
  node: Node;
  /** Opset version of the node's domain in the model. */
  opset: number;
  attrs: AttrReader;
  graph: Graph;
  /** Add a constant value (e.g. axes moved from an attribute to an input). */
  constant(t: Tensor, hint: string): Value;
  /** Delete attributes and return them. */
  take(name: string): Attr | undefined;
}

/** What a lowering sees: the node (shapes inferred), its attributes and the graph it sits in. */
export interface LowerContext {
  node: Node;
  attrs: AttrReader;
  graph: Graph;
}

export interface OpDef {
  /** Dialect-prefixed name: nn.Conv. */
  name: string;
  /** Input names; a trailing `?` marks optional, `...` variadic (at least one), `...?` variadic (any). */
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrSpec>;
  /** Shape and type rule: output types from input types (and constant inputs where known). */
  infer(ctx: InferContext): TensorType[];
  /** Reference semantics: plain, readable, correct for every dtype the op accepts. */
  run(ctx: RunContext): Tensor[];
  /**
   * Ops whose inputs or outputs may be sequences or optionals (and control flow, whose bodies
   * may carry them) set `values` and implement `runValues`, which `run` then only forwards to.
   * Every other op is refused a wrapped input by shape inference.
   */
  values?: boolean;
  runValues?(ctx: ValueRunContext): RunValue[];
  /**
   * Control flow as steps: the reference drives them with its interpreter (runValues does), a
   * kernel backend with the subgraph compiled for its device, the loop itself on the host.
   */
  steps?(ctx: ValueRunContext): ControlSteps;
  /** FLOPs and bytes; defaults to one op per output element and all tensors moved once. */
  cost?(ctx: CostContext): Cost;
  /**
   * Lowering to the kernel dialect: the k.* node that replaces this one (same outputs), or
   * undefined where the case has no kernel form (the node stays nn.* and backends run it directly
   * or fall back, visibly). The pass in src/passes/lower.ts only drives these hooks.
   */
  lower?(ctx: LowerContext): Node | undefined;
  /** The kernel-level ops `lower` may produce (checked by the lowering pass). */
  lowersTo?: string[];
  /** ONNX mapping: op type in the default domain and the canonicalisation of older opsets. */
  onnx?: { type: string; domain?: string; minOpset?: number; import?(ctx: ImportContext): void };
}

const REGISTRY = new Map<string, OpDef>();
const BY_ONNX = new Map<string, OpDef>();

export function registerOps(defs: OpDef[]): void {
  for (const d of defs) {
    if (REGISTRY.has(d.name)) throw new Error(`op ${d.name} is registered twice`);
    REGISTRY.set(d.name, d);
    if (d.onnx) BY_ONNX.set(`${d.onnx.domain ?? ''}:${d.onnx.type}`, d);
  }
}

export function lookupOp(name: string): OpDef | undefined {
  return REGISTRY.get(name);
}

export function lookupOnnxOp(domain: string, type: string): OpDef | undefined {
  return BY_ONNX.get(`${domain === 'ai.onnx' ? '' : domain}:${type}`);
}

export function registeredOps(): OpDef[] {
  return [...REGISTRY.values()];
}

/** Arity limits from the input spec: [min, max]. */
export function arity(spec: string[]): [number, number] {
  const min = spec.filter((s) => !s.endsWith('?')).length;
  const last = spec[spec.length - 1] ?? '';
  return [min, last.endsWith('...') || last.endsWith('...?') ? Infinity : spec.length];
}
