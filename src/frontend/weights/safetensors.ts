// safetensors (Hugging Face): 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } },
// then the raw little-endian data. Tensors are views into the file bytes where alignment allows.

import type { DType } from '../../ir/dtype.js';
import { dtypeBytes } from '../../ir/dtype.js';
import { numel } from '../../ir/shape.js';
import { Tensor } from '../../ir/tensor.js';
import { bf16ToF32Array } from './convert.js';

const ST_TO_DTYPE: Record<string, DType> = {
  F32: 'float32',
  F16: 'float16',
  F64: 'float64',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
};
const DTYPE_TO_ST: Record<DType, string> = Object.fromEntries(
  Object.entries(ST_TO_DTYPE).map(([k, v]) => [v, k]),
) as Record<DType, string>;

export interface TensorFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
  /** Where the tensors came from, for error messages. */
  source: string;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function readSafetensors(bytes: Uint8Array, source = 'safetensors'): TensorFile {
  if (bytes.length < 8)
    throw new Error(
      `${source}: ${bytes.length} bytes is too short for a safetensors file (8-byte header length missing)`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > MAX_HEADER || 8 + hlen > bytes.length) {
    throw new Error(
      `${source}: header length ${hlen} is past the end of the file (${bytes.length} bytes); not a safetensors file?`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const dataLen = bytes.length - base;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (info ?? {}) as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offs,
    } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const where = `${source}: tensor '${name}'`;
    if (dtype === 'BF16') {
      const [b, e] = offs;
      const n = numel(shape);
      if (e - b !== n * 2)
        throw new Error(`${where}: ${e - b} bytes for BF16${JSON.stringify(shape)} (needs ${n * 2})`);
      tensors.set(name, new Tensor('float32', bf16ToF32Array(bytes.subarray(base + b, base + e)), shape));
      continue;
    }
    const dt = ST_TO_DTYPE[dtype];
    if (!dt) throw new Error(`${where}: unsupported dtype ${dtype}`);
    if (!Array.isArray(shape) || !Array.isArray(offs) || offs.length !== 2)
      throw new Error(`${where}: malformed header entry ${JSON.stringify(info)}`);
    const [b, e] = offs;
    const need = numel(shape) * dtypeBytes(dt);
    if (e - b !== need)
      throw new Error(
        `${where}: data_offsets [${b}, ${e}] hold ${e - b} bytes, but ${dtype}${JSON.stringify(shape)} needs ${need}`,
      );
    if (b < 0 || e > dataLen)
      throw new Error(
        `${where}: data_offsets [${b}, ${e}] are past the end of the data (${dataLen} bytes); truncated file?`,
      );
    tensors.set(name, new Tensor(dt, viewAs(dt, bytes, base + b, need), shape));
  }
  return { tensors, metadata, source };
}

type ArrayCtor = new (b: ArrayBuffer, offset: number, length: number) => Tensor['data'];
const CTORS: Record<Exclude<DType, 'string'>, ArrayCtor> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  bfloat16: Uint16Array,
  float8e4m3fn: Uint8Array,
  float8e4m3fnuz: Uint8Array,
  float8e5m2: Uint8Array,
  float8e5m2fnuz: Uint8Array,
  float8e8m0: Uint8Array,
  // sub-byte types never reach a view: safetensors has no unpacked form of them
  int4: Int8Array,
  uint4: Uint8Array,
  int2: Int8Array,
  uint2: Uint8Array,
  float4e2m1: Uint8Array,
};

/** A typed view of `len` bytes at `off`, copied when the offset is not aligned for the element size. */
export function viewAs(dt: DType, bytes: Uint8Array, off: number, len: number): Tensor['data'] {
  if (dt === 'string') throw new Error('safetensors files hold no string tensors');
  const size = dtypeBytes(dt);
  const start = bytes.byteOffset + off;
  if (start % size === 0) return new CTORS[dt](bytes.buffer as ArrayBuffer, start, len / size);
  return new CTORS[dt](bytes.slice(off, off + len).buffer, 0, len / size);
}

/** Serialize tensors (8-byte aligned data, as the Rust writer does) with optional string metadata. */
export function writeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of entries) {
    const st = DTYPE_TO_ST[t.type];
    if (!st) throw new Error(`tensor '${name}' is ${t.type}, which this safetensors writer does not store`);
    header[name] = { dtype: st, shape: [...t.dims], data_offsets: [off, off + t.byteLength] };
    off += t.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const [, t] of entries) {
    out.set(t.bytes(), p);
    p += t.byteLength;
  }
  return out;
}
