// The work of one IR node for the roofline model: FLOPs and bytes from the op registry's cost
// rule (or the registry's default: one op per output element, every tensor moved once).

import { AttrReader } from '../ir/attributes.js';
import { type DType, dtypeBytes } from '../ir/dtype.js';
import type { Node, TensorType } from '../ir/graph.js';
import { lookupOp } from '../ir/op-def.js';

export interface Work {
  flops: number;
  bytes: number;
  /** dtype the arithmetic runs in (the widest float among outputs, else the first output's). */
  dtype: DType;
  /** Kernel launches this work takes (1 per node; a fused unit sums its nodes). */
  launches: number;
}

function elems(t: TensorType | undefined): number {
  if (!t?.shape) return 0;
  return t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

const tbytes = (t: TensorType | undefined) => (t ? elems(t) * dtypeBytes(t.dtype) : 0);

export function nodeWork(node: Node): Work {
  const types = node.inputs.map((v) => v?.type);
  const outTypes = node.outputs.map((v) => v?.type);
  const def = lookupOp(node.op);
  const dtype =
    (
      outTypes.find((t) => t && (t.dtype === 'float64' || t.dtype === 'float32')) ??
      outTypes.find((t) => t) ??
      types.find((t) => t)
    )?.dtype ?? 'float32';
  let flops: number;
  let bytes: number;
  if (def?.cost) {
    ({ flops, bytes } = def.cost({ node, attrs: new AttrReader(node.attrs, node.describe()), types, outTypes }));
  } else {
    flops = outTypes.reduce((a, t) => a + elems(t), 0);
    bytes = types.reduce((a, t) => a + tbytes(t), 0) + outTypes.reduce((a, t) => a + tbytes(t), 0);
  }
  if (!(flops >= 0) || !(bytes >= 0))
    throw new Error(`${node.describe()}: cost rule returned ${flops} FLOPs, ${bytes} bytes`);
  return { flops, bytes, dtype, launches: 1 };
}

export function addWork(a: Work, b: Work): Work {
  const wider = dtypeBytes(b.dtype) > dtypeBytes(a.dtype) ? b.dtype : a.dtype;
  return { flops: a.flops + b.flops, bytes: a.bytes + b.bytes, dtype: wider, launches: a.launches + b.launches };
}

export { tbytes as typeBytes };
