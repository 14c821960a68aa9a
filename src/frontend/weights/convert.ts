// Element conversions shared by the weight readers: bf16 and f16 widening, Q8_0 blocks.

import { f16ToF32 } from '../../ir/float16.js';

/** bfloat16 is the top half of a float32: shift the bits up. */
export function bf16ToF32Array(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) u[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
  return out;
}

/** Float16 bit patterns to float32 through a 64 K lookup table (built once). */
let F16_TABLE: Float32Array | undefined;
export function f16ToF32Array(src: Uint16Array): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_TABLE[i] = f16ToF32(i);
  }
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = F16_TABLE[src[i]!]!;
  return out;
}
