// Decoder-only transformer configuration: one shape for Llama-style models (RMSNorm, RoPE, SwiGLU,
// grouped-query attention) and GPT-2 (LayerNorm, learned positions, GELU MLP), read from a Hugging
// Face config.json or from GGUF metadata.

import type { GgufValue } from '../../frontend/weights/gguf.js';

/** 'llama' is every RoPE decoder (Llama, Mistral, Qwen2/3, Gemma 2/3, Phi-3), with the variations below. */
export type LlmArch = 'llama' | 'gpt2';

/** RoPE frequency scaling (config.json's rope_scaling), as transformers computes it. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositions: number;
      betaFast: number;
      betaSlow: number;
      attentionFactor: number;
    };

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
  /** config.json's model_type (llama, qwen3, gemma2, phi3, …), for messages. */
  modelType?: string;
  /** RMSNorm over each head's query and key before RoPE (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** Token embeddings are multiplied by this (Gemma: sqrt(hidden_size)). */
  embedScale?: number;
  /** Activation of the gated MLP: silu (default) or gelu with the tanh approximation (Gemma). */
  hiddenAct?: 'silu' | 'gelu_tanh';
  /** Norms on the attention and MLP outputs too, before each residual add (Gemma 2/3). */
  sandwichNorms?: boolean;
  /** cap * tanh(x / cap) on attention scores and on the final logits (Gemma 2). */
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** Attention scale (default 1/sqrt(head_dim); Gemma: query_pre_attn_scalar^-1/2). */
  attnScale?: number;
  /** Sliding-window attention: a position sees the last `slidingWindow` positions, on these layers. */
  slidingWindow?: number;
  slidingLayers?: number[];
  /** RoPE base of the sliding layers, when it differs (Gemma 3's rope_local_base_freq; unscaled). */
  ropeLocalTheta?: number;
  ropeScaling?: RopeScaling;
}

