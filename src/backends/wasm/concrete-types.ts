// Concrete dtypes and dims of every value of a unit for one set of input shapes, by the ops'
// shape rules, with the small shape computations (Shape, Size and the integer arithmetic on
// them) answered on the way. A shape that only running can tell throws DynamicShape.

import type { DType } from '../../ir/dtype.js';
import type { Node, TensorType, Value } from '../../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../../ir/infer.js';
import { isStatic } from '../../ir/shape.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Unit } from '../../ir/unit.js';
import { knownOutputs } from './known.js';
import type { WasmTensor } from './wasm-tensor.js';

export function concreteTypes(
  unit: Unit,
  inputs: WasmTensor[],
  known: Map<Value, Tensor>,
): Map<Value, { dtype: DType; dims: number[] }> {
  const m = new Map<Value, { dtype: DType; dims: number[] }>();
  const knownValue = (v: Value) => v.const ?? known.get(v);
  unit.inputs.forEach((v, i) => m.set(v, { dtype: inputs[i]!.type, dims: [...inputs[i]!.dims] }));
  const typeOf = (v: Value | null): TensorType | undefined => {
    if (!v) return undefined;
    if (v.const) return { dtype: v.const.type, shape: [...v.const.dims] };
    const t = m.get(v);
    return t ? { dtype: t.dtype, shape: t.dims } : v.type;
  };
  for (const n of unit.nodes) {
    const def = opDefOf(n);
    let types: TensorType[];
    try {
      types = def.infer({
        node: n,
        attrs: attrsOf(n),
        types: n.inputs.map(typeOf),
        consts: n.inputs.map((v) => (v ? knownValue(v) : undefined)),
      });
    } catch (e) {
      throw nodeError(n, e);
    }
    const staticDims = types.map((t, i) => {
      const o = n.outputs[i];
      return t?.shape && isStatic(t.shape)
        ? (t.shape as number[])
        : o?.type?.shape && isStatic(o.type.shape)
          ? (o.type.shape as number[])
          : undefined;
    });
    const vals = knownOutputs(
      n,
      knownValue,
      (v) => m.get(v)?.dims ?? (v.const ? [...v.const.dims] : undefined),
      staticDims,
    );
    if (vals) {
      n.outputs.forEach((o, i) => {
        if (o) {
          known.set(o, vals[i]!);
          m.set(o, { dtype: vals[i]!.type, dims: [...vals[i]!.dims] });
        }
      });
      continue;
    }
    n.outputs.forEach((o, i) => {
      if (!o) return;
      const t = types[i];
      const shape =
        t?.shape && isStatic(t.shape) ? t.shape : o.type?.shape && isStatic(o.type.shape) ? o.type.shape : undefined;
      if (!t || !shape) throw new DynamicShape(n);
      m.set(o, { dtype: t.dtype, dims: shape as number[] });
    });
  }
  return m;
}

/** A node whose output shape depends on data: the unit takes the reference path. */
export class DynamicShape extends Error {
  constructor(readonly node: Node) {
    super(`${node.describe()}: output shape depends on data`);
  }
}
