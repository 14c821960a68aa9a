// GGUF block formats (ggml's quantisation types): element type ids and names, block geometry, and
// a codec per supported block type - decode to float32 and encode from float32 (the encoders make
// test and benchmark checkpoints; they need not pick llama.cpp's exact codes, only its layout).
//   Q8_0: 34 bytes per 32 values: f16 d, 32 int8 q;             x = d·q
//   Q4_0: 18 bytes per 32 values: f16 d, 16 bytes of nibbles;   x = d·(q - 8), byte j holds
//         value j (low nibble) and value j + 16 (high nibble)
//   Q4_K: 144 bytes per 256 values: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8
//         sub-blocks of 32, 128 bytes of nibbles;               x = d·sc·q - dmin·m
//   Q6_K: 210 bytes per 256 values: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16
//         int8 sub-scales (blocks of 16), f16 d;                x = d·sc·(q - 32)

import { f16ToF32, f32ToF16 } from '../../ir/float16.js';

/** A GGUF metadata value as read or written. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export const GGML = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q6_K: 14, BF16: 30 } as const;
export type GgmlBlockType = 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K';

export const TYPE_NAMES: Record<number, string> = {
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
export const BLOCK: Record<number, [bytes: number, values: number]> = {
  0: [4, 1],
  1: [2, 1],
  30: [2, 1],
  8: [34, 32],
  2: [18, 32],
  12: [144, 256],
  14: [210, 256],
};

const half = (b: Uint8Array, o: number) => f16ToF32(b[o]! | (b[o + 1]! << 8));
const putHalf = (b: Uint8Array, o: number, x: number) => {
  const h = f32ToF16(x);
  b[o] = h & 255;
  b[o + 1] = h >> 8;
  return f16ToF32(h);
};

/** Scale and min (6 bits each) of Q4_K sub-block j from the 12 packed bytes at `o`. */
export function q4kScaleMin(b: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [b[o + j]! & 63, b[o + j + 4]! & 63];
  return [(b[o + j + 4]! & 15) | ((b[o + j - 4]! >> 6) << 4), (b[o + j + 4]! >> 4) | ((b[o + j]! >> 6) << 4)];
}

/** Every value of `count` blocks of type `type` as float32. */
export function decodeBlocks(type: number, b: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  if (type === GGML.Q8_0) {
    for (let blk = 0; blk < n / 32; blk++) {
      const o = blk * 34,
        d = half(b, o);
      for (let j = 0; j < 32; j++) out[blk * 32 + j] = ((b[o + 2 + j]! << 24) >> 24) * d;
    }
  } else if (type === GGML.Q4_0) {
    for (let blk = 0; blk < n / 32; blk++) {
      const o = blk * 18,
        d = half(b, o);
      for (let j = 0; j < 16; j++) {
        const byte = b[o + 2 + j]!;
        out[blk * 32 + j] = ((byte & 15) - 8) * d;
        out[blk * 32 + j + 16] = ((byte >> 4) - 8) * d;
      }
    }
  } else if (type === GGML.Q4_K) {
    for (let blk = 0; blk < n / 256; blk++) {
      const o = blk * 144,
        d = half(b, o),
        dmin = half(b, o + 2);
      for (let c = 0; c < 4; c++) {
        const [s1, m1] = q4kScaleMin(b, o + 4, 2 * c),
          [s2, m2] = q4kScaleMin(b, o + 4, 2 * c + 1);
        for (let l = 0; l < 32; l++) {
          const byte = b[o + 16 + 32 * c + l]!;
          out[blk * 256 + 64 * c + l] = d * s1 * (byte & 15) - dmin * m1;
          out[blk * 256 + 64 * c + 32 + l] = d * s2 * (byte >> 4) - dmin * m2;
        }
      }
    }
  } else if (type === GGML.Q6_K) {
    for (let blk = 0; blk < n / 256; blk++) {
      const o = blk * 210,
        d = half(b, o + 208);
      for (let i = 0; i < 256; i++) out[blk * 256 + i] = d * q6kScale(b, o, i) * (q6kCode(b, o, i) - 32);
    }
  } else throw new Error(`GGML type ${TYPE_NAMES[type] ?? type} has no block codec`);
  return out;
}

/** Value i (0..255) of the Q6_K block at `o`: its 6-bit code. */
export function q6kCode(b: Uint8Array, o: number, i: number): number {
  const h = i >> 7,
    r = i & 127,
    quarter = r >> 5,
    l = r & 31;
  const ql = b[o + 64 * h + l + (quarter & 1) * 32]!;
  const low = quarter < 2 ? ql & 15 : ql >> 4;
  const high = (b[o + 128 + 32 * h + l]! >> (2 * quarter)) & 3;
  return low | (high << 4);
}
/** The int8 sub-scale of value i of the Q6_K block at `o` (one per 16 values). */
export function q6kScale(b: Uint8Array, o: number, i: number): number {
  return (b[o + 192 + (i >> 4)]! << 24) >> 24;
}

