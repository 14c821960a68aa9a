// Values known while a unit is planned: Shape and Size of tensors whose dims are now concrete,
// and the small integer arithmetic that exporters build on them (Gather, Concat, Unsqueeze, Mul,
// Cast, …). They are computed once per plan on the reference path and written into their slots
// by each run, so a Reshape whose target comes from `Shape` of a still-symbolic batch dim keeps
// its unit on WASM kernels and moves no data.

import type { DType } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { numel } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import { evalNode } from '../../ops/evaluate.js';

/** Ops that never read the input's data, only its dims. */
const DIMS_ONLY = new Set(['nn.Shape', 'nn.Size']);
/** The largest value (elements) computed at plan time: shape vectors, never activations. */
export const KNOWN_MAX = 4096;
const RANDOM = /Random|Multinomial|Bernoulli/;

/** Integer/boolean ops that the WASM device accepts at any dtype, answering them from the plan when it can. */
export const SHAPE_ARITH = new Set([
  'nn.Shape',
  'nn.Size',
  'nn.Add',
  'nn.Sub',
  'nn.Mul',
  'nn.Div',
  'nn.Equal',
  'nn.Less',
  'nn.Greater',
  'nn.Where',
  'nn.Not',
  'nn.Min',
  'nn.Max',
  'nn.Range',
  'nn.ConstantOfShape',
  'nn.ReduceProd',
  'nn.Abs',
  'nn.Neg',
  'nn.Mod',
  'nn.And',
  'nn.Or',
  'nn.Constant',
]);

const isIntLike = (t: DType) => t === 'int64' || t === 'int32' || t === 'bool';

/** Whether `supports` should take this node for its integer form (else the float rules apply). */
export function isShapeArith(node: Node): boolean {
  if (DIMS_ONLY.has(node.op) || node.op === 'nn.Constant') return true;
  if (!SHAPE_ARITH.has(node.op)) return false;
  return [...node.inputs, ...node.outputs].every((v) => !v?.type || isIntLike(v.type.dtype));
}

/** A tensor that has dims and a type but no data: all Shape and Size read (a Tensor, so the op accepts it). */
function dimsOnly(dims: number[], type: string): Tensor {
  return Object.create(Tensor.prototype, {
    dims: { value: dims },
    size: { value: numel(dims) },
    type: { value: type },
    data: {
      get() {
        throw new Error('a dims-only tensor has no data (only Shape and Size read it)');
      },
    },
  }) as Tensor;
}

/**
 * The node's outputs when they can be computed now: every input constant or known (only the dims
 * for Shape and Size), and every output small. Undefined otherwise.
 */
export function knownOutputs(
  n: Node,
  knownValue: (v: Value) => Tensor | undefined,
  dimsOf: (v: Value) => number[] | undefined,
  outDims: (number[] | undefined)[],
): Tensor[] | undefined {
  if (RANDOM.test(n.op) || !n.outputs.length) return undefined;
  if (outDims.some((d, i) => n.outputs[i] && (!d || numel(d) > KNOWN_MAX))) return undefined;
  const ins: (Tensor | undefined)[] = [];
  for (const v of n.inputs) {
    if (!v) {
      ins.push(undefined);
      continue;
    }
    if (DIMS_ONLY.has(n.op)) {
      const d = dimsOf(v);
      if (!d) return undefined;
      // Shape and Size read dims and size only: no data is made for the (maybe large) input
      ins.push(dimsOnly(d, v.type?.dtype ?? 'float32'));
      continue;
    }
    const t = knownValue(v);
    if (!t || t.size > KNOWN_MAX) return undefined;
    ins.push(t);
  }
  return evalNode(n, ins);
}
