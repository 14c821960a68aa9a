// GGUF block weights repacked, value for value, into MatMulNBits' layout (B [N, K/bs, bs·bits/8]
// codes, low bits first along K; one float scale per block; default zero point 2^(bits-1)), so a
// GGUF matrix runs on the same integer kernels as transformers.js's ONNX weights, never widened:
//   Q8_0 -> 8 bits, blocks of 32: code = q + 128
//   Q4_0 -> 4 bits, blocks of 32: the nibbles reordered (GGUF: byte j holds values j and j + 16;
//           MatMulNBits: values 2j and 2j + 1)
//   Q6_K -> 8 bits, blocks of 16: code = q6 + 96 (so code - 128 = q6 - 32), scale d·sc
// The dequantised values are those of gguf-blocks' decoder (the tests check it). Q4_K's per-block
// minimum would need float zero points and is widened instead.

import { f16ToF32 } from '../../ir/float16.js';
import { Tensor } from '../../ir/tensor.js';
import type { GgufTensorInfo } from './gguf.js';
import { GGML, q6kCode, q6kScale } from './gguf-blocks.js';

export interface NBitsMatrix {
  bits: 4 | 8;
  blockSize: number;
  /** Output features (GGUF rows). */
  N: number;
  /** Input features (GGUF row length). */
  K: number;
  /** uint8 [N, K / blockSize, blockSize · bits / 8] */
  codes: Tensor;
  /** float32 [N · K / blockSize] */
  scales: Tensor;
}

export const nbitsTypes: readonly number[] = [GGML.Q8_0, GGML.Q4_0, GGML.Q6_K];

const half = (b: Uint8Array, o: number) => f16ToF32(b[o]! | (b[o + 1]! << 8));

/** A 2-D Q8_0, Q4_0 or Q6_K GGUF tensor ([out, in]) as MatMulNBits codes and scales. */
export function ggufToNBits(t: GgufTensorInfo): NBitsMatrix {
  if (t.shape.length !== 2) throw new Error(`tensor '${t.name}': MatMulNBits weights must be 2-D, not [${t.shape}]`);
  const [N, K] = t.shape as [number, number];
  const b = t.bytes;
  const make = (bits: 4 | 8, blockSize: number) => {
    const kb = K / blockSize;
    return {
      bits,
      blockSize,
      N,
      K,
      codes: new Tensor('uint8', new Uint8Array((N * K * bits) / 8), [N, kb, (blockSize * bits) / 8]),
      scales: new Tensor('float32', new Float32Array(N * kb), [N * kb]),
    };
  };
  if (t.type === GGML.Q8_0) {
    const m = make(8, 32);
    const codes = m.codes.data as Uint8Array,
      scales = m.scales.data as Float32Array;
    for (let blk = 0; blk < (N * K) / 32; blk++) {
      scales[blk] = half(b, blk * 34);
      for (let j = 0; j < 32; j++) codes[blk * 32 + j] = (b[blk * 34 + 2 + j]! + 128) & 255;
    }
    return m;
  }
  if (t.type === GGML.Q4_0) {
    const m = make(4, 32);
    const codes = m.codes.data as Uint8Array,
      scales = m.scales.data as Float32Array;
    for (let blk = 0; blk < (N * K) / 32; blk++) {
      const o = blk * 18;
      scales[blk] = half(b, o);
      const code = (e: number) => (e < 16 ? b[o + 2 + e]! & 15 : b[o + 2 + e - 16]! >> 4);
      for (let j = 0; j < 16; j++) codes[blk * 16 + j] = code(2 * j) | (code(2 * j + 1) << 4);
    }
    return m;
  }
  if (t.type === GGML.Q6_K) {
    const m = make(8, 16);
    const codes = m.codes.data as Uint8Array,
      scales = m.scales.data as Float32Array;
    for (let sb = 0; sb < (N * K) / 256; sb++) {
      const o = sb * 210,
        d = half(b, o + 208);
      for (let i = 0; i < 256; i++) codes[sb * 256 + i] = q6kCode(b, o, i) + 96;
      for (let s = 0; s < 16; s++) scales[sb * 16 + s] = d * q6kScale(b, o, 16 * s);
    }
    return m;
  }
  throw new Error(`tensor '${t.name}' is ${t.typeName}: only Q8_0, Q4_0 and Q6_K repack into MatMulNBits`);
}
