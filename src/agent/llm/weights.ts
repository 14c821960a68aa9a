// Checkpoint tensors -> the canonical weights the graph builder uses. Linear weights become
// [in, out] (MatMul(x, W)); Hugging Face Linear stores [out, in], GPT-2's Conv1D [in, out], GGUF
// [out, in] rows. Every tensor is checked against the shape the config implies, and a missing or
// mis-shaped one is named with the checkpoint it should have come from.

import { f16ToF32Array } from '../../frontend/weights/convert.js';
import type { GgufFile, GgufTensorInfo } from '../../frontend/weights/gguf.js';
import { GGML, ggufQ8, ggufToF32 } from '../../frontend/weights/gguf.js';
import { ggufToNBits, nbitsTypes } from '../../frontend/weights/gguf-nbits.js';
import { Tensor } from '../../ir/tensor.js';
import type { LlmConfig } from './config.js';

/**
 * A block-quantized weight. 'q8': int8 values [in, out] with one float scale per block of 32 along
 * `in` (DequantizeLinear). 'nbits': MatMulNBits codes [out, in/bs, bs·bits/8] and scales, GGUF
 * blocks repacked unwidened (gguf-nbits.ts), run by the integer kernels.
 */
export interface Q8Weight {
  kind: 'q8' | 'nbits';
  values: Tensor;
  scales: Tensor;
  nbits?: { bits: number; blockSize: number; K: number; N: number };
}
export type Matrix = Tensor | Q8Weight;
export interface Linear {
  w: Matrix;
  b?: Tensor;
}
export interface Norm {
  w: Tensor;
  b?: Tensor;
}

export interface LayerWeights {
  attnNorm: Norm;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  ffnNorm: Norm;
  gate?: Linear;
  up: Linear;
  down: Linear;
  /** Per-head RMSNorm of q and k (Qwen3, Gemma 3). */
  qNorm?: Norm;
  kNorm?: Norm;
  /** Norms on the attention and MLP outputs (Gemma 2/3). */
  postAttnNorm?: Norm;
  postFfnNorm?: Norm;
}

export interface ModelWeights {
  embed: Tensor; // [V, H]
  posEmbed?: Tensor; // [P, H] (gpt2)
  layers: LayerWeights[];
  finalNorm: Norm;
  lmHead: Linear; // [H, V]
}

/** 'dequantize': widen to float32; 'int8': Q8_0 as int8 + scales; 'native': Q8_0, Q4_0, Q6_K as MatMulNBits. */
export type Quantization = 'dequantize' | 'int8' | 'native';

export const isQ8 = (m: Matrix): m is Q8Weight => {
  const k = (m as Q8Weight).kind;
  return k === 'q8' || k === 'nbits';
};
export const matrixDims = (m: Matrix): readonly number[] =>
  isQ8(m) ? (m.nbits ? [m.nbits.K, m.nbits.N] : m.values.dims) : m.dims;

export function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.dims as [number, number];
  const src = t.data;
  const out = Tensor.zeros(t.type, [c, r]);
  const dst = out.data;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) (dst as Float32Array)[j * r + i] = (src as Float32Array)[i * c + j]!;
  return out;
}

function toF32(t: Tensor): Tensor {
  if (t.type === 'float32') return t;
  if (t.type === 'float16') return new Tensor('float32', f16ToF32Array(t.data as Uint16Array), t.dims);
  return new Tensor('float32', Float32Array.from(t.toNumbers()), t.dims);
}

const fmt = (d: readonly number[]) => `[${d.join(', ')}]`;

