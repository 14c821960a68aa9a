// GPU-resident tensors: a dtype and dims over a refcounted Storage (one buffer, or several parts
// when the tensor is larger than a binding may be), plus the host copy where one exists. Views
// (reshape, squeeze) share a Storage. Conversions between the IR's host arrays and GPU storage
// (narrow integers widened to 32 bits, float16 widened to f32 unless f16 kernels are on, int64
// narrowed to i32 with a range check) live here.

import type { DType } from '../../ir/dtype.js';
import { f16ToF32, f32ToF16 } from '../../ir/float16.js';
import { Tensor } from '../../ir/tensor.js';
import type { DeviceTensor } from '../device.js';
import { type Layout, partsOf, wBytes } from './wgsl.js';

export class Storage {
  refs = 1;
  constructor(
    readonly buffers: GPUBuffer[],
    readonly layout: Layout,
    readonly epoch: number,
  ) {}
}

export class GpuTensor implements DeviceTensor {
  constructor(
    readonly type: DType,
    readonly dims: readonly number[],
    public storage: Storage | undefined,
    /** Host values: set for uploads (so a lost device can re-upload) and host-computed results. */
    public host?: Tensor,
    /** Name of the value, for errors. */
    public name = '',
  ) {}

  get numel(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }
}

/** Byte size of part p of a layout (at least 16, a multiple of 4). */
export function partBytes(l: Layout, p: number): number {
  const n = Math.min(l.partElems, Math.max(0, l.numel - p * l.partElems));
  return Math.max(16, Math.ceil((n * wBytes(l.wtype)) / 4) * 4);
}

export { partsOf };

/** Host values in the GPU storage element type, as one array (split into parts by the caller). */
export function toStorageArray(
  t: Tensor,
  l: Layout,
  name: string,
): Float32Array | Int32Array | Uint32Array | Uint16Array {
  const d = t.data;
  switch (l.wtype) {
    case 'f16':
      return d as Uint16Array;
    case 'f32': {
      if (t.type === 'float32') return d as Float32Array;
      const out = new Float32Array(t.size);
      const u = d as Uint16Array;
      for (let i = 0; i < out.length; i++) out[i] = f16ToF32(u[i]!);
      return out;
    }
    case 'i32': {
      if (d instanceof Int32Array) return d;
      if (d instanceof BigInt64Array) {
        const out = new Int32Array(d.length);
        for (let i = 0; i < d.length; i++) {
          const v = d[i]!;
          if (v > 2147483647n || v < -2147483648n) {
            throw new Error(
              `tensor '${name}' (int64, ${d.length} elements) holds ${v} at index ${i}: the WebGPU backend keeps ` +
                `int64 indices as 32-bit integers (range ±2^31)`,
            );
          }
          out[i] = Number(v);
        }
        return out;
      }
      return Int32Array.from(d as Int8Array | Int16Array);
    }
    case 'u32': {
      if (d instanceof Uint32Array) return d;
      return Uint32Array.from(d as Uint8Array | Uint16Array);
    }
  }
}

/** Build a host tensor of `type` from the raw bytes of GPU storage (all parts concatenated). */
export function fromStorageBytes(type: DType, dims: readonly number[], l: Layout, bytes: Uint8Array): Tensor {
  const n = l.numel;
  // own the buffer without copying when the bytes start it (the usual readback)
  const ab =
    bytes.byteOffset === 0
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  switch (l.wtype) {
    case 'f16':
      return new Tensor(type, new Uint16Array(ab, 0, n), dims);
    case 'f32': {
      const f = new Float32Array(ab, 0, n);
      if (type === 'float32') return new Tensor(type, f, dims);
      const u = new Uint16Array(n);
      for (let i = 0; i < n; i++) u[i] = f32ToF16(f[i]!);
      return new Tensor(type, u, dims);
    }
    case 'i32': {
      const s = new Int32Array(ab, 0, n);
      switch (type) {
        case 'int32':
          return new Tensor(type, s, dims);
        case 'int8':
          return new Tensor(type, Int8Array.from(s), dims);
        case 'int16':
          return new Tensor(type, Int16Array.from(s), dims);
        case 'int64':
          return new Tensor(
            type,
            BigInt64Array.from(s, (v) => BigInt(v)),
            dims,
          );
        default:
          throw new Error(`no host form of ${type} from i32 storage`);
      }
    }
    case 'u32': {
      const s = new Uint32Array(ab, 0, n);
      switch (type) {
        case 'uint32':
          return new Tensor(type, s, dims);
        case 'uint8':
        case 'bool':
          return new Tensor(type, Uint8Array.from(s), dims);
        case 'uint16':
          return new Tensor(type, Uint16Array.from(s), dims);
        default:
          throw new Error(`no host form of ${type} from u32 storage`);
      }
    }
  }
}
