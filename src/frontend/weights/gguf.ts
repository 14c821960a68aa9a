// GGUF (llama.cpp's single-file checkpoint, version 2 and 3): a header of typed key/value metadata
// and tensor descriptors, then aligned tensor data. Dims are stored fastest-first (ggml's ne[0]),
// so a row-major shape is the reverse. Supported element types: F32, F16, BF16, Q8_0 (blocks of 32
// int8 with one f16 scale), Q4_0, Q4_K and Q6_K (gguf-blocks.ts); 8-bit blocks can be kept as int8
// with per-block scales instead of being widened (for DequantizeLinear with block_size).

import { f16ToF32 } from '../../ir/float16.js';
import { Tensor } from '../../ir/tensor.js';
import { bf16ToF32Array, f16ToF32Array } from './convert.js';
import { BLOCK, decodeBlocks, GGML, TYPE_NAMES } from './gguf-blocks.js';

export { BLOCK, decodeBlocks, encodeBlocks, GGML, type GgmlBlockType, TYPE_NAMES } from './gguf-blocks.js';
export { type GgufWriteTensor, quantizeQ8_0, writeGguf } from './gguf-write.js';

import type { GgufValue } from './gguf-blocks.js';

export type { GgufValue } from './gguf-blocks.js';

export interface GgufTensorInfo {
  name: string;
  /** Row-major shape (ggml's ne reversed). */
  shape: number[];
  type: number;
  typeName: string;
  /** The tensor's raw bytes inside the file. */
  bytes: Uint8Array;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensorInfo>;
  source: string;
}