export function checkConfig(c: LlmConfig, source: string): LlmConfig {
  const pos = (k: keyof LlmConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: ${k} must be a positive integer, got ${String(v)}`);
  };
  for (const k of [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'headDim',
    'intermediateSize',
    'contextLength',
  ] as const)
    pos(k);
  if (c.numHeads % c.numKvHeads)
    throw new Error(
      `${source}: num_attention_heads ${c.numHeads} is not a multiple of num_key_value_heads ${c.numKvHeads}`,
    );
  if (c.headDim % 2) throw new Error(`${source}: head dim ${c.headDim} must be even for rotary embeddings`);
  return c;
}

const num = (o: Record<string, unknown>, keys: string[], dflt?: number): number | undefined => {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return dflt;
};
const firstId = (v: unknown): number | undefined =>
  Array.isArray(v) ? (v[0] as number) : typeof v === 'number' ? v : undefined;

/** From a Hugging Face config.json (model_type llama, mistral, qwen2, gpt2). */
export function configFromHf(json: Record<string, unknown>, source = 'config.json'): LlmConfig {
  const type = String(json.model_type ?? '');
  if (type === 'gpt2') {
    const h = num(json, ['n_embd', 'hidden_size'])!;
    const heads = num(json, ['n_head', 'num_attention_heads'])!;
    return checkConfig(
      {
        arch: 'gpt2',
        vocabSize: num(json, ['vocab_size'])!,
        hiddenSize: h,
        numLayers: num(json, ['n_layer', 'num_hidden_layers'])!,
        numHeads: heads,
        numKvHeads: heads,
        headDim: h / heads,
        intermediateSize: num(json, ['n_inner'], 4 * h) ?? 4 * h,
        contextLength: num(json, ['n_positions', 'n_ctx'])!,
        normEps: num(json, ['layer_norm_epsilon'], 1e-5)!,
        ropeTheta: 0,
        ropeInterleaved: false,
        tieWordEmbeddings: true,
        qkvBias: true,
        bosTokenId: firstId(json.bos_token_id),
        eosTokenId: firstId(json.eos_token_id),
      },
      source,
    );
  }
  if (LLAMA_LIKE.includes(type)) return configFromLlamaLike(json, type, source);
  throw new Error(`${source}: model_type '${type}' is not supported (${['gpt2', ...LLAMA_LIKE].join(', ')} are)`);
}

const LLAMA_LIKE = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3', 'gemma3_text', 'phi3'];

function ropeScalingOf(json: Record<string, unknown>, source: string): RopeScaling | undefined {
  const r = json.rope_scaling as Record<string, unknown> | null | undefined;
  if (!r) return undefined;
  const type = String(r.rope_type ?? r.type ?? '');
  const f = (k: string, d?: number) => {
    const v = typeof r[k] === 'number' ? (r[k] as number) : d;
    if (v === undefined) throw new Error(`${source}: rope_scaling (${type}) needs ${k}`);
    return v;
  };
  const orig = (d?: number) => f('original_max_position_embeddings', d);
  if (type === 'default') return undefined;
  if (type === 'linear') return { type, factor: f('factor') };
  if (type === 'llama3')
    return {
      type,
      factor: f('factor'),
      lowFreqFactor: f('low_freq_factor', 1),
      highFreqFactor: f('high_freq_factor', 4),
      originalMaxPositions: orig(8192),
    };
  if (type === 'yarn') {
    const factor = f('factor');
    return {
      type,
      factor,
      originalMaxPositions: orig(num(json, ['max_position_embeddings'])),
      betaFast: f('beta_fast', 32),
      betaSlow: f('beta_slow', 1),
      attentionFactor: f('attention_factor', 0.1 * Math.log(factor) + 1),
    };
  }
  throw new Error(`${source}: rope_scaling type '${type}' is not supported (linear, llama3, yarn are)`);
}

function configFromLlamaLike(outer: Record<string, unknown>, type: string, source: string): LlmConfig {
  // a multimodal Gemma 3 config keeps the language model's in text_config
  const json =
    type === 'gemma3' && outer.text_config
      ? { ...(outer.text_config as Record<string, unknown>), model_type: 'gemma3_text' }
      : outer;
  const h = num(json, ['hidden_size'])!;
  const heads = num(json, ['num_attention_heads'])!;
  const layers = num(json, ['num_hidden_layers'])!;
  const gemma = type.startsWith('gemma');
  const headDim = num(json, ['head_dim'], h / heads)!;
  const window = num(json, ['sliding_window']);
  let sliding: number[] | undefined;
  const layerTypes = json.layer_types as string[] | undefined;
  if (Array.isArray(layerTypes)) sliding = layerTypes.flatMap((t, i) => (t === 'sliding_attention' ? [i] : []));
  else if (type === 'gemma2') sliding = Array.from({ length: layers }, (_, i) => i).filter((i) => i % 2 === 0);
  else if (type.startsWith('gemma3')) {
    const p = num(json, ['sliding_window_pattern'], 6)!;
    sliding = Array.from({ length: layers }, (_, i) => i).filter((i) => (i + 1) % p !== 0);
  } else if (type === 'mistral' && window) sliding = Array.from({ length: layers }, (_, i) => i);
  const act = String(json.hidden_activation ?? json.hidden_act ?? 'silu');
  if (!['silu', 'gelu_pytorch_tanh', 'gelu_tanh'].includes(act))
    throw new Error(`${source}: hidden_act '${act}' is not supported (silu, gelu_pytorch_tanh are)`);
  const partial = num(json, ['partial_rotary_factor'], 1)!;
  if (partial !== 1)
    throw new Error(`${source}: partial_rotary_factor ${partial} is not supported (only full rotary embeddings)`);
  const qpa = num(json, ['query_pre_attn_scalar']);
  return checkConfig(
    {
      arch: 'llama',
      modelType: type,
      vocabSize: num(json, ['vocab_size'])!,
      hiddenSize: h,
      numLayers: layers,
      numHeads: heads,
      numKvHeads: num(json, ['num_key_value_heads'], heads)!,
      headDim,
      intermediateSize: num(json, ['intermediate_size'])!,
      contextLength: num(json, ['max_position_embeddings'])!,
      normEps: num(json, ['rms_norm_eps'], 1e-6)!,
      ropeTheta: num(json, ['rope_theta'], 10000)!,
      ropeInterleaved: false,
      // Gemma ties its embeddings unless told otherwise
      tieWordEmbeddings: json.tie_word_embeddings === true || (gemma && json.tie_word_embeddings !== false),
      qkvBias: type === 'qwen2' || json.attention_bias === true,
      bosTokenId: firstId(json.bos_token_id),
      eosTokenId: firstId(json.eos_token_id),
      ...(type === 'qwen3' || type.startsWith('gemma3') ? { qkNorm: true } : {}),
      ...(gemma ? { embedScale: Math.sqrt(h), sandwichNorms: true } : {}),
      ...(act !== 'silu' ? { hiddenAct: 'gelu_tanh' as const } : {}),
      ...(typeof json.attn_logit_softcapping === 'number' ? { attnSoftcap: json.attn_logit_softcapping } : {}),
      ...(typeof json.final_logit_softcapping === 'number' ? { finalSoftcap: json.final_logit_softcapping } : {}),
      ...(qpa !== undefined ? { attnScale: 1 / Math.sqrt(qpa) } : {}),
      ...(window && sliding?.length ? { slidingWindow: window, slidingLayers: sliding } : {}),
      ...(typeof json.rope_local_base_freq === 'number' ? { ropeLocalTheta: json.rope_local_base_freq } : {}),
      ...(ropeScalingOf(json, source) ? { ropeScaling: ropeScalingOf(json, source) } : {}),
    },
    source,
  );
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
  if (vocab === undefined)
    throw new Error(`${source}: neither '${arch}.vocab_size' nor 'tokenizer.ggml.tokens' gives the vocabulary size`);
  const ids = {
    bosTokenId: meta.has('tokenizer.ggml.bos_token_id') ? Number(meta.get('tokenizer.ggml.bos_token_id')) : undefined,
    eosTokenId: meta.has('tokenizer.ggml.eos_token_id') ? Number(meta.get('tokenizer.ggml.eos_token_id')) : undefined,
  };
  const h = need('embedding_length');
  const heads = need('attention.head_count');
  if (arch === 'gpt2') {
    return checkConfig(
      {
        arch: 'gpt2',
        vocabSize: vocab,
        hiddenSize: h,
        numLayers: need('block_count'),
        numHeads: heads,
        numKvHeads: heads,
        headDim: h / heads,
        intermediateSize: get('feed_forward_length') ?? 4 * h,
        contextLength: need('context_length'),
        normEps: get('attention.layer_norm_epsilon') ?? 1e-5,
        ropeTheta: 0,
        ropeInterleaved: false,
        tieWordEmbeddings: true,
        qkvBias: true,
        ...ids,
      },
      source,
    );
  }
  if (arch === 'llama') {
    return checkConfig(
      {
        arch: 'llama',
        vocabSize: vocab,
        hiddenSize: h,
        numLayers: need('block_count'),
        numHeads: heads,
        numKvHeads: get('attention.head_count_kv') ?? heads,
        headDim: get('attention.key_length') ?? h / heads,
        intermediateSize: need('feed_forward_length'),
        contextLength: need('context_length'),
        normEps: get('attention.layer_norm_rms_epsilon') ?? 1e-6,
        ropeTheta: get('rope.freq_base') ?? 10000,
        // llama.cpp's converter permutes Q/K rows so that rotation pairs are adjacent
        ropeInterleaved: true,
        tieWordEmbeddings: false,
        qkvBias: false,
        ...ids,
      },
      source,
    );
  }
  throw new Error(`${source}: general.architecture '${arch}' is not supported (llama, gpt2 are)`);
}

/** Parameter count (weights only), for the cost model and the explanation of a plan. */
export function paramCount(c: LlmConfig): number {
  const H = c.hiddenSize,
    q = c.numHeads * c.headDim,
    kv = c.numKvHeads * c.headDim,
    I = c.intermediateSize;
  const attn = H * q + 2 * H * kv + q * H;
  const mlp = c.arch === 'llama' ? 3 * H * I : 2 * H * I;
  // (q/k and sandwich norms are a few vectors per layer: left out)
  const emb = c.vocabSize * H * (c.tieWordEmbeddings ? 1 : 2) + (c.arch === 'gpt2' ? c.contextLength * H : 0);
  return c.numLayers * (attn + mlp) + emb;
}

/** Bytes of a float32 KV cache for `positions` tokens. */
export function kvCacheBytes(c: LlmConfig, positions: number, batch = 1): number {
  return 2 * c.numLayers * batch * c.numKvHeads * positions * c.headDim * 4;
}
