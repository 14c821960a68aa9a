// Helpers for op import hooks that rewrite older ONNX opset forms into the canonical one.

import type { ImportContext } from '../ir/op-def.js';
import { Tensor } from '../ir/tensor.js';

/** An ints attribute that later opsets turned into an input: becomes an int64 constant input at `at`. */
export function attrToInput(ctx: ImportContext, attr: string, at: number): void {
  const a = ctx.take(attr);
  if (!a) return;
  if (a.kind !== 'ints' && a.kind !== 'int') throw new Error(`attribute '${attr}' must be ints`);
  const vals = a.kind === 'int' ? [a.value] : a.value;
  while (ctx.node.inputs.length < at) ctx.node.inputs.push(null);
  ctx.node.inputs[at] = ctx.constant(Tensor.from('int64', vals.map(BigInt)), attr);
}
