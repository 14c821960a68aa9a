// The benchmark's checkpoints: one seeded Llama-shaped model written as GGUF (Q8_0, Q4_0, Q4_K,
// Q6_K or F16 linear weights; embeddings and norms F32) and as a Hugging Face folder with f16
// safetensors. Weights are drawn at a trained model's scale (std 0.02, norms near 1); the GGUF
// carries a SentencePiece-style vocabulary (byte tokens and placeholders) so llama.cpp loads it.
// Files are cached by shape, seed and type under the cache folder, so a rerun does not redraw them.

import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlmConfig } from '../../src/agent/llm/config.js';
import { hfConfigJson, hfToGguf, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import type { GgmlBlockType } from '../../src/frontend/weights/gguf-blocks.js';
import { writeGguf } from '../../src/frontend/weights/gguf-write.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { f32ToF16 } from '../../src/ir/float16.js';
import { Tensor } from '../../src/ir/tensor.js';

export type WeightType = GgmlBlockType | 'F16';

const VOCAB = 32000;
/** Shapes: '1b' is TinyLlama-1.1B's; the smaller ones keep its head size, GQA ratio and vocabulary. */
export const SIZES: Record<string, Partial<LlmConfig>> = {
  '1b': { hiddenSize: 2048, numLayers: 22, numHeads: 32, numKvHeads: 4, intermediateSize: 5632 },
  '400m': { hiddenSize: 1536, numLayers: 12, numHeads: 24, numKvHeads: 4, intermediateSize: 4096 },
  '150m': { hiddenSize: 1024, numLayers: 8, numHeads: 16, numKvHeads: 4, intermediateSize: 2816 },
  '40m': { hiddenSize: 512, numLayers: 4, numHeads: 8, numKvHeads: 2, intermediateSize: 1536 },
};

export function benchConfig(size: string): LlmConfig {
  const s = SIZES[size];
  if (!s) throw new Error(`--size ${size}: one of ${Object.keys(SIZES).join(', ')}`);
  return llamaConfig({
    ...s,
    vocabSize: VOCAB,
    headDim: 64,
    contextLength: 2048,
    normEps: 1e-5,
    ropeTheta: 10000,
    bosTokenId: 1,
    eosTokenId: 2,
  });
}

/** SentencePiece-style vocabulary: <unk>, <s>, </s>, 256 byte tokens, then placeholders. */
function spmVocab(n: number): Record<string, unknown> {
  const tokens = ['<unk>', '<s>', '</s>'],
    types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  while (tokens.length < n) {
    tokens.push(`\u2581t${tokens.length}`);
    types.push(1);
  }
  return {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': tokens,
    // non-integer, so the writer stores them as f32
    'tokenizer.ggml.scores': tokens.map((_, i) => -i - 0.5),
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.bos_token_id': 1,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.add_bos_token': false,
  };
}

export interface BenchFiles {
  config: LlmConfig;
  gguf: Partial<Record<WeightType, string>>;
  /** Hugging Face folder (config.json + f16 model.safetensors). */
  hfDir?: string;
}

let tensors: Map<string, Tensor> | undefined;
const draw = (c: LlmConfig, seed: number) => {
  if (!tensors) {
    tensors = syntheticHfTensors(c, seed, 0.02, 0.02);
    // the synthetic q/k and output projections are drawn at std 0.3; bring them to 0.02 as well
    for (const [name, x] of tensors)
      if (/q_proj|k_proj|lm_head/.test(name))
        tensors.set(
          name,
          new Tensor(
            'float32',
            (x.data as Float32Array).map((v) => v / 15),
            x.dims,
          ),
        );
  }
  return tensors;
};

const writeAtomic = (path: string, bytes: Uint8Array) => {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
};

/** Write (or reuse) the checkpoints the run needs. */
export function prepareFiles(
  size: string,
  types: WeightType[],
  hf: boolean,
  cacheDir: string,
  seed = 7,
  log = console.log,
): BenchFiles {
  const config = benchConfig(size);
  const dir = join(cacheDir, `llama-${size}-s${seed}-v2`);
  mkdirSync(dir, { recursive: true });
  const out: BenchFiles = { config, gguf: {} };
  for (const type of types) {
    const path = join(dir, `model-${type}.gguf`);
    if (!existsSync(path)) {
      const t0 = performance.now();
      const { metadata, tensors: ts } = hfToGguf(config, draw(config, seed), type);
      writeAtomic(path, writeGguf({ ...metadata, 'general.name': `bench-llama-${size}`, ...spmVocab(VOCAB) }, ts));
      log(`(wrote ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    out.gguf[type] = path;
  }
  if (hf) {
    const hfDir = join(dir, 'hf-f16');
    if (!existsSync(join(hfDir, 'model.safetensors'))) {
      mkdirSync(hfDir, { recursive: true });
      const f16 = new Map<string, Tensor>();
      for (const [name, t] of draw(config, seed)) {
        const src = t.data as Float32Array,
          h = new Uint16Array(src.length);
        for (let i = 0; i < src.length; i++) h[i] = f32ToF16(src[i]!);
        f16.set(name, new Tensor('float16', h, t.dims));
      }
      writeFileSync(join(hfDir, 'config.json'), JSON.stringify({ ...hfConfigJson(config), torch_dtype: 'float16' }));
      writeAtomic(join(hfDir, 'model.safetensors'), writeSafetensors(f16));
    }
    out.hfDir = hfDir;
  }
  tensors = undefined;
  return out;
}