class Lookup {
  constructor(
    readonly source: string,
    readonly arch: string,
  ) {}
  check(name: string, got: readonly number[], want: number[], why: string): void {
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new Error(`${this.source}: tensor '${name}' has shape ${fmt(got)}, expected ${fmt(want)} (${why})`);
    }
  }
  missing(name: string, why: string): never {
    throw new Error(`${this.source}: tensor '${name}' is missing (${this.arch} needs it for ${why})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face (safetensors)

const PREFIXES = ['', 'model.', 'transformer.', 'model.transformer.'];

export function weightsFromHf(tensors: Map<string, Tensor>, c: LlmConfig, source: string): ModelWeights {
  const L = new Lookup(source, c.arch);
  const find = (name: string): [string, Tensor] | undefined => {
    for (const p of PREFIXES) {
      const t = tensors.get(p + name);
      if (t) return [p + name, t];
    }
    return undefined;
  };
  const get = (name: string, want: number[], why: string): Tensor => {
    const f = find(name);
    if (!f) return L.missing(name, why);
    L.check(f[0], f[1].dims, want, why);
    return toF32(f[1]);
  };
  const opt = (name: string, want: number[], why: string): Tensor | undefined =>
    find(name) ? get(name, want, why) : undefined;
  const H = c.hiddenSize,
    I = c.intermediateSize,
    V = c.vocabSize,
    q = c.numHeads * c.headDim,
    kv = c.numKvHeads * c.headDim;
  const dims = `hidden ${H}, heads ${c.numHeads}x${c.headDim}, kv heads ${c.numKvHeads}, intermediate ${I}, vocab ${V}`;

  if (c.arch === 'gpt2') {
    const embed = get('wte.weight', [V, H], `token embedding; ${dims}`);
    const layers: LayerWeights[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `h.${i}.`;
      const why = (w: string) => `layer ${i} ${w}; ${dims}`;
      const cAttnW = get(`${p}attn.c_attn.weight`, [H, 3 * H], why('fused q/k/v (Conv1D [in, out])'));
      const cAttnB = get(`${p}attn.c_attn.bias`, [3 * H], why('q/k/v bias'));
      const [qw, kw, vw] = splitColumns(cAttnW, 3);
      const [qb, kb, vb] = splitVector(cAttnB, 3);
      layers.push({
        attnNorm: { w: get(`${p}ln_1.weight`, [H], why('ln_1')), b: get(`${p}ln_1.bias`, [H], why('ln_1')) },
        q: { w: qw!, b: qb },
        k: { w: kw!, b: kb },
        v: { w: vw!, b: vb },
        o: {
          w: get(`${p}attn.c_proj.weight`, [H, H], why('attention output')),
          b: get(`${p}attn.c_proj.bias`, [H], why('attention output')),
        },
        ffnNorm: { w: get(`${p}ln_2.weight`, [H], why('ln_2')), b: get(`${p}ln_2.bias`, [H], why('ln_2')) },
        up: { w: get(`${p}mlp.c_fc.weight`, [H, I], why('MLP up')), b: get(`${p}mlp.c_fc.bias`, [I], why('MLP up')) },
        down: {
          w: get(`${p}mlp.c_proj.weight`, [I, H], why('MLP down')),
          b: get(`${p}mlp.c_proj.bias`, [H], why('MLP down')),
        },
      });
    }
    const head = opt('lm_head.weight', [V, H], 'output projection');
    return {
      embed,
      posEmbed: get('wpe.weight', [c.contextLength, H], `position embedding; context ${c.contextLength}`),
      layers,
      finalNorm: { w: get('ln_f.weight', [H], 'final norm'), b: get('ln_f.bias', [H], 'final norm') },
      lmHead: { w: transpose2d(head ?? embed) },
    };
  }

  const embed = get('embed_tokens.weight', [V, H], `token embedding; ${dims}`);
  const lin = (name: string, out: number, inn: number, why: string, bias = false): Linear => ({
    w: transpose2d(get(`${name}.weight`, [out, inn], why)),
    b: bias ? get(`${name}.bias`, [out], why) : opt(`${name}.bias`, [out], why),
  });
  // Gemma's RMSNorm scales by (1 + w): folded into the weight here, so every norm is x / rms * w
  const gemma = (c.modelType ?? '').startsWith('gemma');
  const norm = (name: string, n: number, why: string): Norm => {
    const w = get(name, [n], why);
    if (!gemma) return { w };
    const d = Float32Array.from(w.data as Float32Array, (x) => x + 1);
    return { w: new Tensor('float32', d, [n]) };
  };
  const rows = (t: Tensor, from: number, count: number): Tensor => {
    const cols = t.dims[1]!;
    return new Tensor('float32', (t.data as Float32Array).slice(from * cols, (from + count) * cols), [count, cols]);
  };
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    const why = (w: string) => `layer ${i} ${w}; ${dims}`;
    let qkv: [Linear, Linear, Linear];
    if (find(`${p}self_attn.qkv_proj.weight`)) {
      // Phi-3: one [q + 2 kv, H] projection, split by rows
      const w = get(`${p}self_attn.qkv_proj.weight`, [q + 2 * kv, H], why('fused q/k/v projection'));
      qkv = [
        { w: transpose2d(rows(w, 0, q)) },
        { w: transpose2d(rows(w, q, kv)) },
        { w: transpose2d(rows(w, q + kv, kv)) },
      ];
    } else {
      qkv = [
        lin(`${p}self_attn.q_proj`, q, H, why('query projection'), c.qkvBias),
        lin(`${p}self_attn.k_proj`, kv, H, why('key projection'), c.qkvBias),
        lin(`${p}self_attn.v_proj`, kv, H, why('value projection'), c.qkvBias),
      ];
    }
    let gate: Linear, up: Linear;
    if (find(`${p}mlp.gate_up_proj.weight`)) {
      const w = get(`${p}mlp.gate_up_proj.weight`, [2 * I, H], why('fused MLP gate/up'));
      gate = { w: transpose2d(rows(w, 0, I)) };
      up = { w: transpose2d(rows(w, I, I)) };
    } else {
      gate = lin(`${p}mlp.gate_proj`, I, H, why('MLP gate'));
      up = lin(`${p}mlp.up_proj`, I, H, why('MLP up'));
    }
    const sandwich = c.sandwichNorms === true;
    layers.push({
      attnNorm: norm(`${p}input_layernorm.weight`, H, why('input RMSNorm')),
      q: qkv[0],
      k: qkv[1],
      v: qkv[2],
      o: lin(`${p}self_attn.o_proj`, H, q, why('attention output')),
      // Llama's post_attention_layernorm is the MLP's input norm; Gemma's normalises the attention output
      ffnNorm: norm(
        `${p}${sandwich ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}.weight`,
        H,
        why('MLP input RMSNorm'),
      ),
      gate,
      up,
      down: lin(`${p}mlp.down_proj`, H, I, why('MLP down')),
      ...(c.qkNorm
        ? {
            qNorm: norm(`${p}self_attn.q_norm.weight`, c.headDim, why('query RMSNorm (per head)')),
            kNorm: norm(`${p}self_attn.k_norm.weight`, c.headDim, why('key RMSNorm (per head)')),
          }
        : {}),
      ...(sandwich
        ? {
            postAttnNorm: norm(`${p}post_attention_layernorm.weight`, H, why('attention output RMSNorm')),
            postFfnNorm: norm(`${p}post_feedforward_layernorm.weight`, H, why('MLP output RMSNorm')),
          }
        : {}),
    });
  }
  const head = c.tieWordEmbeddings
    ? undefined
    : get('lm_head.weight', [V, H], 'output projection (tie_word_embeddings is false)');
  return {
    embed,
    layers,
    finalNorm: norm('norm.weight', H, 'final RMSNorm'),
    lmHead: { w: transpose2d(head ?? embed) },
  };
}

function splitColumns(t: Tensor, parts: number): Tensor[] {
  const [r, c] = t.dims as [number, number];
  const w = c / parts;
  const src = t.data as Float32Array;
  return Array.from({ length: parts }, (_, p) => {
    const out = new Float32Array(r * w);
    for (let i = 0; i < r; i++) out.set(src.subarray(i * c + p * w, i * c + (p + 1) * w), i * w);
    return new Tensor('float32', out, [r, w]);
  });
}

function splitVector(t: Tensor, parts: number): Tensor[] {
  const w = t.dims[0]! / parts;
  const src = t.data as Float32Array;
  return Array.from({ length: parts }, (_, p) => new Tensor('float32', src.slice(p * w, (p + 1) * w), [w]));
}

// ---------------------------------------------------------------------------------------------
// GGUF

export function weightsFromGguf(file: GgufFile, c: LlmConfig, quant: Quantization = 'dequantize'): ModelWeights {
  const L = new Lookup(file.source, c.arch);
  const info = (name: string, want: number[], why: string): GgufTensorInfo => {
    const t = file.tensors.get(name);
    if (!t) return L.missing(name, why);
    L.check(name, t.shape, want, why);
    return t;
  };
  const vec = (name: string, n: number, why: string) => ggufToF32(info(name, [n], why));
  const optVec = (name: string, n: number, why: string) => (file.tensors.has(name) ? vec(name, n, why) : undefined);
  /** GGUF stores linear weights as [out, in] rows; blocks of Q8_0 run along `in`. */
  const mat = (name: string, out: number, inn: number, why: string): Matrix => {
    const t = info(name, [out, inn], why);
    if (quant === 'native' && nbitsTypes.includes(t.type)) {
      const m = ggufToNBits(t);
      return { kind: 'nbits', values: m.codes, scales: m.scales, nbits: m };
    }
    if (t.type === GGML.Q8_0 && quant === 'int8') {
      const { values, scales } = ggufQ8(t);
      return { kind: 'q8', values: transpose2d(values), scales: transpose2d(scales) };
    }
    return transpose2d(ggufToF32(t));
  };
  const H = c.hiddenSize,
    I = c.intermediateSize,
    V = c.vocabSize,
    q = c.numHeads * c.headDim,
    kv = c.numKvHeads * c.headDim;
  const embed = ggufToF32(info('token_embd.weight', [V, H], 'token embedding'));
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `blk.${i}.`;
    const why = (w: string) => `layer ${i} ${w}`;
    if (c.arch === 'gpt2') {
      const qkvW = ggufToF32(info(`${p}attn_qkv.weight`, [3 * H, H], why('fused q/k/v')));
      const qkvB = vec(`${p}attn_qkv.bias`, 3 * H, why('q/k/v bias'));
      const rows = qkvW.data as Float32Array;
      const part = (j: number) => transpose2d(new Tensor('float32', rows.slice(j * H * H, (j + 1) * H * H), [H, H]));
      const [qb, kb, vb] = splitVector(qkvB, 3);
      layers.push({
        attnNorm: {
          w: vec(`${p}attn_norm.weight`, H, why('attn_norm')),
          b: vec(`${p}attn_norm.bias`, H, why('attn_norm')),
        },
        q: { w: part(0), b: qb },
        k: { w: part(1), b: kb },
        v: { w: part(2), b: vb },
        o: {
          w: mat(`${p}attn_output.weight`, H, H, why('attention output')),
          b: vec(`${p}attn_output.bias`, H, why('attention output')),
        },
        ffnNorm: { w: vec(`${p}ffn_norm.weight`, H, why('ffn_norm')), b: vec(`${p}ffn_norm.bias`, H, why('ffn_norm')) },
        up: { w: mat(`${p}ffn_up.weight`, I, H, why('MLP up')), b: vec(`${p}ffn_up.bias`, I, why('MLP up')) },
        down: { w: mat(`${p}ffn_down.weight`, H, I, why('MLP down')), b: vec(`${p}ffn_down.bias`, H, why('MLP down')) },
      });
    } else {
      layers.push({
        attnNorm: { w: vec(`${p}attn_norm.weight`, H, why('attn_norm')) },
        q: {
          w: mat(`${p}attn_q.weight`, q, H, why('query projection')),
          b: optVec(`${p}attn_q.bias`, q, why('query bias')),
        },
        k: {
          w: mat(`${p}attn_k.weight`, kv, H, why('key projection')),
          b: optVec(`${p}attn_k.bias`, kv, why('key bias')),
        },
        v: {
          w: mat(`${p}attn_v.weight`, kv, H, why('value projection')),
          b: optVec(`${p}attn_v.bias`, kv, why('value bias')),
        },
        o: { w: mat(`${p}attn_output.weight`, H, q, why('attention output')) },
        ffnNorm: { w: vec(`${p}ffn_norm.weight`, H, why('ffn_norm')) },
        gate: { w: mat(`${p}ffn_gate.weight`, I, H, why('MLP gate')) },
        up: { w: mat(`${p}ffn_up.weight`, I, H, why('MLP up')) },
        down: { w: mat(`${p}ffn_down.weight`, H, I, why('MLP down')) },
      });
    }
  }
  const norm =
    c.arch === 'gpt2'
      ? { w: vec('output_norm.weight', H, 'final norm'), b: vec('output_norm.bias', H, 'final norm') }
      : { w: vec('output_norm.weight', H, 'final RMSNorm') };
  const lmHead: Linear = file.tensors.has('output.weight')
    ? { w: mat('output.weight', V, H, 'output projection') }
    : { w: transpose2d(embed) };
  return {
    embed,
    layers,
    finalNorm: norm,
    lmHead,
    posEmbed:
      c.arch === 'gpt2'
        ? ggufToF32(info('position_embd.weight', [c.contextLength, H], 'position embedding'))
        : undefined,
  };
}
