// Element types of the IR. Names follow onnxruntime-web's Tensor types so users port code unchanged.

export const DTYPES = [
  'float32',
  'float16',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  // narrow types (ops run them on the reference path): bit patterns, sub-byte values one per byte
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'float8e8m0',
  'int4',
  'uint4',
  'int2',
  'uint2',
  'float4e2m1',
  // strings (ONNX STRING): stored as string[], computed on the host only
  'string',
] as const;

export type DType = (typeof DTYPES)[number];

/** Typed array that stores each numeric dtype: 64-bit integers as BigInt arrays, float16 as raw bits, bool as bytes. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint32Array
  | BigUint64Array;
/** Storage of any tensor: a typed array, or string[] for dtype 'string'. */
export type TypedArray = NumericArray | string[];

interface DTypeInfo {
  short: string; // MLIR-style short name used in the text form: f32, i64, …
  bytes: number;
  /** Bits per element when packed (ONNX raw_data), for the sub-byte types; else 8 * bytes. */
  bits?: number;
  onnx: number; // TensorProto.DataType code
  kind: 'float' | 'int' | 'uint' | 'bool' | 'string';
  make: (n: number) => TypedArray;
}

const INFO: Record<DType, DTypeInfo> = {
  float32: { short: 'f32', bytes: 4, onnx: 1, kind: 'float', make: (n) => new Float32Array(n) },
  float16: { short: 'f16', bytes: 2, onnx: 10, kind: 'float', make: (n) => new Uint16Array(n) },
  float64: { short: 'f64', bytes: 8, onnx: 11, kind: 'float', make: (n) => new Float64Array(n) },
  int8: { short: 'i8', bytes: 1, onnx: 3, kind: 'int', make: (n) => new Int8Array(n) },
  int16: { short: 'i16', bytes: 2, onnx: 5, kind: 'int', make: (n) => new Int16Array(n) },
  int32: { short: 'i32', bytes: 4, onnx: 6, kind: 'int', make: (n) => new Int32Array(n) },
  int64: { short: 'i64', bytes: 8, onnx: 7, kind: 'int', make: (n) => new BigInt64Array(n) },
  uint8: { short: 'u8', bytes: 1, onnx: 2, kind: 'uint', make: (n) => new Uint8Array(n) },
  uint16: { short: 'u16', bytes: 2, onnx: 4, kind: 'uint', make: (n) => new Uint16Array(n) },
  uint32: { short: 'u32', bytes: 4, onnx: 12, kind: 'uint', make: (n) => new Uint32Array(n) },
  uint64: { short: 'u64', bytes: 8, onnx: 13, kind: 'uint', make: (n) => new BigUint64Array(n) },
  bool: { short: 'i1', bytes: 1, onnx: 9, kind: 'bool', make: (n) => new Uint8Array(n) },
  // narrow types: `bytes` is the in-memory size (sub-byte values unpacked), `bits` the packed one
  bfloat16: { short: 'bf16', bytes: 2, onnx: 16, kind: 'float', make: (n) => new Uint16Array(n) },
  float8e4m3fn: { short: 'f8e4m3fn', bytes: 1, onnx: 17, kind: 'float', make: (n) => new Uint8Array(n) },
  float8e4m3fnuz: { short: 'f8e4m3fnuz', bytes: 1, onnx: 18, kind: 'float', make: (n) => new Uint8Array(n) },
  float8e5m2: { short: 'f8e5m2', bytes: 1, onnx: 19, kind: 'float', make: (n) => new Uint8Array(n) },
  float8e5m2fnuz: { short: 'f8e5m2fnuz', bytes: 1, onnx: 20, kind: 'float', make: (n) => new Uint8Array(n) },
  float8e8m0: { short: 'f8e8m0', bytes: 1, onnx: 24, kind: 'float', make: (n) => new Uint8Array(n) },
  uint4: { short: 'u4', bytes: 1, bits: 4, onnx: 21, kind: 'uint', make: (n) => new Uint8Array(n) },
  int4: { short: 'i4', bytes: 1, bits: 4, onnx: 22, kind: 'int', make: (n) => new Int8Array(n) },
  float4e2m1: { short: 'f4e2m1', bytes: 1, bits: 4, onnx: 23, kind: 'float', make: (n) => new Uint8Array(n) },
  uint2: { short: 'u2', bytes: 1, bits: 2, onnx: 25, kind: 'uint', make: (n) => new Uint8Array(n) },
  int2: { short: 'i2', bytes: 1, bits: 2, onnx: 26, kind: 'int', make: (n) => new Int8Array(n) },
  // bytes: a size estimate for the cost model and memory accounting (strings have no fixed width)
  string: { short: 'str', bytes: 16, onnx: 8, kind: 'string', make: (n) => new Array<string>(n).fill('') },
};

