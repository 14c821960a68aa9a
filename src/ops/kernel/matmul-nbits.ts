// k.matmul_nbits: MatMulNBits as GPU kernels read it. B holds the same 4- or 8-bit codes as
// ms.MatMulNBits (low bits first along K, blocks of block_size codes per output row), but as
// uint32 words [N, k_blocks · blob_size / 4] (the bytes reinterpreted, little-endian: nothing
// widened); zero points, when any, are unpacked to one float per block [N · k_blocks] (default
// 2^(bits-1)). Y = A · dequant(B)ᵀ (+ bias), with A [..., K] float32. The pack-nbits pass makes
// it from ms.MatMulNBits with constant codes. Decode-step fusions (the LLM step graph emits them
// on WebGPU): `norm_scale` RMS-normalises A's rows first; B2/scales2 (a second matrix of B's shape)
// make it gated, Y = act(A·B) * (A·B2) with act 'silu' or 'gelu_tanh'; `residual` is added last.

import '../contrib-quant.js';
import type { Attr } from '../../ir/attributes.js';
import { type OpDef, registerOps } from '../../ir/op-def.js';
import { Tensor } from '../../ir/tensor.js';
import { dequantizeNBits, nbitsGeometry } from '../contrib-math.js';
import { evalAs } from './delegate.js';

const wordsOf = new WeakMap<Tensor, Tensor>();

/**
 * uint8 codes [N, kb, blob] as the uint32 words k.matmul_nbits reads (blob a multiple of 4 bytes),
 * made once per codes tensor so every graph of a model shares one GPU copy.
 */
export function codesToWords(codes: Tensor, N: number): Tensor {
  let w = wordsOf.get(codes);
  if (w) return w;
  const u8 = codes.data as Uint8Array;
  if (u8.byteLength % (4 * N)) throw new Error(`MatMulNBits codes of ${u8.byteLength} bytes do not split into words`);
  const words = new Uint32Array(u8.byteLength / 4);
  new Uint8Array(words.buffer).set(u8); // little-endian hosts (every WebGPU platform)
  w = new Tensor('uint32', words, [N, words.length / N]);
  wordsOf.set(codes, w);
  return w;
}

/** A · dequant(B)ᵀ in float64, rounded once: [M, N]. */
function product(
  a: Float32Array,
  M: number,
  B: Tensor,
  S: Tensor,
  Z: Tensor | undefined,
  attrs: Parameters<typeof nbitsGeometry>[0],
) {
  const g = nbitsGeometry(attrs);
  const words = B.data as Uint32Array;
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const w = dequantizeNBits(g, new Tensor('uint8', Uint8Array.from(bytes), [g.N, g.kBlocks, g.blobSize]), S, Z);
  const y = new Float64Array(M * g.N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < g.N; n++) {
      let s = 0;
      for (let k = 0; k < g.K; k++) s += a[m * g.K + k]! * w[n * g.K + k]!;
      y[m * g.N + n] = s;
    }
  }
  return y;
}

const kmatmulNbits: OpDef = {
  name: 'k.matmul_nbits',
  inputs: ['A', 'B', 'scales', 'zero_points?', 'bias?', 'residual?', 'norm_scale?', 'B2?', 'scales2?', 'zero_points2?'],
  outputs: ['Y'],
  attrs: {
    K: { kind: 'int', required: true },
    N: { kind: 'int', required: true },
    bits: { kind: 'int', default: 4 },
    block_size: { kind: 'int', required: true },
    epsilon: { kind: 'float', default: 1e-5 },
    act: { kind: 'string', default: 'silu' },
  },
  infer(ctx) {
    const g = nbitsGeometry(ctx.attrs);
    const a = ctx.types[0],
      b = ctx.types[1];
    if (!a || !b || !ctx.types[2]) throw new Error('A, B and scales are required');
    if (a.dtype !== 'float32') throw new Error(`k.matmul_nbits takes float32 A, got ${a.dtype}`);
    if (b.dtype !== 'uint32') throw new Error(`k.matmul_nbits takes B as uint32 words, got ${b.dtype}`);
    if (g.K % g.blockSize || g.blobSize % 4)
      throw new Error(`K=${g.K} must be whole blocks of ${g.blockSize} codes of whole words`);
    const words = (g.kBlocks * g.blobSize) / 4;
    if (b.shape && (b.shape[0] !== g.N || b.shape[1] !== words))
      throw new Error(`B must be [N, k_blocks·blob_size/4] = [${g.N}, ${words}], got [${b.shape.join(', ')}]`);
    if (!a.shape) return [{ dtype: 'float32' }];
    if (a.shape[a.shape.length - 1] !== g.K) throw new Error(`A's last dim must be K = ${g.K}`);
    return [{ dtype: 'float32', shape: [...a.shape.slice(0, -1), g.N] }];
  },
  run({ inputs, attrs }) {
    const [A, B, S, Z, bias, residual, normScale, B2, S2, Z2] = inputs as (Tensor | undefined)[];
    const g = nbitsGeometry(attrs);
    let x = A!;
    if (normScale) {
      const normAttrs: Record<string, Attr> = {
        axis: { kind: 'int', value: x.dims.length - 1 },
        epsilon: { kind: 'float', value: attrs.float('epsilon', 1e-5) },
        rms: { kind: 'int', value: 1 },
      };
      [x] = evalAs('k.layernorm', [x, normScale], normAttrs);
    }
    const a = x!.data as Float32Array;
    const M = a.length / g.K;
    const y1 = product(a, M, B!, S!, Z, attrs);
    const y2 = B2 ? product(a, M, B2, S2!, Z2, attrs) : undefined;
    const bv = bias?.data as Float32Array | undefined;
    const rv = residual?.data as Float32Array | undefined;
    const act = attrs.string('act', 'silu');
    const out = new Float32Array(M * g.N);
    for (let i = 0; i < out.length; i++) {
      let v = Math.fround(y1[i]! + (bv ? bv[i % g.N]! : 0));
      if (y2) {
        const u = Math.fround(y2[i]!);
        const gate =
          act === 'gelu_tanh'
            ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
            : v / (1 + Math.exp(-v));
        v = Math.fround(gate) * u;
      }
      out[i] = v + (rv ? rv[i]! : 0);
    }
    return [new Tensor('float32', out, [...A!.dims.slice(0, -1), g.N])];
  },
  cost(ctx) {
    const g = nbitsGeometry(ctx.attrs);
    const a = ctx.types[0]?.shape;
    const M = a?.every((d) => typeof d === 'number') ? (a as number[]).reduce((p, q) => p * q, 1) / g.K : 1;
    return { flops: 2 * M * g.K * g.N, bytes: (g.N * g.K * g.bits) / 8 + 4 * (M * (g.K + g.N) + g.N * g.kBlocks) };
  },
};

registerOps([kmatmulNbits]);
