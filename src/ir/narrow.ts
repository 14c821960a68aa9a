// Element codecs of the narrow types: how a stored element (a bit pattern, or one sub-byte integer
// per byte) reads as a number and how a number is stored; and ONNX's packing of the sub-byte
// types (2 or 4 elements per byte, the first in the low bits), used by import and export only.

import { type DType, dtypePackedBits, type TypedArray } from './dtype.js';
import {
  bf16ToF32,
  type E8M0Rounding,
  e8m0ToF32,
  f32ToBf16,
  f32ToE8m0,
  type MiniFloatName,
  miniDecoder,
  miniEncode,
} from './minifloat.js';

const MINI: readonly DType[] = ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1'];

/** Reader of a narrow float's bit pattern; undefined for types whose stored value is the value. */
export function narrowDecoder(d: DType): ((bits: number) => number) | undefined {
  if (d === 'bfloat16') return bf16ToF32;
  if (d === 'float8e8m0') return e8m0ToF32;
  if (MINI.includes(d)) {
    const table = miniDecoder(d as MiniFloatName);
    return (b) => table[b & 0xff]!;
  }
  return undefined;
}

export interface NarrowCastOptions {
  saturate?: boolean;
  round?: E8M0Rounding;
}

/**
 * Writer of a number into a narrow type's storage: narrow floats round to nearest even (and
 * saturate unless told not to); sub-byte integers truncate toward zero and wrap like int8 does.
 * Undefined for the other types.
 */
export function narrowEncoder(d: DType, opts: NarrowCastOptions = {}): ((v: number) => number) | undefined {
  const saturate = opts.saturate ?? true;
  switch (d) {
    case 'bfloat16':
      return f32ToBf16;
    case 'float8e8m0': {
      const round = opts.round ?? 'up';
      return (v) => f32ToE8m0(v, saturate, round);
    }
    case 'int4':
      return (v) => (Math.trunc(v) << 28) >> 28;
    case 'uint4':
      return (v) => Math.trunc(v) & 0xf;
    case 'int2':
      return (v) => (Math.trunc(v) << 30) >> 30;
    case 'uint2':
      return (v) => Math.trunc(v) & 0x3;
    default:
      if (MINI.includes(d)) return (v) => miniEncode(d as MiniFloatName, v, saturate);
      return undefined;
  }
}

/** Bytes of `n` elements of `d` in ONNX's packed form. */
export function packedByteLength(d: DType, n: number): number {
  return Math.ceil((n * dtypePackedBits(d)) / 8);
}

/** ONNX packed bytes → one element per byte (sign-extended for the signed types). */
export function unpackSubByte(d: DType, packed: Uint8Array, n: number, out: TypedArray): void {
  const bits = dtypePackedBits(d);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const signed = d === 'int4' || d === 'int2';
  const shift = 32 - bits;
  const o = out as Uint8Array | Int8Array;
  for (let i = 0; i < n; i++) {
    const v = (packed[Math.floor(i / per)]! >> ((i % per) * bits)) & mask;
    o[i] = signed ? (v << shift) >> shift : v;
  }
}

/** One element per byte → ONNX packed bytes (the unused high bits of the last byte are zero). */
export function packSubByte(d: DType, data: TypedArray): Uint8Array {
  const bits = dtypePackedBits(d);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(packedByteLength(d, data.length));
  for (let i = 0; i < data.length; i++) {
    const k = Math.floor(i / per);
    out[k] = out[k]! | (((data[i] as number) & mask) << ((i % per) * bits));
  }
  return out;
}

export const isSubByte = (d: DType): boolean => dtypePackedBits(d) < 8;