/** Quantize float32 rows into blocks of `type` (rows must be whole blocks). */
export function encodeBlocks(type: GgmlBlockType, x: Float32Array): Uint8Array {
  const [bytes, per] = BLOCK[GGML[type]]!;
  if (x.length % per) throw new Error(`${type} needs a multiple of ${per} values, got ${x.length}`);
  const out = new Uint8Array((x.length / per) * bytes);
  for (let blk = 0; blk < x.length / per; blk++) {
    const v = x.subarray(blk * per, (blk + 1) * per);
    const o = blk * bytes;
    if (type === 'Q8_0') encodeQ8(v, out, o);
    else if (type === 'Q4_0') encodeQ4(v, out, o);
    else if (type === 'Q4_K') encodeQ4K(v, out, o);
    else encodeQ6K(v, out, o);
  }
  return out;
}

const amaxOf = (v: Float32Array) => v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);

function encodeQ8(v: Float32Array, out: Uint8Array, o: number): void {
  const d = putHalf(out, o, amaxOf(v) / 127);
  for (let j = 0; j < 32; j++)
    out[o + 2 + j] = (d === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(v[j]! / d)))) & 255;
}

function encodeQ4(v: Float32Array, out: Uint8Array, o: number): void {
  // llama.cpp's choice: the value of largest magnitude maps to code 0 (-8), so d carries its sign
  let max = 0;
  for (const x of v) if (Math.abs(x) > Math.abs(max)) max = x;
  const d = putHalf(out, o, max / -8);
  const code = (x: number) => (d === 0 ? 8 : Math.max(0, Math.min(15, Math.round(x / d + 8))));
  for (let j = 0; j < 16; j++) out[o + 2 + j] = code(v[j]!) | (code(v[j + 16]!) << 4);
}

function encodeQ4K(v: Float32Array, out: Uint8Array, o: number): void {
  const scales = new Float32Array(8),
    mins = new Float32Array(8);
  for (let s = 0; s < 8; s++) {
    let lo = 0,
      hi = 0;
    for (let l = 0; l < 32; l++) {
      lo = Math.min(lo, v[32 * s + l]!);
      hi = Math.max(hi, v[32 * s + l]!);
    }
    scales[s] = (hi - lo) / 15;
    mins[s] = -lo;
  }
  const d = putHalf(out, o, Math.max(...scales) / 63),
    dmin = putHalf(out, o + 2, Math.max(...mins) / 63);
  const sc = Array.from(scales, (s) => (d ? Math.min(63, Math.round(s / d)) : 0));
  const mn = Array.from(mins, (m) => (dmin ? Math.min(63, Math.round(m / dmin)) : 0));
  for (let j = 0; j < 4; j++) {
    out[o + 4 + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
    out[o + 8 + j] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
    out[o + 12 + j] = (sc[j + 4]! & 15) | ((mn[j + 4]! & 15) << 4);
  }
  for (let c = 0; c < 4; c++) {
    const code = (s: number, x: number) => {
      const step = d * sc[s]!;
      return step ? Math.max(0, Math.min(15, Math.round((x + dmin * mn[s]!) / step))) : 0;
    };
    for (let l = 0; l < 32; l++)
      out[o + 16 + 32 * c + l] = code(2 * c, v[64 * c + l]!) | (code(2 * c + 1, v[64 * c + 32 + l]!) << 4);
  }
}

function encodeQ6K(v: Float32Array, out: Uint8Array, o: number): void {
  const sub = new Float32Array(16);
  for (let s = 0; s < 16; s++) sub[s] = amaxOf(v.subarray(16 * s, 16 * s + 16)) / 31;
  const d = putHalf(out, o + 208, Math.max(...sub) / 127);
  for (let s = 0; s < 16; s++) out[o + 192 + s] = (d ? Math.min(127, Math.round(sub[s]! / d)) : 0) & 255;
  for (let i = 0; i < 256; i++) {
    const step = d * ((out[o + 192 + (i >> 4)]! << 24) >> 24);
    const q = step ? Math.max(0, Math.min(63, Math.round(v[i]! / step) + 32)) : 32;
    const h = i >> 7,
      r = i & 127,
      quarter = r >> 5,
      l = r & 31;
    const lo = o + 64 * h + l + (quarter & 1) * 32;
    out[lo] = quarter < 2 ? (out[lo]! & 0xf0) | (q & 15) : (out[lo]! & 15) | ((q & 15) << 4);
    const hi = o + 128 + 32 * h + l;
    out[hi] = out[hi]! | ((q >> 4) << (2 * quarter));
  }
}
