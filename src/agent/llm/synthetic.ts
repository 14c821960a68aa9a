// Seeded synthetic checkpoints: nothing can be downloaded here, so tests, benchmarks and the
// example make small models with random weights, in Hugging Face naming (safetensors + config.json)
// and in llama.cpp's GGUF naming (with the Q/K row permutation its converter applies).

import type { GgmlBlockType, GgufValue, GgufWriteTensor } from '../../frontend/weights/gguf.js';
import { Tensor } from '../../ir/tensor.js';
import { mulberry32 } from '../../util/rng.js';
import type { LlmConfig } from './config.js';

/** mulberry32 (the project's seeded generator): small, fast, good enough for weights and sampling. */
export const rng = mulberry32;

export function normalSampler(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

export function llamaConfig(over: Partial<LlmConfig> = {}): LlmConfig {
  return {
    arch: 'llama',
    vocabSize: 96,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 64,
    contextLength: 64,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeInterleaved: false,
    tieWordEmbeddings: false,
    qkvBias: false,
    bosTokenId: 1,
    eosTokenId: 2,
    ...over,
  };
}

export function gpt2Config(over: Partial<LlmConfig> = {}): LlmConfig {
  return {
    arch: 'gpt2',
    vocabSize: 96,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 4,
    headDim: 8,
    intermediateSize: 128,
    contextLength: 64,
    normEps: 1e-5,
    ropeTheta: 0,
    ropeInterleaved: false,
    tieWordEmbeddings: true,
    qkvBias: true,
    bosTokenId: 0,
    eosTokenId: 0,
    ...over,
  };
}

/** GPT-2 small's shape (124 M parameters) for benchmarks. */
export const GPT2_SMALL: Partial<LlmConfig> = {
  vocabSize: 50257,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  numKvHeads: 12,
  headDim: 64,
  intermediateSize: 3072,
  contextLength: 1024,
};

/** Random weights in Hugging Face naming; std chosen so activations stay O(1) through the layers. */
export function syntheticHfTensors(c: LlmConfig, seed = 1, std = 0.08, embedStd = 0.5): Map<string, Tensor> {
  const normal = normalSampler(seed);
  const m = new Map<string, Tensor>();
  const rand = (dims: number[], scale = std) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = normal() * scale;
    return new Tensor('float32', a, dims);
  };
  const ones = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 1 + 0.1 * normal();
    return new Tensor('float32', a, [n]);
  };
  const H = c.hiddenSize,
    I = c.intermediateSize,
    V = c.vocabSize,
    q = c.numHeads * c.headDim,
    kv = c.numKvHeads * c.headDim;
  if (c.arch === 'gpt2') {
    m.set('wte.weight', rand([V, H], embedStd));
    m.set('wpe.weight', rand([c.contextLength, H], 0.1));
    for (let i = 0; i < c.numLayers; i++) {
      const p = `h.${i}.`;
      m.set(`${p}ln_1.weight`, ones(H));
      m.set(`${p}ln_1.bias`, rand([H], 0.02));
      m.set(`${p}attn.c_attn.weight`, rand([H, 3 * H], 0.3));
      m.set(`${p}attn.c_attn.bias`, rand([3 * H], 0.02));
      m.set(`${p}attn.c_proj.weight`, rand([H, H]));
      m.set(`${p}attn.c_proj.bias`, rand([H], 0.02));
      m.set(`${p}ln_2.weight`, ones(H));
      m.set(`${p}ln_2.bias`, rand([H], 0.02));
      m.set(`${p}mlp.c_fc.weight`, rand([H, I]));
      m.set(`${p}mlp.c_fc.bias`, rand([I], 0.02));
      m.set(`${p}mlp.c_proj.weight`, rand([I, H]));
      m.set(`${p}mlp.c_proj.bias`, rand([H], 0.02));
    }
    m.set('ln_f.weight', ones(H));
    m.set('ln_f.bias', rand([H], 0.02));
    return m;
  }
  m.set('model.embed_tokens.weight', rand([V, H], embedStd));
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, ones(H));
    m.set(`${p}self_attn.q_proj.weight`, rand([q, H], 0.3));
    m.set(`${p}self_attn.k_proj.weight`, rand([kv, H], 0.3));
    m.set(`${p}self_attn.v_proj.weight`, rand([kv, H]));
    if (c.qkvBias)
      for (const [n, d] of [
        ['q', q],
        ['k', kv],
        ['v', kv],
      ] as const)
        m.set(`${p}self_attn.${n}_proj.bias`, rand([d], 0.02));
    m.set(`${p}self_attn.o_proj.weight`, rand([H, q]));
    m.set(`${p}post_attention_layernorm.weight`, ones(H));
    m.set(`${p}mlp.gate_proj.weight`, rand([I, H]));
    m.set(`${p}mlp.up_proj.weight`, rand([I, H]));
    m.set(`${p}mlp.down_proj.weight`, rand([H, I]));
  }
  m.set('model.norm.weight', ones(H));
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', rand([V, H], 0.3));
  return m;
}

