// Tiny seeded models, tokenizers and checkpoints written by the tests themselves.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlmConfig } from '../../src/agent/llm/config.js';
import { gpt2Config, hfConfigJson, hfToGguf, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { ggufTokenizerMetadata, trainBpe } from '../../src/agent/llm/tokenizer.js';
import { writeGguf } from '../../src/frontend/weights/gguf.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import type { Tensor } from '../../src/ir/tensor.js';

export const CORPUS = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.',
  'Switchyard runs agent graphs on the edge, in the browser and in the cloud.',
  'Retrieval finds the documents; the model reads them and answers the question.',
  'Tools are called with arguments, and their results go back to the model.',
  'Hello world! Hello there. héllo wörld. Numbers: 12 34 56 78 90.',
].flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]);

export function tmp(prefix = 'sy-agent-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let tokCache: Record<string, unknown> | undefined;
export function tinyTokenizerJson(): Record<string, unknown> {
  return (tokCache ??= trainBpe(CORPUS, { vocabSize: 360 }));
}
export function tokenizerVocab(): number {
  const j = tinyTokenizerJson() as { model: { vocab: Record<string, number> } };
  return Object.keys(j.model.vocab).length;
}

export function tinyConfig(arch: 'llama' | 'gpt2', over: Partial<LlmConfig> = {}): LlmConfig {
  const v = tokenizerVocab();
  return arch === 'llama'
    ? llamaConfig({ vocabSize: v, eosTokenId: 0, bosTokenId: 0, ...over })
    : gpt2Config({ vocabSize: v, ...over });
}

export interface TinyModelFiles {
  dir: string;
  config: LlmConfig;
  hf: Map<string, Tensor>;
  safetensors: string;
  gguf: (quant: 'F32' | 'F16' | 'Q8_0') => string;
}

/** A Hugging Face folder (config.json, model.safetensors, tokenizer.json) and GGUF writers. */
export function writeTinyModel(
  arch: 'llama' | 'gpt2',
  seed = 7,
  over: Partial<LlmConfig> = {},
  dir = tmp(),
): TinyModelFiles {
  const config = tinyConfig(arch, over);
  const hf = syntheticHfTensors(config, seed);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigJson(config)));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(hf));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  return {
    dir,
    config,
    hf,
    safetensors: join(dir, 'model.safetensors'),
    gguf: (quant) => {
      const { metadata, tensors } = hfToGguf(config, hf, quant);
      const p = join(dir, `model-${quant}.gguf`);
      writeFileSync(
        p,
        writeGguf({ ...metadata, ...ggufTokenizerMetadata(tinyTokenizerJson(), { eos: config.eosTokenId }) }, tensors),
      );
      return p;
    },
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
