// Decoder-only transformer configuration: one shape for Llama-style models (RMSNorm, RoPE, SwiGLU,
// grouped-query attention) and GPT-2 (LayerNorm, learned positions, GELU MLP), read from a Hugging
// Face config.json or from GGUF metadata.

import type { GgufValue } from '../../frontend/weights/gguf.js';

export type LlmArch = 'llama' | 'gpt2';

export interface LlmConfig {
  arch: LlmArch;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  /** Context length: positions the model was trained for (and the KV cache's upper bound). */
  contextLength: number;
  normEps: number;
  /** llama: RoPE base. */
  ropeTheta: number;
  /** llama: rotate adjacent pairs (GGUF's permuted Q/K) instead of halves (Hugging Face). */
  ropeInterleaved: boolean;
  /** The output projection is the token embedding (GPT-2, small Llamas). */
  tieWordEmbeddings: boolean;
  /** Bias on the q/k/v projections (Qwen2; GPT-2 has biases everywhere). */
  qkvBias: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
}

export function checkConfig(c: LlmConfig, source: string): LlmConfig {
  const pos = (k: keyof LlmConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${source}: ${k} must be a positive integer, got ${String(v)}`);
  };
  for (const k of ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'contextLength'] as const) pos(k);
  if (c.numHeads % c.numKvHeads) throw new Error(`${source}: num_attention_heads ${c.numHeads} is not a multiple of num_key_value_heads ${c.numKvHeads}`);
  if (c.headDim % 2) throw new Error(`${source}: head dim ${c.headDim} must be even for rotary embeddings`);
  return c;
}

const num = (o: Record<string, unknown>, keys: string[], dflt?: number): number | undefined => {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return dflt;
};
const firstId = (v: unknown): number | undefined => (Array.isArray(v) ? (v[0] as number) : typeof v === 'number' ? v : undefined);

/** From a Hugging Face config.json (model_type llama, mistral, qwen2, gpt2). */
export function configFromHf(json: Record<string, unknown>, source = 'config.json'): LlmConfig {
  const type = String(json.model_type ?? '');
  if (type === 'gpt2') {
    const h = num(json, ['n_embd', 'hidden_size'])!;
    const heads = num(json, ['n_head', 'num_attention_heads'])!;
    return checkConfig({
      arch: 'gpt2', vocabSize: num(json, ['vocab_size'])!, hiddenSize: h, numLayers: num(json, ['n_layer', 'num_hidden_layers'])!,
      numHeads: heads, numKvHeads: heads, headDim: h / heads, intermediateSize: num(json, ['n_inner'], 4 * h) ?? 4 * h,
      contextLength: num(json, ['n_positions', 'n_ctx'])!, normEps: num(json, ['layer_norm_epsilon'], 1e-5)!,
      ropeTheta: 0, ropeInterleaved: false, tieWordEmbeddings: true, qkvBias: true,
      bosTokenId: firstId(json.bos_token_id), eosTokenId: firstId(json.eos_token_id),
    }, source);
  }
  if (['llama', 'mistral', 'qwen2', 'qwen3'].includes(type)) {
    const h = num(json, ['hidden_size'])!;
    const heads = num(json, ['num_attention_heads'])!;
    return checkConfig({
      arch: 'llama', vocabSize: num(json, ['vocab_size'])!, hiddenSize: h, numLayers: num(json, ['num_hidden_layers'])!,
      numHeads: heads, numKvHeads: num(json, ['num_key_value_heads'], heads)!, headDim: num(json, ['head_dim'], h / heads)!,
      intermediateSize: num(json, ['intermediate_size'])!, contextLength: num(json, ['max_position_embeddings'])!,
      normEps: num(json, ['rms_norm_eps'], 1e-6)!, ropeTheta: num(json, ['rope_theta'], 10000)!, ropeInterleaved: false,
      tieWordEmbeddings: json.tie_word_embeddings === true, qkvBias: type === 'qwen2' || json.attention_bias === true,
      bosTokenId: firstId(json.bos_token_id), eosTokenId: firstId(json.eos_token_id),
    }, source);
  }
  throw new Error(`${source}: model_type '${type}' is not supported (llama, mistral, qwen2, gpt2 are)`);
}

/** From GGUF metadata (general.architecture llama or gpt2). */
export function configFromGguf(meta: Map<string, GgufValue>, source = 'gguf'): LlmConfig {
  const arch = String(meta.get('general.architecture') ?? '');
  const get = (k: string): number | undefined => {
    const v = meta.get(`${arch}.${k}`);
    return v === undefined ? undefined : Number(v);
  };
  const need = (k: string): number => {
    const v = get(k);
    if (v === undefined) throw new Error(`${source}: metadata '${arch}.${k}' is missing`);
    return v;
  };
  const tokens = meta.get('tokenizer.ggml.tokens');
  const vocab = get('vocab_size') ?? (Array.isArray(tokens) ? tokens.length : undefined);
  if (vocab === undefined) throw new Error(`${source}: neither '${arch}.vocab_size' nor 'tokenizer.ggml.tokens' gives the vocabulary size`);
  const ids = { bosTokenId: meta.has('tokenizer.ggml.bos_token_id') ? Number(meta.get('tokenizer.ggml.bos_token_id')) : undefined, eosTokenId: meta.has('tokenizer.ggml.eos_token_id') ? Number(meta.get('tokenizer.ggml.eos_token_id')) : undefined };
  const h = need('embedding_length');
  const heads = need('attention.head_count');
  if (arch === 'gpt2') {
    return checkConfig({
      arch: 'gpt2', vocabSize: vocab, hiddenSize: h, numLayers: need('block_count'), numHeads: heads, numKvHeads: heads, headDim: h / heads,
      intermediateSize: get('feed_forward_length') ?? 4 * h, contextLength: need('context_length'), normEps: get('attention.layer_norm_epsilon') ?? 1e-5,
      ropeTheta: 0, ropeInterleaved: false, tieWordEmbeddings: true, qkvBias: true, ...ids,
    }, source);
  }
  if (arch === 'llama') {
    return checkConfig({
      arch: 'llama', vocabSize: vocab, hiddenSize: h, numLayers: need('block_count'), numHeads: heads, numKvHeads: get('attention.head_count_kv') ?? heads,
      headDim: get('attention.key_length') ?? h / heads, intermediateSize: need('feed_forward_length'), contextLength: need('context_length'),
      normEps: get('attention.layer_norm_rms_epsilon') ?? 1e-6, ropeTheta: get('rope.freq_base') ?? 10000,
      // llama.cpp's converter permutes Q/K rows so that rotation pairs are adjacent
      ropeInterleaved: true, tieWordEmbeddings: false, qkvBias: false, ...ids,
    }, source);
  }
  throw new Error(`${source}: general.architecture '${arch}' is not supported (llama, gpt2 are)`);
}

/** Parameter count (weights only), for the cost model and the explanation of a plan. */
export function paramCount(c: LlmConfig): number {
  const H = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, I = c.intermediateSize;
  const attn = H * q + 2 * H * kv + q * H;
  const mlp = c.arch === 'llama' ? 3 * H * I : 2 * H * I;
  const emb = c.vocabSize * H * (c.tieWordEmbeddings ? 1 : 2) + (c.arch === 'gpt2' ? c.contextLength * H : 0);
  return c.numLayers * (attn + mlp) + emb;
}

/** Bytes of a float32 KV cache for `positions` tokens. */
export function kvCacheBytes(c: LlmConfig, positions: number, batch = 1): number {
  return 2 * c.numLayers * batch * c.numKvHeads * positions * c.headDim * 4;
}
