// Run-time values that are not tensors: ONNX sequences (an ordered list of tensors of one dtype)
// and optionals (a tensor, a sequence, or nothing). Tensors stay the common case: every value of a
// graph whose type has no `wrap` is a Tensor; these appear only where the type says so.

import type { DType } from './dtype.js';
import type { TensorType } from './graph.js';
import { Tensor } from './tensor.js';
import { formatType } from './text-common.js';

export class TensorSequence {
  readonly kind = 'sequence' as const;
  constructor(
    readonly elemType: DType,
    readonly items: readonly Tensor[],
  ) {
    for (const t of items) {
      if (t.type !== elemType) throw new TypeError(`a sequence of ${elemType} cannot hold a ${t.type} tensor`);
    }
  }
  get length(): number {
    return this.items.length;
  }
  toString(): string {
    return `seq<${this.elemType}>[${this.items.map((t) => t.toString()).join('; ')}]`;
  }
}

export class OptionalValue {
  readonly kind = 'optional' as const;
  /** `type` is the contained type (what OptionalGetElement gives); `value` undefined is "none". */
  constructor(
    readonly type: TensorType,
    readonly value?: Tensor | TensorSequence,
  ) {}
  get hasValue(): boolean {
    return this.value !== undefined;
  }
  toString(): string {
    return this.value ? `opt(${this.value.toString()})` : `opt<${formatType(this.type)}>(none)`;
  }
}

/** Anything a graph value holds at run time. */
export type RunValue = Tensor | TensorSequence | OptionalValue;

export const isTensor = (v: RunValue | undefined): v is Tensor => v instanceof Tensor;

/** What a run-time value is, for error messages: `f32[2,3]`, `seq<f32> of 4`, `optional (none)`. */
export function describeRunValue(v: RunValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Tensor) return `${v.type}[${v.dims.join(',')}]`;
  if (v instanceof TensorSequence) return `a sequence of ${v.length} ${v.elemType} tensors`;
  return v.value ? `an optional holding ${describeRunValue(v.value)}` : 'an empty optional';
}

/** A value that must be a tensor here (a device upload, a tensor-only result), named in the error. */
export function asTensor(x: RunValue | undefined, name: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new Error(`'${name}' is ${describeRunValue(x)}, not a tensor; read it with session.runValues()`);
  }
  return x;
}

/** Graph outputs that must all be tensors (Session.run), named by their values. */
export function tensorsOnly(outs: RunValue[], names: readonly { name: string }[]): Tensor[] {
  return outs.map((x, i) => asTensor(x, names[i]?.name ?? `#${i}`));
}

/** Does a run-time value fit a static type (dtype, rank, static dims, wrappers)? */
export function fitsType(v: RunValue | undefined, t: TensorType, depth = 0): boolean {
  const w = t.wrap?.[depth];
  if (!w) {
    if (!(v instanceof Tensor) || v.type !== t.dtype) return false;
    if (!t.shape) return true;
    return t.shape.length === v.dims.length && t.shape.every((d, i) => typeof d === 'string' || d === v.dims[i]);
  }
  if (w === 'sequence') {
    return v instanceof TensorSequence && v.elemType === t.dtype && v.items.every((x) => fitsType(x, t, depth + 1));
  }
  return v instanceof OptionalValue && (v.value === undefined || fitsType(v.value, t, depth + 1));
}
