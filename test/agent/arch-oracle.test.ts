// Every decoder architecture against an independent oracle: the same seeded checkpoint (Hugging
// Face names, weights drawn at a trained model's scale: std 0.02, norms at 1) run by
// test/oracle/llm_oracle.py, a plain-PyTorch float64 implementation written from the models'
// definitions. Checked on the reference interpreter and on WASM: the prompt's logits (full graph
// and cached prefill) within 1e-3, the same 64 greedy tokens, and the logits before each of them.
// Covers Llama 3.x (llama3 rope scaling, tied embeddings), Mistral (sliding window), Qwen2 (q/k/v
// bias, yarn), Qwen3 (q/k norm, linear scaling), Gemma 2 (soft-capping, sliding window on
// alternate layers, embedding scaling, sandwich norms, GeGLU), Gemma 3 (q/k norm, local RoPE base,
// 1-in-N global layers) and Phi-3 (fused qkv and gate/up).

import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../src/index.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { buildFullGraph } from '../../src/agent/llm/model.js';
import { normalSampler } from '../../src/agent/llm/synthetic.js';
import type { Device } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { WasmDevice } from '../../src/backends/wasm/index.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tmp } from './helpers.js';

const ORACLE = join(fileURLToPath(import.meta.url), '../../../../test/oracle/llm_oracle.py');
// the first python that has torch (a pyenv python3 on PATH may lack Debian's python3-torch)
const PYTHON = ['python3', '/usr/bin/python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
);
const SKIP = PYTHON
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
const ARCHS: Record<string, Record<string, unknown>> = {
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
function archTensors(cfg: Record<string, unknown>, seed: number): Map<string, Tensor> {
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

interface OracleOut {
  prompt_logits: number[][];
  greedy: number[];
  step_logits: number[][];
}
const PROMPT = [1, 17, 42, 99, 7, 63, 5, 120];
const STEPS = 64;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('decoder architectures against a plain-PyTorch oracle (logits within 1e-3, 64 greedy tokens)', {
  skip: SKIP,
}, () => {
  const devices: [string, () => Promise<Device>][] = [
    ['reference', async () => new ReferenceDevice()],
    ['wasm', () => WasmDevice.create({ threads: 2 })],
  ];
  const made: Device[] = [];
  before(() => {});
  after(async () => {
    for (const d of made) await (d as { dispose?: () => Promise<void> }).dispose?.();
  });
  let seed = 100;
  for (const [name, cfg] of Object.entries(ARCHS)) {
    const s = seed++;
    it(name, async () => {
      const dir = tmp('sy-arch-');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
      writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(archTensors(cfg, s)));
      const oracle = JSON.parse(
        execFileSync(PYTHON!, [ORACLE, dir, JSON.stringify(PROMPT), String(STEPS)], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
        }),
      ) as OracleOut;
      const model = await loadLlm(dir);
      // the plain full-sequence graph on the reference interpreter
      const full = interpret(buildFullGraph(model.config, model.weights, PROMPT.length), [
        new Tensor('int64', BigInt64Array.from(PROMPT.map(BigInt)), [1, PROMPT.length]),
      ])[0]!;
      const dFull = maxDiff(full.data as Float32Array, oracle.prompt_logits.flat());
      assert.ok(dFull < 1e-3, `${name}: full graph logits differ by ${dFull}`);
      for (const [dname, make] of devices) {
        const dev = await make();
        made.push(dev);
        const engine = new LlmEngine(model, { prefill: dev, capacity: 128 });
        const r = await engine.generate(PROMPT, { maxTokens: STEPS, temperature: 0, ignoreEos: true }).collect();
        assert.deepEqual(r.tokens, oracle.greedy, `${name} on ${dname}: greedy tokens`);
        // teacher-forced along the oracle's path: the logits before each greedy token
        const rows = await engine.score([...PROMPT, ...oracle.greedy.slice(0, STEPS - 1)], PROMPT.length);
        let worst = 0;
        rows.forEach((row, i) => {
          worst = Math.max(worst, maxDiff(row, oracle.step_logits[i]!));
        });
        assert.ok(worst < 1e-3, `${name} on ${dname}: cached logits differ from the oracle's by up to ${worst}`);
        console.log(
          `# ${name} on ${dname}: full-graph logits ${dFull.toExponential(1)}, cached ${worst.toExponential(1)} from the oracle; ${STEPS} greedy tokens equal`,
        );
        engine.dispose();
      }
    });
  }
});
