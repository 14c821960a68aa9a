// Pure helpers of the com.microsoft op families (no op registration), shared by the op files, the
// decompose-contrib pass and the WASM planners: MatMulNBits block geometry and dequantisation,
// RotaryEmbedding's head count, FusedMatMul's operand permutation.

import { AttrReader } from '../ir/attributes.js';
import type { Node, TensorType, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { numGetter } from '../ir/tensor.js';
import { isNum, lastDim } from './contrib-util.js';
import { toF64 } from './math-util.js';

export interface NBitsGeometry {
  K: number;
  N: number;
  bits: number;
  blockSize: number;
  kBlocks: number;
  blobSize: number;
}

export function nbitsGeometry(attrs: { int(n: string, d?: number): number }): NBitsGeometry {
  const K = attrs.int('K'),
    N = attrs.int('N'),
    bits = attrs.int('bits', 4),
    blockSize = attrs.int('block_size');
  if (![2, 4, 8].includes(bits)) throw new Error(`bits=${bits} is not supported (2, 4 or 8)`);
  if (!(blockSize >= 16) || (blockSize & (blockSize - 1)) !== 0)
    throw new Error(`block_size=${blockSize} must be a power of two of at least 16`);
  if (!(K > 0) || !(N > 0)) throw new Error(`K=${K} and N=${N} must be positive`);
  const kBlocks = Math.ceil(K / blockSize);
  return { K, N, bits, blockSize, kBlocks, blobSize: (blockSize * bits) / 8 };
}

/** Code `i` of a low-bits-first packed byte array (bits = 2, 4 or 8). */
export function unpack(bytes: Uint8Array, base: number, i: number, bits: number): number {
  const per = 8 / bits;
  return (bytes[base + Math.floor(i / per)]! >> ((i % per) * bits)) & ((1 << bits) - 1);
}

/** The dense [N, K] float weight of a MatMulNBits node. */
export function dequantizeNBits(g: NBitsGeometry, B: Tensor, scales: Tensor, zp?: Tensor, gIdx?: Tensor): Float64Array {
  const { K, N, bits, blockSize, kBlocks, blobSize } = g;
  const codes = B.data as Uint8Array;
  const sv = toF64(scales);
  const floatZp = zp && zp.type !== 'uint8' ? toF64(zp) : undefined;
  const zpBytes = zp && zp.type === 'uint8' ? (zp.data as Uint8Array) : undefined;
  const zpRow = Math.ceil((kBlocks * bits) / 8);
  const gi = gIdx ? numGetter(gIdx) : undefined;
  const w = new Float64Array(N * K);
  const mid = 1 << (bits - 1);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const blk = gi ? gi(k) : Math.floor(k / blockSize);
      if (!(blk >= 0 && blk < kBlocks)) throw new Error(`g_idx[${k}] = ${blk} is outside 0..${kBlocks - 1}`);
      const q = unpack(codes, n * kBlocks * blobSize, k, bits);
      const s = sv[n * kBlocks + blk]!;
      const z = floatZp ? floatZp[n * kBlocks + blk]! : zpBytes ? unpack(zpBytes, n * zpRow, blk, bits) : mid;
      w[n * K + k] = (q - z) * s;
    }
  }
  return w;
}

/**
 * A MatMulNBits a kernel can run straight from its 4-bit codes: float32, constant B, no g_idx,
 * packed uint8 zero points (or none), blocks of a multiple of 32 codes that tile K exactly.
 */
export function nbits4Direct(n: Node): boolean {
  const [A, B, S, Z, G, bias] = n.inputs;
  const a = new AttrReader(n.attrs, n.describe());
  const K = a.int('K', 0),
    bs = a.int('block_size', 0);
  const f32 = (v: Value | null | undefined) => v?.type?.dtype === 'float32';
  return (
    a.int('bits', 4) === 4 &&
    !G &&
    !!B?.const &&
    f32(A) &&
    f32(S) &&
    (!Z || Z.type?.dtype === 'uint8') &&
    (!bias || f32(bias)) &&
    bs > 0 &&
    bs % 32 === 0 &&
    K % bs === 0
  );
}

/**
 * A MatMulNBits the WASM integer kernel (wasm/nbits.ts) runs: accuracy_level 4 (A may be computed
 * in int8, as ONNX Runtime reads it), constant codes of 4 or 8 bits, blocks tiling K, packed uint8
 * zero points or none.
 */
export function nbitsIntDirect(n: Node): boolean {
  const [A, B, S, Z, G, bias] = n.inputs;
  const a = new AttrReader(n.attrs, n.describe());
  const bits = a.int('bits', 4),
    bs = a.int('block_size', 0),
    K = a.int('K', 0);
  const blockOk = bits === 4 ? bs % 32 === 0 : bits === 8 && bs % 16 === 0;
  return (
    a.int('accuracy_level', 0) === 4 &&
    blockOk &&
    bs > 0 &&
    K % bs === 0 &&
    !G &&
    !!B?.const &&
    A?.type?.dtype === 'float32' &&
    S?.type?.dtype === 'float32' &&
    (!Z || Z.type?.dtype === 'uint8') &&
    (!bias || bias.type?.dtype === 'float32')
  );
}

/** num_heads for the ONNX op: the attribute, or hidden / (2 · cache width) for 3-D input. */
export function rotaryHeads(x: TensorType, cos: TensorType, attrHeads: number, rotDim: number): number | undefined {
  if (attrHeads > 0) return attrHeads;
  if (rotDim > 0 && x.shape?.length === 3) throw new Error('rotary_embedding_dim needs num_heads for 3-D input');
  const hidden = lastDim(x.shape),
    half = lastDim(cos.shape);
  if (x.shape?.length === 4) return isNum(x.shape[1]) ? x.shape[1] : undefined;
  if (isNum(hidden) && isNum(half)) {
    if (hidden % (2 * half) !== 0)
      throw new Error(
        `input hidden size ${hidden} is not a multiple of the head size 2·${half} (cos_cache width ${half})`,
      );
    return hidden / (2 * half);
  }
  return undefined;
}

/** Permutation FusedMatMul applies to an operand of rank r before the matmul. */
export function fusedPerm(r: number, transBatch: boolean, trans: boolean): number[] {
  let perm = [...Array(r).keys()];
  if (r < 2) return perm;
  if (transBatch && r > 2) perm = [...perm.slice(1, r - 1), 0, r - 1];
  if (trans) [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return perm;
}
