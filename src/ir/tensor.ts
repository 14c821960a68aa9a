// Tensors: a dtype, static dims and a typed array, shaped like onnxruntime-web's Tensor
// (`new Tensor('float32', data, dims)`, `.type`, `.dims`, `.data`, `.size`, `.location`).

import {
  allocTyped,
  type DType,
  dtypeBytes,
  isBig,
  isDType,
  isNarrow,
  type NumericArray,
  type TypedArray,
} from './dtype.js';
import { f16ToF32, f32ToF16 } from './float16.js';
import { narrowDecoder, narrowEncoder } from './narrow.js';
import { formatDims, numel } from './shape.js';

export type TensorLocation = 'cpu' | 'gpu';

type DataLike = TypedArray | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

function typeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  return 'uint64';
}

function arrayMatches(dtype: DType, a: TypedArray): boolean {
  const t = typeOfArray(a);
  if (dtype === 'bool') return t === 'uint8';
  if (dtype === 'float16' || dtype === 'bfloat16') return t === 'uint16';
  if (dtype === 'int4' || dtype === 'int2') return t === 'int8';
  if (isNarrow(dtype)) return t === 'uint8';
  return t === dtype;
}

export class Tensor {
  readonly type: DType;
  readonly dims: readonly number[];
  /** CPU data. For a GPU-resident tensor this is filled on download. */
  data: TypedArray;
  location: TensorLocation = 'cpu';

  constructor(type: DType, data: DataLike, dims?: readonly number[]);
  constructor(data: TypedArray, dims?: readonly number[]);
  constructor(a: DType | TypedArray, b?: DataLike | readonly number[], c?: readonly number[]) {
    let type: DType;
    let data: DataLike;
    let dims: readonly number[] | undefined;
    if (typeof a === 'string') {
      if (!isDType(a)) throw new TypeError(`unknown tensor type '${a}'`);
      type = a;
      data = b as DataLike;
      dims = c;
    } else {
      type = typeOfArray(a);
      data = a;
      dims = b as readonly number[] | undefined;
    }
    if (data === undefined || data === null) throw new TypeError(`tensor data is missing for type ${type}`);
    const typed = toTyped(type, data);
    dims = dims ?? [typed.length];
    for (const d of dims) {
      if (!Number.isInteger(d) || d < 0)
        throw new TypeError(`tensor dims ${formatDims(dims)} must be non-negative integers`);
    }
    if (numel(dims) !== typed.length) {
      throw new TypeError(`tensor data has ${typed.length} elements but dims ${formatDims(dims)} need ${numel(dims)}`);
    }
    this.type = type;
    this.dims = Object.freeze([...dims]);
    this.data = typed;
  }

  get size(): number {
    return this.data.length;
  }
  get byteLength(): number {
    return this.size * dtypeBytes(this.type);
  }

  static zeros(type: DType, dims: readonly number[]): Tensor {
    return new Tensor(type, allocTyped(type, numel(dims)), dims);
  }

  /** Scalar or vector convenience for tests and builders. */
  static from(type: DType, values: readonly (number | bigint | boolean)[], dims?: readonly number[]): Tensor {
    const t = Tensor.zeros(type, dims ?? [values.length]);
    const set = setter(t);
    values.forEach((v, i) => set(i, typeof v === 'boolean' ? Number(v) : v));
    return t;
  }

  /** Raw little-endian bytes of the data (a view, not a copy). */
  bytes(): Uint8Array {
    const d = numericData(this);
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }

  /** Values as JS numbers (float16 widened, 64-bit integers converted), for printing and tests. */
  toNumbers(): number[] {
    const get = getter(this);
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = Number(get(i));
    return out;
  }

  reshape(dims: readonly number[]): Tensor {
    return new Tensor(this.type, this.data, dims);
  }

  toString(): string {
    if (this.type === 'string') {
      const s = (this.data as string[]).slice(0, 8).map((x) => JSON.stringify(x));
      return `string${formatDims(this.dims)} [${s.join(', ')}${this.size > 8 ? ', …' : ''}]`;
    }
    const vals = this.toNumbers();
    const shown = vals.slice(0, 8).map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(5)));
    return `${this.type}${formatDims(this.dims)} [${shown.join(', ')}${vals.length > 8 ? ', …' : ''}]`;
  }
}