/** ONNX data_type codes that exist but that Switchyard does not support, named for error messages. */
const ONNX_UNSUPPORTED: Record<number, string> = {
  0: 'UNDEFINED',
  8: 'STRING',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
};

const NARROW = new Set<DType>([
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'float8e8m0',
  'int4',
  'uint4',
  'int2',
  'uint2',
  'float4e2m1',
]);

const BY_SHORT = new Map<string, DType>(DTYPES.map((d) => [INFO[d].short, d]));
const BY_ONNX = new Map<number, DType>(DTYPES.map((d) => [INFO[d].onnx, d]));

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}
export const dtypeBytes = (d: DType): number => INFO[d].bytes;
export const dtypeShort = (d: DType): string => INFO[d].short;
export const dtypeKind = (d: DType) => INFO[d].kind;
export const isFloat = (d: DType): boolean => INFO[d].kind === 'float';
export const isInteger = (d: DType): boolean => INFO[d].kind === 'int' || INFO[d].kind === 'uint';
export const isSigned = (d: DType): boolean => INFO[d].kind === 'int' || INFO[d].kind === 'float';
/** 64-bit integers live in BigInt arrays and are computed with bigint arithmetic. */
export const isBig = (d: DType): boolean => d === 'int64' || d === 'uint64';
/** Bits per element in ONNX's packed form (4 for int4/uint4/float4e2m1, 2 for int2/uint2). */
export const dtypePackedBits = (d: DType): number => INFO[d].bits ?? INFO[d].bytes * 8;
/** The types added for ONNX coverage that only the reference interpreter computes with. */
export const isNarrow = (d: DType): boolean => NARROW.has(d);
/** String tensors hold string[] and never leave the host. */
export const isString = (d: DType): boolean => d === 'string';
export const dtypeToOnnx = (d: DType): number => INFO[d].onnx;
export const allocTyped = (d: DType, n: number): TypedArray => INFO[d].make(n);
/** Storage for a numeric dtype: the byte-level paths (files, wire, GPU) have no string form. */
export function allocNumeric(d: DType, n: number): NumericArray {
  if (d === 'string') throw new Error('string tensors have no binary layout (they stay on the host as string[])');
  return INFO[d].make(n) as NumericArray;
}

export function dtypeFromShort(s: string): DType | undefined {
  return BY_SHORT.get(s);
}

export function dtypeFromOnnx(code: number): DType {
  const d = BY_ONNX.get(code);
  if (d) return d;
  const name = ONNX_UNSUPPORTED[code];
  throw new Error(name ? `unsupported data type ${name} (code ${code})` : `unknown data type code ${code}`);
}

/** Integer range of a dtype, for saturating casts and quantization. */
export function intRange(d: DType): [number, number] {
  switch (d) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    case 'bool':
      return [0, 1];
    case 'int4':
      return [-8, 7];
    case 'uint4':
      return [0, 15];
    case 'int2':
      return [-2, 1];
    case 'uint2':
      return [0, 3];
    default:
      return [-Infinity, Infinity];
  }
}
