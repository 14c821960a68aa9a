// ONNX value types -> IR tensor types: TypeProto (tensors, sequences and optionals of them),
// dim_param names as IR symbols, and the merge of an inferred type with the one a model declares.

import { dtypeFromOnnx } from '../../ir/dtype.js';
import type { TensorType } from '../../ir/graph.js';
import type { Dim } from '../../ir/shape.js';
import { formatType } from '../../ir/text-common.js';
import { toNum, type ValueInfoProto } from './proto.js';
/** ONNX dim_param names become IR symbols (identifier characters only). */
export function symbol(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `d_${s}`;
}

let anon = 0;

export function typeFromValueInfo(vi: ValueInfoProto): TensorType | undefined {
  return vi.type ? typeFromProto(vi.type, vi.name ?? '') : undefined;
}

type TypeProto = NonNullable<ValueInfoProto['type']>;

/** A TypeProto: tensors, and sequences and optionals of them (wrap, outermost first). */
export function typeFromProto(tp: TypeProto, name: string): TensorType | undefined {
  const inner = tp.sequenceType?.elemType ?? tp.optionalType?.elemType;
  if (tp.sequenceType || tp.optionalType) {
    const w = tp.sequenceType ? 'sequence' : 'optional';
    if (!inner) throw new Error(`value '${name}' is a ${w} without an element type`);
    const t = typeFromProto(inner, name);
    if (!t) throw new Error(`value '${name}' is a ${w} of something other than tensors`);
    return { ...t, wrap: [w, ...(t.wrap ?? [])] };
  }
  if (tp.mapType || tp.sparseTensorType)
    throw new Error(
      `value '${name}' is a ${tp.mapType ? 'map' : 'sparse tensor'}; Switchyard supports tensors, ` +
        `sequences and optionals`,
    );
  const tt = tp.tensorType;
  if (!tt) return undefined;
  const vi = { name };
  const dtype = (() => {
    try {
      return dtypeFromOnnx(tt.elemType ?? 0);
    } catch (e) {
      throw new Error(`value '${vi.name}': ${(e as Error).message}`);
    }
  })();
  if (!tt.shape) return { dtype };
  const shape: Dim[] = (tt.shape.dim ?? []).map((d) => {
    if (d.dimParam) return symbol(d.dimParam);
    if (
      d.dimValue !== undefined &&
      d.dimValue !== null &&
      ((d as { value?: string }).value === 'dimValue' || toNum(d.dimValue) > 0)
    )
      return toNum(d.dimValue);
    return `unk${anon++}`;
  });
  return { dtype, shape };
}

/** Keep the more specific of an inferred and a declared type (a static dim beats a symbol). */
export function mergeTypes(
  inferred: TensorType | undefined,
  declared: TensorType | undefined,
  what: string,
): TensorType | undefined {
  if (!inferred) return declared;
  if (!declared) return inferred;
  if (inferred.dtype !== declared.dtype || (inferred.wrap ?? []).join() !== (declared.wrap ?? []).join()) {
    throw new Error(`${what} is declared ${formatType(declared)} but the op produces ${formatType(inferred)}`);
  }
  if (!inferred.shape) return declared;
  if (!declared.shape) return inferred;
  if (inferred.shape.length !== declared.shape.length) {
    throw new Error(`${what} is declared ${formatType(declared)} but the op produces ${formatType(inferred)}`);
  }
  const shape = inferred.shape.map((d, i) => {
    const e = declared.shape![i]!;
    if (typeof d === 'number' && typeof e === 'number' && d !== e) {
      throw new Error(`${what} is declared ${formatType(declared)} but the op produces ${formatType(inferred)}`);
    }
    return typeof d === 'number' ? d : e;
  });
  return { dtype: inferred.dtype, shape, ...(inferred.wrap?.length ? { wrap: inferred.wrap } : {}) };
}