/** config.json as Hugging Face writes it. */
export function hfConfigJson(c: LlmConfig): Record<string, unknown> {
  if (c.arch === 'gpt2') {
    return {
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: c.vocabSize,
      n_embd: c.hiddenSize,
      n_layer: c.numLayers,
      n_head: c.numHeads,
      n_inner: c.intermediateSize,
      n_positions: c.contextLength,
      layer_norm_epsilon: c.normEps,
      bos_token_id: c.bosTokenId,
      eos_token_id: c.eosTokenId,
    };
  }
  return {
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.contextLength,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieWordEmbeddings,
    attention_bias: c.qkvBias,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
  };
}

/** llama.cpp's permutation of Q/K rows: within each head, halves become interleaved pairs. */
export function permuteRope(w: Tensor, heads: number): Tensor {
  const [rows, cols] = w.dims as [number, number];
  const hd = rows / heads,
    half = hd / 2;
  const src = w.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let h = 0; h < heads; h++) {
    for (let m = 0; m < half; m++) {
      out.set(src.subarray((h * hd + m) * cols, (h * hd + m + 1) * cols), (h * hd + 2 * m) * cols);
      out.set(src.subarray((h * hd + half + m) * cols, (h * hd + half + m + 1) * cols), (h * hd + 2 * m + 1) * cols);
    }
  }
  return new Tensor('float32', out, w.dims);
}

function permuteVec(b: Tensor, heads: number): Tensor {
  return permuteRope(b.reshape([b.dims[0]!, 1]), heads).reshape([b.dims[0]!]);
}

