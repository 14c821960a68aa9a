// Helpers for the op families' lowering hooks (OpDef.lower): attach hooks to a family's defs, and
// build the k.map node of an elementwise op from its expression.

import type { AttrReader } from '../../ir/attributes.js';
import { isFloat } from '../../ir/dtype.js';
import { Node, Value } from '../../ir/graph.js';
import type { LowerContext, OpDef } from '../../ir/op-def.js';
import { Tensor } from '../../ir/tensor.js';
import { type Expr, input, printExpr } from './expr.js';

export const $0 = input(0);
export const $1 = input(1);
export const $2 = input(2);

/** Attach lowering hooks (by op name) to a family's defs; a name with no def is an error. */
export function withLowering(
  defs: OpDef[],
  table: Record<string, { lower: NonNullable<OpDef['lower']>; lowersTo: string[] }>,
): OpDef[] {
  const names = new Set(defs.map((d) => d.name));
  for (const k of Object.keys(table))
    if (!names.has(k)) throw new Error(`lowering for ${k}: no such op in this family`);
  return defs.map((d) => (table[d.name] ? { ...d, ...table[d.name] } : d));
}

const floatOrBool = (v: Value | null | undefined) =>
  !v || (!!v.type && (isFloat(v.type.dtype) || v.type.dtype === 'bool'));

/** k.map only computes in float: every input and the output must be float or bool. */
function floatDomain(n: Node): boolean {
  return floatOrBool(n.outputs[0]) && !!n.outputs[0]?.type && n.inputs.every(floatOrBool);
}

/** An omitted optional input that the expression never reads: a scalar zero of the input type. */
function placeholderFor(n: Node): Value {
  const v = new Value(`${n.name || n.outputs[0]?.name}.unused`, { dtype: n.inputs[0]!.type!.dtype, shape: [] });
  v.const = Tensor.zeros(n.inputs[0]!.type!.dtype, []);
  return v;
}

/** The k.map node computing `e` over the node's inputs. */
export function kmapNode(n: Node, e: Expr, inputs: Value[] = n.inputs.map((v) => v ?? placeholderFor(n))): Node {
  const out = n.outputs[0]!;
  // Clip's omitted bounds leave nulls in the input list; the expression only refers to present ones
  return new Node(
    'k.map',
    inputs,
    [out],
    { expr: { kind: 'string', value: printExpr(e) }, dtype: { kind: 'string', value: out.type!.dtype } },
    n.name,
  );
}

/** An elementwise op's lowering: its expression as a k.map, where the node computes in float. */
export function mapLowering(expr: (n: Node, a: AttrReader) => Expr | undefined) {
  return {
    lowersTo: ['k.map'],
    lower({ node, attrs }: LowerContext): Node | undefined {
      if (node.outputs.length !== 1 || !floatDomain(node)) return undefined;
      const e = expr(node, attrs);
      return e ? kmapNode(node, e) : undefined;
    },
  };
}