class Reader {
  private readonly dv: DataView;
  off = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, what: string) {
    if (this.off + n > this.bytes.length)
      throw new Error(
        `${this.source}: truncated GGUF file while reading ${what} at byte ${this.off} (file is ` +
          `${this.bytes.length} bytes)`,
      );
  }
  u8() {
    this.need(1, 'u8');
    return this.dv.getUint8(this.off++);
  }
  u32() {
    this.need(4, 'u32');
    const v = this.dv.getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  u64(what = 'u64'): number {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.off, true);
    this.off += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${this.source}: ${what} ${v} is too large`);
    return Number(v);
  }
  str(what = 'string'): string {
    const n = this.u64(`${what} length`);
    this.need(n, what);
    const s = new TextDecoder().decode(this.bytes.subarray(this.off, this.off + n));
    this.off += n;
    return s;
  }
  value(type: number, key: string): GgufValue {
    const dv = this.dv;
    const take = (n: number, f: () => GgufValue): GgufValue => {
      this.need(n, `value of '${key}'`);
      const v = f();
      this.off += n;
      return v;
    };
    switch (type) {
      case 0:
        return take(1, () => dv.getUint8(this.off));
      case 1:
        return take(1, () => dv.getInt8(this.off));
      case 2:
        return take(2, () => dv.getUint16(this.off, true));
      case 3:
        return take(2, () => dv.getInt16(this.off, true));
      case 4:
        return take(4, () => dv.getUint32(this.off, true));
      case 5:
        return take(4, () => dv.getInt32(this.off, true));
      case 6:
        return take(4, () => dv.getFloat32(this.off, true));
      case 7:
        return take(1, () => dv.getUint8(this.off) !== 0);
      case 8:
        return this.str(`value of '${key}'`);
      case 9: {
        const et = this.u32();
        const n = this.u64(`array length of '${key}'`);
        if (n > this.bytes.length)
          throw new Error(`${this.source}: array '${key}' claims ${n} elements, more than the file could hold`);
        const out: GgufValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.value(et, key);
        return out;
      }
      case 10:
        return take(8, () => dv.getBigUint64(this.off, true));
      case 11:
        return take(8, () => dv.getBigInt64(this.off, true));
      case 12:
        return take(8, () => dv.getFloat64(this.off, true));
      default:
        throw new Error(`${this.source}: metadata '${key}' has unknown value type ${type}`);
    }
  }
}

export function readGguf(bytes: Uint8Array, source = 'gguf'): GgufFile {
  const r = new Reader(bytes, source);
  const magic = r.u32();
  if (magic !== 0x46554747)
    throw new Error(`${source}: not a GGUF file (magic 0x${magic.toString(16)}, expected 'GGUF')`);
  const version = r.u32();
  if (version < 2 || version > 3) throw new Error(`${source}: GGUF version ${version} is not supported (2 and 3 are)`);
  const nTensors = r.u64('tensor count');
  const nKv = r.u64('metadata count');
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < nKv; i++) {
    const key = r.str('metadata key');
    metadata.set(key, r.value(r.u32(), key));
  }
  const infos: { name: string; shape: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str('tensor name');
    const nd = r.u32();
    if (nd > 8) throw new Error(`${source}: tensor '${name}' has ${nd} dims (at most 8 expected)`);
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) ne.push(r.u64(`dim ${d} of '${name}'`));
    const type = r.u32();
    const offset = r.u64(`offset of '${name}'`);
    infos.push({ name, shape: ne.reverse(), type, offset });
  }
  const align = Number(metadata.get('general.alignment') ?? 32);
  const dataStart = Math.ceil(r.off / align) * align;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    const typeName = TYPE_NAMES[t.type] ?? `type ${t.type}`;
    const block = BLOCK[t.type];
    if (!block)
      throw new Error(
        `${source}: tensor '${t.name}' is ${typeName}, which Switchyard does not decode (F32, F16, BF16, ` +
          `Q8_0, Q4_0, Q4_K, Q6_K are supported)`,
      );
    const n = t.shape.reduce((a, b) => a * b, 1);
    const inner = t.shape[t.shape.length - 1] ?? 1;
    if (inner % block[1] !== 0)
      throw new Error(
        `${source}: tensor '${t.name}' row length ${inner} is not a multiple of the ${typeName} block (${block[1]})`,
      );
    const len = (n / block[1]) * block[0];
    const start = dataStart + t.offset;
    if (start + len > bytes.length)
      throw new Error(
        `${source}: tensor '${t.name}' (${typeName}[${t.shape.join(',')}], ${len} bytes at ${start}) ` +
          `runs past the end of the file (${bytes.length} bytes); truncated?`,
      );
    tensors.set(t.name, {
      name: t.name,
      shape: t.shape,
      type: t.type,
      typeName,
      bytes: bytes.subarray(start, start + len),
    });
  }
  return { version, metadata, tensors, source };
}

/** Widen any supported tensor to float32. */
export function ggufToF32(t: GgufTensorInfo): Tensor {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const b = t.bytes;
  switch (t.type) {
    case GGML.F32: {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(b);
      return new Tensor('float32', out, t.shape);
    }
    case GGML.F16: {
      const u = new Uint16Array(n);
      new Uint8Array(u.buffer).set(b);
      return new Tensor('float32', f16ToF32Array(u), t.shape);
    }
    case GGML.BF16:
      return new Tensor('float32', bf16ToF32Array(b), t.shape);
    case GGML.Q8_0:
    case GGML.Q4_0:
    case GGML.Q4_K:
    case GGML.Q6_K:
      return new Tensor('float32', decodeBlocks(t.type, b, n), t.shape);
  }
  throw new Error(`tensor '${t.name}': cannot widen ${t.typeName}`);
}

/** A Q8_0 tensor as int8 values (same shape) and float32 scales (last dim / 32). */
export function ggufQ8(t: GgufTensorInfo): { values: Tensor; scales: Tensor } {
  if (t.type !== GGML.Q8_0) throw new Error(`tensor '${t.name}' is ${t.typeName}, not Q8_0`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const nb = n / 32;
  const q = new Int8Array(n);
  const s = new Float32Array(nb);
  const b = t.bytes;
  for (let blk = 0; blk < nb; blk++) {
    const o = blk * 34;
    s[blk] = f16ToF32(b[o]! | (b[o + 1]! << 8));
    q.set(new Int8Array(b.buffer, b.byteOffset + o + 2, 32), blk * 32);
  }
  const sShape = [...t.shape];
  sShape[sShape.length - 1] = sShape[sShape.length - 1]! / 32;
  return { values: new Tensor('int8', q, t.shape), scales: new Tensor('float32', s, sShape) };
}
