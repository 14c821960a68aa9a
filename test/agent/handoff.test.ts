// Prefill/decode disaggregation in the engine: one engine prefills and samples the first token,
// its KV rows travel as a blob (kv-blob.ts), another engine loads them and decodes; the tokens are
// those of one engine doing both, greedy and seeded, llama and gpt2, and a prompt longer than a
// prefill chunk. A blob from other weights is refused by fingerprint.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { decodeKv, encodeKv } from '../../src/agent/llm/kv-blob.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

function model(arch: 'llama' | 'gpt2', seed = 7): LlmModel {
  const c = tinyConfig(arch, { contextLength: 96 });
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, seed))],
    tokenizer: tinyTokenizerJson(),
  });
}

async function split(m: LlmModel, prompt: number[], opts: { temperature?: number; seed?: number }): Promise<void> {
  const o = { maxTokens: 10, ignoreEos: true, ...opts };
  const one = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
  const want = (await one.generate(prompt, o).collect()).tokens;
  const prefiller = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
  const p = await prefiller.prefillExport(prompt, o);
  const blob = encodeKv(p.kv, m.config, 'fp');
  const decoder = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
  await decoder.enableBatching({ maxBatch: 4 }); // an imported cache bypasses the loop
  const r = await decoder
    .generate(prompt, { ...o, kv: decodeKv(blob.bytes, m.config, 'fp'), resume: { tokens: [p.first] } })
    .collect();
  assert.equal(p.first, want[0]);
  assert.deepEqual(r.tokens, want);
  assert.throws(() => decodeKv(blob.bytes, m.config, 'other'), /made by model/);
}

describe('prefill/decode disaggregation: a KV hand-off between engines gives the same tokens', () => {
  const prompt = [5, 17, 33, 2, 9, 40, 41, 7, 8, 11, 60, 3];
  it('llama, greedy, a prompt of 12 tokens in chunks of 8', () => split(model('llama'), prompt, { temperature: 0 }));
  it('llama, seeded sampling (the first draw on the prefill side)', () =>
    split(model('llama', 3), prompt, { temperature: 0.9, seed: 4 }));
  it('gpt2, greedy', () => split(model('gpt2', 5), prompt.slice(0, 5), { temperature: 0 }));
});