function toTyped(type: DType, data: DataLike): TypedArray {
  if (type === 'string') {
    if (ArrayBuffer.isView(data) || !data.every((s: unknown) => typeof s === 'string')) {
      throw new TypeError('a string tensor holds an array of strings');
    }
    return data as string[];
  }
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    if (!arrayMatches(type, arr)) {
      throw new TypeError(`tensor of type ${type} cannot hold a ${arr.constructor.name}`);
    }
    return arr;
  }
  const arr = data as readonly (number | bigint | boolean)[];
  const out = allocTyped(type, arr.length);
  const t = { type, data: out } as Tensor;
  const set = setter(t);
  arr.forEach((v, i) => set(i, typeof v === 'boolean' ? Number(v) : v));
  return out;
}

export type Scalar = number | bigint;

/** The typed array of a numeric tensor; a string tensor here is an error that says so. */
export function numericData(t: { type: DType; data: TypedArray }): NumericArray {
  if (Array.isArray(t.data)) throw new Error(`a ${t.type} tensor has no binary layout (strings stay on the host)`);
  return t.data as NumericArray;
}

/** Element reader: float16 widened to number, 64-bit integers as bigint. */
export function getter(t: { type: DType; data: TypedArray }): (i: number) => Scalar {
  const d = t.data;
  if (t.type === 'float16') {
    const u = d as Uint16Array;
    return (i) => f16ToF32(u[i]!);
  }
  const dec = narrowDecoder(t.type);
  if (dec) return (i) => dec(d[i] as number);
  // a string tensor's elements are strings: copying ops (Gather, Concat, Reshape) pass them through
  return (i) => d[i] as Scalar;
}

/** Element reader that always returns a number (64-bit integers converted, possibly inexactly). */
export function numGetter(t: { type: DType; data: TypedArray }): (i: number) => number {
  const d = t.data;
  if (t.type === 'float16') {
    const u = d as Uint16Array;
    return (i) => f16ToF32(u[i]!);
  }
  if (isBig(t.type)) return (i) => Number(d[i]!);
  const dec = narrowDecoder(t.type);
  if (dec) return (i) => dec(d[i] as number);
  return (i) => d[i] as number;
}

/**
 * Element writer that converts like a C cast: truncation toward zero for integers, wrap-around for
 * out-of-range integers (typed-array semantics), rounding to nearest for floats, !=0 for bool.
 */
export function setter(t: { type: DType; data: TypedArray }): (i: number, v: Scalar) => void {
  const d = t.data;
  const enc = narrowEncoder(t.type);
  if (enc) {
    const u = d as Uint8Array;
    return (i, v) => {
      u[i] = enc(Number(v));
    };
  }
  switch (t.type) {
    case 'float16': {
      const u = d as Uint16Array;
      return (i, v) => {
        u[i] = f32ToF16(Number(v));
      };
    }
    case 'bool': {
      const u = d as Uint8Array;
      return (i, v) => {
        u[i] = v ? 1 : 0;
      };
    }
    case 'int64':
    case 'uint64': {
      const b = d as BigInt64Array | BigUint64Array;
      return (i, v) => {
        b[i] = typeof v === 'bigint' ? v : toBigInt(v);
      };
    }
    default: {
      const n = d as Float32Array;
      return (i, v) => {
        n[i] = typeof v === 'bigint' ? Number(v) : v;
      };
    }
  }
}

/** Truncating number → bigint conversion; NaN becomes 0 and infinities saturate like hardware casts. */
export function toBigInt(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  if (v === Infinity) return 0x7fffffffffffffffn;
  if (v === -Infinity) return -0x8000000000000000n;
  return BigInt(Math.trunc(v));
}

/** Read an integer tensor (shape inputs, axes, indices) as plain numbers. */
export function toIntArray(t: Tensor): number[] {
  const out = new Array<number>(t.size);
  for (let i = 0; i < t.size; i++) out[i] = Number(t.data[i]!);
  return out;
}
