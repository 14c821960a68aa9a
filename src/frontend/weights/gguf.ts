// GGUF (llama.cpp's single-file checkpoint, version 2 and 3): a header of typed key/value metadata
// and tensor descriptors, then aligned tensor data. Dims are stored fastest-first (ggml's ne[0]),
// so a row-major shape is the reverse. Supported element types: F32, F16, BF16, Q8_0 (blocks of 32
// int8 with one f16 scale) and Q4_0 (blocks of 32 4-bit values); 8-bit blocks can be kept as int8
// with per-block scales instead of being widened (for DequantizeLinear with block_size).

import { f16ToF32, f32ToF16 } from '../../ir/float16.js';
import { Tensor } from '../../ir/tensor.js';
import { bf16ToF32Array, f16ToF32Array } from './convert.js';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;
const TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  30: 'BF16',
};
/** Bytes per block and values per block of the types this reader decodes. */
const BLOCK: Record<number, [bytes: number, values: number]> = {
  0: [4, 1],
  1: [2, 1],
  30: [2, 1],
  8: [34, 32],
  2: [18, 32],
};

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
          `Q8_0, Q4_0 are supported)`,
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
    case GGML.Q8_0: {
      const { values, scales } = ggufQ8(t);
      const q = values.data as Int8Array,
        s = scales.data as Float32Array;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = q[i]! * s[i >> 5]!;
      return new Tensor('float32', out, t.shape);
    }
    case GGML.Q4_0: {
      const out = new Float32Array(n);
      for (let blk = 0; blk < n / 32; blk++) {
        const o = blk * 18;
        const d = f16ToF32(b[o]! | (b[o + 1]! << 8));
        for (let j = 0; j < 16; j++) {
          const byte = b[o + 2 + j]!;
          out[blk * 32 + j] = ((byte & 15) - 8) * d;
          out[blk * 32 + j + 16] = ((byte >> 4) - 8) * d;
        }
      }
      return new Tensor('float32', out, t.shape);
    }
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

// ---------------------------------------------------------------------------------------------
// Writer (tests and examples make their own checkpoints)

export interface GgufWriteTensor {
  name: string;
  tensor: Tensor;
  type?: 'F32' | 'F16' | 'Q8_0';
}

/** Quantize float32 rows into Q8_0 blocks: scale = max|x| / 127, q = round(x / scale). */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % 32) throw new Error(`Q8_0 needs a multiple of 32 values, got ${x.length}`);
  const out = new Uint8Array((x.length / 32) * 34);
  for (let blk = 0; blk < x.length / 32; blk++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]!));
    const d = amax / 127;
    const h = f32ToF16(d);
    const dq = f16ToF32(h);
    const o = blk * 34;
    out[o] = h & 255;
    out[o + 1] = h >> 8;
    for (let j = 0; j < 32; j++) {
      const q = dq === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(x[blk * 32 + j]! / dq)));
      out[o + 2 + j] = q & 255;
    }
  }
  return out;
}

export function writeGguf(
  metadata: Record<string, GgufValue | { type: 'f32' | 'u32' | 'i32' | 'u64'; value: number }>,
  tensors: GgufWriteTensor[],
  alignment = 32,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  const num = (size: number, f: (dv: DataView) => void) => {
    const b = new Uint8Array(size);
    f(new DataView(b.buffer));
    parts.push(b);
  };
  const u32 = (v: number) => num(4, (d) => d.setUint32(0, v, true));
  const u64 = (v: number | bigint) => num(8, (d) => d.setBigUint64(0, BigInt(v), true));
  const str = (s: string) => {
    const b = enc.encode(s);
    u64(b.length);
    parts.push(b);
  };
  const value = (v: GgufValue | { type: string; value: number }): void => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const t = v.type;
      if (t === 'f32') {
        u32(6);
        num(4, (d) => d.setFloat32(0, v.value, true));
      } else if (t === 'i32') {
        u32(5);
        num(4, (d) => d.setInt32(0, v.value, true));
      } else if (t === 'u64') {
        u32(10);
        u64(v.value);
      } else {
        u32(4);
        u32(v.value);
      }
      return;
    }
    if (typeof v === 'string') {
      u32(8);
      str(v);
      return;
    }
    if (typeof v === 'boolean') {
      u32(7);
      num(1, (d) => d.setUint8(0, v ? 1 : 0));
      return;
    }
    if (typeof v === 'bigint') {
      u32(11);
      num(8, (d) => d.setBigInt64(0, v, true));
      return;
    }
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
        u32(4);
        u32(v);
      } else {
        u32(6);
        num(4, (d) => d.setFloat32(0, v, true));
      }
      return;
    }
    // arrays: element type from the first element (strings, u32 ints or f32)
    u32(9);
    const first = v[0];
    if (typeof first === 'string') {
      u32(8);
      u64(v.length);
      for (const s of v) str(s as string);
    } else if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      u32(5);
      u64(v.length);
      for (const x of v) num(4, (d) => d.setInt32(0, x as number, true));
    } else {
      u32(6);
      u64(v.length);
      for (const x of v) num(4, (d) => d.setFloat32(0, x as number, true));
    }
  };
  const meta = { ...metadata, 'general.alignment': alignment };
  parts.push(enc.encode('GGUF'));
  u32(3);
  u64(tensors.length);
  u64(Object.keys(meta).length);
  for (const [k, v] of Object.entries(meta)) {
    str(k);
    value(v);
  }
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const { name, tensor, type = 'F32' } of tensors) {
    if (tensor.type !== 'float32')
      throw new Error(`writeGguf: tensor '${name}' must be float32 (it is converted to ${type})`);
    const f = tensor.data as Float32Array;
    let blob: Uint8Array;
    if (type === 'F32') blob = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    else if (type === 'F16') {
      const h = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) h[i] = f32ToF16(f[i]!);
      blob = new Uint8Array(h.buffer);
    } else blob = quantizeQ8_0(f);
    str(name);
    u32(tensor.dims.length);
    for (const d of [...tensor.dims].reverse()) u64(d);
    u32(GGML[type]);
    u64(off);
    blobs.push(blob);
    const padded = Math.ceil(blob.length / alignment) * alignment;
    if (padded > blob.length) blobs.push(new Uint8Array(padded - blob.length));
    off += padded;
  }
  const headLen = parts.reduce((a, b) => a + b.length, 0);
  const headPad = Math.ceil(headLen / alignment) * alignment - headLen;
  const out = new Uint8Array(headLen + headPad + off);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  p += headPad;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