/** The same weights as GGUF tensors and metadata (linear weights in `quant`: F32, F16 or Q8_0). */
export function hfToGguf(
  c: LlmConfig,
  hf: Map<string, Tensor>,
  quant: 'F32' | 'F16' | GgmlBlockType = 'F32',
): { metadata: Record<string, GgufValue | { type: 'f32' | 'u32'; value: number }>; tensors: GgufWriteTensor[] } {
  const t: GgufWriteTensor[] = [];
  const get = (n: string) => {
    const x = hf.get(n);
    if (!x) throw new Error(`hfToGguf: ${n} missing`);
    return x;
  };
  const lin = (name: string, x: Tensor) => t.push({ name, tensor: x, type: quant });
  const f32 = (name: string, x: Tensor) => t.push({ name, tensor: x, type: 'F32' });
  const transpose = (x: Tensor) => {
    const [r, cc] = x.dims as [number, number];
    const s = x.data as Float32Array,
      o = new Float32Array(s.length);
    for (let i = 0; i < r; i++) for (let j = 0; j < cc; j++) o[j * r + i] = s[i * cc + j]!;
    return new Tensor('float32', o, [cc, r]);
  };
  const arch = c.arch;
  const metadata: Record<string, GgufValue | { type: 'f32' | 'u32'; value: number }> = {
    'general.architecture': arch,
    'general.name': `synthetic-${arch}`,
    [`${arch}.context_length`]: c.contextLength,
    [`${arch}.embedding_length`]: c.hiddenSize,
    [`${arch}.block_count`]: c.numLayers,
    [`${arch}.feed_forward_length`]: c.intermediateSize,
    [`${arch}.attention.head_count`]: c.numHeads,
    [`${arch}.vocab_size`]: c.vocabSize,
  };
  if (arch === 'gpt2') {
    metadata['gpt2.attention.layer_norm_epsilon'] = { type: 'f32', value: c.normEps };
    f32('token_embd.weight', get('wte.weight'));
    f32('position_embd.weight', get('wpe.weight'));
    for (let i = 0; i < c.numLayers; i++) {
      const p = `h.${i}.`,
        b = `blk.${i}.`;
      f32(`${b}attn_norm.weight`, get(`${p}ln_1.weight`));
      f32(`${b}attn_norm.bias`, get(`${p}ln_1.bias`));
      lin(`${b}attn_qkv.weight`, transpose(get(`${p}attn.c_attn.weight`)));
      f32(`${b}attn_qkv.bias`, get(`${p}attn.c_attn.bias`));
      lin(`${b}attn_output.weight`, transpose(get(`${p}attn.c_proj.weight`)));
      f32(`${b}attn_output.bias`, get(`${p}attn.c_proj.bias`));
      f32(`${b}ffn_norm.weight`, get(`${p}ln_2.weight`));
      f32(`${b}ffn_norm.bias`, get(`${p}ln_2.bias`));
      lin(`${b}ffn_up.weight`, transpose(get(`${p}mlp.c_fc.weight`)));
      f32(`${b}ffn_up.bias`, get(`${p}mlp.c_fc.bias`));
      lin(`${b}ffn_down.weight`, transpose(get(`${p}mlp.c_proj.weight`)));
      f32(`${b}ffn_down.bias`, get(`${p}mlp.c_proj.bias`));
    }
    f32('output_norm.weight', get('ln_f.weight'));
    f32('output_norm.bias', get('ln_f.bias'));
    return { metadata, tensors: t };
  }
  metadata['llama.attention.head_count_kv'] = c.numKvHeads;
  metadata['llama.attention.layer_norm_rms_epsilon'] = { type: 'f32', value: c.normEps };
  metadata['llama.rope.freq_base'] = { type: 'f32', value: c.ropeTheta };
  metadata['llama.rope.dimension_count'] = c.headDim;
  f32('token_embd.weight', get('model.embed_tokens.weight'));
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`,
      b = `blk.${i}.`;
    f32(`${b}attn_norm.weight`, get(`${p}input_layernorm.weight`));
    lin(`${b}attn_q.weight`, permuteRope(get(`${p}self_attn.q_proj.weight`), c.numHeads));
    lin(`${b}attn_k.weight`, permuteRope(get(`${p}self_attn.k_proj.weight`), c.numKvHeads));
    lin(`${b}attn_v.weight`, get(`${p}self_attn.v_proj.weight`));
    if (c.qkvBias) {
      f32(`${b}attn_q.bias`, permuteVec(get(`${p}self_attn.q_proj.bias`), c.numHeads));
      f32(`${b}attn_k.bias`, permuteVec(get(`${p}self_attn.k_proj.bias`), c.numKvHeads));
      f32(`${b}attn_v.bias`, get(`${p}self_attn.v_proj.bias`));
    }
    lin(`${b}attn_output.weight`, get(`${p}self_attn.o_proj.weight`));
    f32(`${b}ffn_norm.weight`, get(`${p}post_attention_layernorm.weight`));
    lin(`${b}ffn_gate.weight`, get(`${p}mlp.gate_proj.weight`));
    lin(`${b}ffn_up.weight`, get(`${p}mlp.up_proj.weight`));
    lin(`${b}ffn_down.weight`, get(`${p}mlp.down_proj.weight`));
  }
  f32('output_norm.weight', get('model.norm.weight'));
  lin('output.weight', hf.get('lm_head.weight') ?? get('model.embed_tokens.weight'));
  return { metadata, tensors: t };
}
