// The architectures of the PyTorch-oracle tests (arch-oracle*.test.ts): configs, seeded checkpoints
// in Hugging Face naming at a trained model's scale, and test/oracle/llm_oracle.py run on them.

import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalSampler } from '../../src/agent/llm/synthetic.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tmp } from './helpers.js';

const ORACLE = join(fileURLToPath(import.meta.url), '../../../../test/oracle/llm_oracle.py');
// the first python that has torch (a pyenv python3 on PATH may lack Debian's python3-torch)
export const PYTHON = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
);
export const SKIP = PYTHON
  ? false
  : 'python3 with torch is not installed (apt-get install -y python3-torch; scripts/setup.sh installs it)';

const base = {
  vocab_size: 128,
  hidden_size: 64,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  intermediate_size: 128,
  max_position_embeddings: 128,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  bos_token_id: 1,
  eos_token_id: 2,
};
export const ARCHS: Record<string, Record<string, unknown>> = {
  'llama 3.2 (llama3 rope scaling, tied)': {
    ...base,
    model_type: 'llama',
    tie_word_embeddings: true,
    rope_theta: 500000,
    rope_scaling: {
      rope_type: 'llama3',
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 16,
    },
  },
  'mistral (sliding window)': { ...base, model_type: 'mistral', sliding_window: 5, tie_word_embeddings: false },
  'qwen2 (qkv bias, yarn, tied)': {
    ...base,
    model_type: 'qwen2',
    tie_word_embeddings: true,
    rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 16 },
  },
  'qwen3 (q/k norm, linear scaling)': {
    ...base,
    model_type: 'qwen3',
    tie_word_embeddings: true,
    attention_bias: false,
    rope_scaling: { rope_type: 'linear', factor: 2 },
  },
  'gemma2 (soft-capping, sliding window, GeGLU)': {
    ...base,
    model_type: 'gemma2',
    hidden_activation: 'gelu_pytorch_tanh',
    query_pre_attn_scalar: 24,
    attn_logit_softcapping: 0.05,
    final_logit_softcapping: 0.3,
    sliding_window: 5,
  },
  'gemma3 (q/k norm, local rope, 1 global in 2)': {
    ...base,
    model_type: 'gemma3_text',
    hidden_activation: 'gelu_pytorch_tanh',
    query_pre_attn_scalar: 16,
    sliding_window: 5,
    sliding_window_pattern: 2,
    rope_theta: 1000000,
    rope_local_base_freq: 10000,
    rope_scaling: { rope_type: 'linear', factor: 2 },
  },
  'phi3 (fused qkv and gate/up)': { ...base, model_type: 'phi3', tie_word_embeddings: false },
};

/** Seeded tensors in Hugging Face naming: std 0.02, norms at 1 (Gemma stores w with (1 + w): 0). */
export function archTensors(cfg: Record<string, unknown>, seed: number): Map<string, Tensor> {
  const normal = normalSampler(seed);
  const t = String(cfg.model_type);
  const gemma = t.startsWith('gemma');
  const H = base.hidden_size,
    I = base.intermediate_size,
    V = base.vocab_size,
    hd = base.head_dim;
  const q = base.num_attention_heads * hd,
    kv = base.num_key_value_heads * hd;
  const m = new Map<string, Tensor>();
  const rand = (dims: number[]) =>
    new Tensor(
      'float32',
      Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => normal() * 0.02),
      dims,
    );
  const norm = (n: number) => new Tensor('float32', new Float32Array(n).fill(gemma ? 0 : 1), [n]);
  m.set('model.embed_tokens.weight', rand([V, H]));
  for (let i = 0; i < base.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, norm(H));
    if (t === 'phi3') m.set(`${p}self_attn.qkv_proj.weight`, rand([q + 2 * kv, H]));
    else
      for (const [n, d] of [
        ['q', q],
        ['k', kv],
        ['v', kv],
      ] as const)
        m.set(`${p}self_attn.${n}_proj.weight`, rand([d, H]));
    if (t === 'qwen2')
      for (const [n, d] of [
        ['q', q],
        ['k', kv],
        ['v', kv],
      ] as const)
        m.set(`${p}self_attn.${n}_proj.bias`, rand([d]));
    if (t === 'qwen3' || t === 'gemma3_text') {
      m.set(`${p}self_attn.q_norm.weight`, norm(hd));
      m.set(`${p}self_attn.k_norm.weight`, norm(hd));
    }
    m.set(`${p}self_attn.o_proj.weight`, rand([H, q]));
    m.set(`${p}post_attention_layernorm.weight`, norm(H));
    if (gemma) {
      m.set(`${p}pre_feedforward_layernorm.weight`, norm(H));
      m.set(`${p}post_feedforward_layernorm.weight`, norm(H));
    }
    if (t === 'phi3') m.set(`${p}mlp.gate_up_proj.weight`, rand([2 * I, H]));
    else {
      m.set(`${p}mlp.gate_proj.weight`, rand([I, H]));
      m.set(`${p}mlp.up_proj.weight`, rand([I, H]));
    }
    m.set(`${p}mlp.down_proj.weight`, rand([H, I]));
  }
  m.set('model.norm.weight', norm(H));
  if (cfg.tie_word_embeddings === false) m.set('lm_head.weight', rand([V, H]));
  return m;
}

export interface OracleOut {
  prompt_logits: number[][];
  greedy: number[];
  step_logits: number[][];
}
export const PROMPT = [1, 17, 42, 99, 7, 63, 5, 120];
export const STEPS = 64;

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A seeded checkpoint of an architecture in a folder, and the oracle's answer on it. */
export function oracleCase(
  cfg: Record<string, unknown>,
  seed: number,
  steps = STEPS,
): { dir: string; oracle: OracleOut } {
  const dir = tmp('sy-arch-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(archTensors(cfg, seed)));
  const oracle = JSON.parse(
    execFileSync(PYTHON!, [ORACLE, dir, JSON.stringify(PROMPT), String(steps)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as OracleOut;
  return { dir, oracle };
}
