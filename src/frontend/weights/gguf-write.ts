// GGUF writer: tests, examples and benchmarks make their own checkpoints (float32 tensors written
// as F32, F16 or one of the block types of gguf-blocks.ts).

import { f32ToF16 } from '../../ir/float16.js';
import type { Tensor } from '../../ir/tensor.js';
import { encodeBlocks, GGML, type GgmlBlockType, type GgufValue } from './gguf-blocks.js';

export interface GgufWriteTensor {
  name: string;
  tensor: Tensor;
  type?: 'F32' | 'F16' | GgmlBlockType;
}

/** Quantize float32 rows into Q8_0 blocks: scale = max|x| / 127, q = round(x / scale). */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  return encodeBlocks('Q8_0', x);
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
    } else blob = encodeBlocks(type, f);
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
