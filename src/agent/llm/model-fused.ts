// The step graph's attention projections for devices with the k.decode_qkv kernel (WebGPU): Q, K
// and V weights packed into one matrix (made once per layer, shared by every graph of the model),
// so prefill runs one matmul and a Split, and decode one k.decode_qkv node that normalises the
// row, multiplies, applies RoPE and writes the new K/V rows into the cache in place. With 4-/8-bit
// MatMulNBits weights the codes are packed the same way (rows concatenated), and the rest of a
// decode layer becomes three k.matmul_nbits kernels: O-proj + residual, RMSNorm + gate/up + SiLU,
// down + residual (the float path gets those from the fusion passes).

import '../../ops/kernel/decode-qkv.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { codesToWords } from '../../ops/kernel/matmul-nbits.js';
import type { LlmConfig } from './config.js';
import type { Builder } from './model-builder.js';
import { isQ8, type LayerWeights, type Linear, type Q8Weight } from './weights.js';

const nbitsOf = (l: Linear): Q8Weight | undefined =>
  isQ8(l.w) && l.w.kind === 'nbits' && l.w.nbits && (l.w.nbits.bits === 4 || l.w.nbits.bits === 8) ? l.w : undefined;

/** Whether a layer's projections are all MatMulNBits of one geometry (4 or 8 bits). */
function sameNbits(ls: Linear[]): boolean {
  const ws = ls.map(nbitsOf);
  const g = ws[0]?.nbits;
  return !!g && ws.every((w) => w?.nbits?.bits === g.bits && w.nbits.blockSize === g.blockSize && w.nbits.K === g.K);
}

/**
 * Whether a layer's projections can be packed: float weights, or 4-/8-bit MatMulNBits of one
 * geometry under an RMSNorm (the quantized kernel's prologue); no per-head q/k norm.
 */
export function packable(l: LayerWeights, c: LlmConfig): boolean {
  if (l.qNorm || l.kNorm) return false;
  if (!isQ8(l.q.w) && !isQ8(l.k.w) && !isQ8(l.v.w)) return true;
  return c.arch !== 'gpt2' && sameNbits([l.q, l.k, l.v]);
}

/** Whether the rest of a quantized decode layer runs as the three fused k.matmul_nbits kernels. */
export function nbitsTail(l: LayerWeights, c: LlmConfig): boolean {
  const acts = ['silu', 'gelu_tanh', undefined];
  return (
    c.arch !== 'gpt2' &&
    !!l.gate &&
    !l.postAttnNorm &&
    !l.postFfnNorm &&
    acts.includes(c.hiddenAct) &&
    sameNbits([l.o]) &&
    sameNbits([l.gate, l.up]) &&
    sameNbits([l.down]) &&
    !l.gate.b &&
    !l.up.b
  );
}

const packed = new WeakMap<LayerWeights, Linear>();

/**
 * Float: [K, Nq + 2·Nkv], the columns of Q, then K, then V (biases too, zeros where one lacks it).
 * MatMulNBits: the code rows of Q, K, V one after another [Nq + 2·Nkv, k_blocks, blob] and their scales.
 */
export function packedQkv(l: LayerWeights): Linear {
  let p = packed.get(l);
  if (p) return p;
  const parts = [l.q, l.k, l.v];
  const quant = parts.map(nbitsOf);
  const widths = quant[0] ? quant.map((w) => w!.nbits!.N) : parts.map((x) => (x.w as Tensor).dims[1]!);
  const N = widths.reduce((a, b) => a + b, 0);
  let b: Tensor | undefined;
  if (parts.some((x) => x.b)) {
    const bias = new Float32Array(N);
    let at = 0;
    parts.forEach((x, j) => {
      if (x.b) bias.set(x.b.data as Float32Array, at);
      at += widths[j]!;
    });
    b = new Tensor('float32', bias, [N]);
  }
  if (quant[0]) {
    const g = quant[0].nbits!;
    const codes = concatRows(quant.map((w) => w!.values.data as Uint8Array));
    const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    const scales = new Float32Array(concatRows(quant.map((w) => bytesOf(w!.scales.data as Float32Array))).buffer);
    const kb = g.K / g.blockSize;
    const w: Q8Weight = {
      kind: 'nbits',
      values: new Tensor('uint8', codes, [N, kb, (g.blockSize * g.bits) / 8]),
      scales: new Tensor('float32', scales, [N * kb]),
      nbits: { ...g, N },
    };
    p = { w, b };
  } else {
    const ws = parts.map((x) => x.w as Tensor);
    const K = ws[0]!.dims[0]!;
    const out = new Float32Array(K * N);
    for (let r = 0; r < K; r++) {
      let at = r * N;
      ws.forEach((w, j) => {
        out.set((w.data as Float32Array).subarray(r * widths[j]!, (r + 1) * widths[j]!), at);
        at += widths[j]!;
      });
    }
    p = { w: new Tensor('float32', out, [K, N]), b };
  }
  packed.set(l, p);
  return p;
}

