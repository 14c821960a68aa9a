// k.map: one fused elementwise kernel. Inputs broadcast together (numpy rules); `expr` says what
// each output element is; `dtype` is the output element type. Floating math runs in float32
// (float64 for float64 outputs), bool inputs read as 0/1.

import type { DType } from '../../ir/dtype.js';
import { isDType } from '../../ir/dtype.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import { broadcastType, bytesOf, inType, mapBroadcast, numelOf } from '../util.js';
import { arityOf, type Expr, evalExpr, opCount, parseExpr } from './expr.js';

const cache = new Map<string, Expr>();
/** Parsed expressions are cached by text: kernels are built from the same tree every run. */
export function exprOf(text: string): Expr {
  let e = cache.get(text);
  if (!e) {
    e = parseExpr(text);
    cache.set(text, e);
  }
  return e;
}

export function outDType(name: string): DType {
  if (!isDType(name)) throw new Error(`dtype '${name}' is not an element type`);
  return name;
}

const kmap: OpDef = {
  name: 'k.map',
  inputs: ['inputs...'],
  outputs: ['output'],
  attrs: { expr: { kind: 'string', required: true }, dtype: { kind: 'string', required: true } },
  infer(ctx) {
    const e = exprOf(ctx.attrs.string('expr'));
    const n = ctx.node.inputs.length;
    if (arityOf(e) > n) throw new Error(`expr uses $${arityOf(e) - 1} but the node has ${n} inputs`);
    ctx.types.forEach((_, i) => inType(ctx, i));
    return [broadcastType(ctx.types, outDType(ctx.attrs.string('dtype')))];
  },
  run({ inputs, attrs }) {
    const e = exprOf(attrs.string('expr'));
    const dtype = outDType(attrs.string('dtype'));
    const round = dtype === 'float64' ? (v: number) => v : Math.fround;
    return [
      mapBroadcast(
        inputs.map((t) => t!),
        dtype,
        (...xs) => evalExpr(e, xs.map(Number), round),
      ),
    ];
  },
  cost(ctx) {
    const e = exprOf(ctx.attrs.string('expr'));
    return {
      flops: numelOf(ctx.outTypes[0]) * Math.max(1, opCount(e)),
      bytes: ctx.types.reduce((a, t) => a + bytesOf(t), 0) + bytesOf(ctx.outTypes[0]),
    };
  },
};

registerOps([kmap]);
