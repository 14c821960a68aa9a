// Epilogues fused into k.matmul and k.conv: an expression over the accumulator ($0) and extra
// inputs ($1…, broadcast to the output shape), applied to each output element before storing.

import type { TensorType } from '../../ir/graph.js';
import type { InferContext, OpDef } from '../../ir/op-def.js';
import { broadcastShapes, type Shape } from '../../ir/shape.js';
import { getter, setter, type Tensor } from '../../ir/tensor.js';
import { broadcastIndex, sameShape } from '../util.js';
import { exprOf } from './elementwise.js';
import { arityOf, evalExpr, opCount } from './expr.js';

export const EPILOGUE_ATTR: NonNullable<OpDef['attrs']> = { epilogue: { kind: 'string', default: '$0' } };

/** Check the extras (inputs from `first` on) broadcast into the output shape. */
export function checkExtras(ctx: InferContext, first: number, out: TensorType): void {
  const e = exprOf(ctx.attrs.string('epilogue', '$0'));
  const extras = ctx.node.inputs.length - first;
  if (arityOf(e) > extras + 1) throw new Error(`epilogue uses $${arityOf(e) - 1} but there are ${extras} extra inputs`);
  for (let i = first; i < ctx.types.length; i++) {
    const t = ctx.types[i];
    if (!t?.shape || !out.shape) continue;
    const b = broadcastShapes(out.shape, t.shape) as Shape;
    if (
      b.length !== out.shape.length ||
      b.some((d, k) => typeof d === 'number' && typeof out.shape![k] === 'number' && d !== out.shape![k])
    ) {
      throw new Error(
        `epilogue input #${i} ${t.shape.join('x')} does not broadcast into the output [${out.shape.join(',')}]`,
      );
    }
  }
}

/** Apply the epilogue in place to `acc` (float64 accumulators) and store into a tensor of `out`'s type. */
export function applyEpilogue(text: string, acc: Float64Array, out: Tensor, extras: Tensor[]): Tensor {
  const e = exprOf(text);
  const set = setter(out);
  const round = out.type === 'float64' ? (v: number) => v : Math.fround;
  if (text === '$0') {
    for (let i = 0; i < acc.length; i++) set(i, acc[i]!);
    return out;
  }
  const gets = extras.map((t) => getter(t));
  const idx = extras.map((t) => (sameShape(t.dims, out.dims) ? null : broadcastIndex(t.dims, out.dims)));
  const vals = new Array<number>(extras.length + 1);
  for (let i = 0; i < acc.length; i++) {
    vals[0] = round(acc[i]!);
    for (let k = 0; k < extras.length; k++) vals[k + 1] = Number(gets[k]!(idx[k] ? idx[k]![i]! : i));
    set(i, evalExpr(e, vals, round));
  }
  return out;
}

export function epilogueFlops(text: string): number {
  return opCount(exprOf(text));
}