function concatRows(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, x) => a + x.byteLength, 0));
  let at = 0;
  for (const x of parts) {
    out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), at);
    at += x.byteLength;
  }
  return out;
}

/** Prefill (n rows): one matmul with the packed weights, split into the three [1, heads, n, D] parts. */
export function packedProjections(b: Builder, h: Value, l: LayerWeights, n: number, i: number): [Value, Value, Value] {
  const c = b.c,
    g = b.g;
  const y = b.linear(h, packedQkv(l), `layers.${i}.attn.qkv`);
  const widths = [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.numKvHeads * c.headDim];
  const [q, k, v] = g.opN('Split', [y, b.i64(widths)], { axis: 2 }, 3) as [Value, Value, Value];
  return [b.heads(q, n, c.numHeads), b.heads(k, n, c.numKvHeads), b.heads(v, n, c.numKvHeads)];
}

/**
 * Decode (one row): k.decode_qkv over the un-normalised residual `x`: the rotated Q [1, Hq, 1, D]
 * and the cache with this position's K/V rows written.
 */
export function fusedDecodeQkv(
  b: Builder,
  x: Value,
  l: LayerWeights,
  i: number,
  pos: Value,
  past: [Value, Value],
  rope: { cos: Value; sin: Value } | undefined,
): [Value, Value, Value] {
  const c = b.c,
    g = b.g;
  const p = packedQkv(l);
  const q = nbitsOf(p);
  const norm = l.attnNorm;
  const gpt2 = c.arch === 'gpt2';
  const ins = [
    x,
    q
      ? b.k(codesToWords(q.values, q.nbits!.N), `layers.${i}.attn.qkv.words`)
      : b.k(p.w as Tensor, `layers.${i}.attn.qkv.weight`),
    b.k(norm.w, `layers.${i}.attn_norm.weight`),
    gpt2 && norm.b ? b.k(norm.b, `layers.${i}.attn_norm.bias`) : null,
    p.b ? b.k(p.b, `layers.${i}.attn.qkv.bias`) : null,
    pos,
    past[0],
    past[1],
    rope ? rope.cos : null,
    rope ? rope.sin : null,
    q ? b.k(q.scales, `layers.${i}.attn.qkv.scales`) : null,
    null,
  ];
  const attrs = {
    q_num_heads: c.numHeads,
    kv_num_heads: c.numKvHeads,
    head_size: c.headDim,
    epsilon: c.normEps,
    rms: gpt2 ? 0 : 1,
    interleaved: c.ropeInterleaved ? 1 : 0,
    ...(q ? { bits: q.nbits!.bits, block_size: q.nbits!.blockSize } : {}),
  };
  return g.opN('k.decode_qkv', ins, attrs, 3, `layers.${i}.attn.qkv_rope_cache`) as [Value, Value, Value];
}

/** One quantized decode matvec: optional RMSNorm prologue, gated second matrix, residual. */
function nbitsMatvec(
  b: Builder,
  a: Value,
  l: Linear,
  name: string,
  o: { residual?: Value; norm?: Tensor; second?: Linear } = {},
): Value {
  const w = nbitsOf(l)!,
    g = w.nbits!;
  const w2 = o.second ? nbitsOf(o.second)! : undefined;
  const ins = [
    a,
    b.k(codesToWords(w.values, g.N), `${name}.words`),
    b.k(w.scales, `${name}.scales`),
    null,
    l.b ? b.k(l.b, `${name}.bias`) : null,
    o.residual ?? null,
    o.norm ? b.k(o.norm, `${name}.norm.weight`) : null,
    w2 ? b.k(codesToWords(w2.values, g.N), `${name}.up.words`) : null,
    w2 ? b.k(w2.scales, `${name}.up.scales`) : null,
    null,
  ];
  const attrs = {
    K: g.K,
    N: g.N,
    bits: g.bits,
    block_size: g.blockSize,
    epsilon: b.c.normEps,
    act: b.c.hiddenAct === 'gelu_tanh' ? 'gelu_tanh' : 'silu',
  };
  return b.g.op('k.matmul_nbits', ins, attrs, name);
}

/** A quantized decode layer after attention: O + residual, RMSNorm + gate/up + act, down + residual. */
export function nbitsDecodeTail(b: Builder, x: Value, attn: Value, l: LayerWeights, i: number): Value {
  x = nbitsMatvec(b, b.merge(attn, 1), l.o, `layers.${i}.attn.o`, { residual: x });
  const h = nbitsMatvec(b, x, l.gate!, `layers.${i}.mlp.gate_up`, { norm: l.ffnNorm.w, second: l.up });
  return nbitsMatvec(b, h, l.down, `layers.${i}.mlp.down`, { residual: x });
}
