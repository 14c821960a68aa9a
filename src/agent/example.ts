// The example agent's models: nothing can be downloaded, so `npm start` makes them on first run,
// seeded (the same bytes every time): a byte-level BPE tokenizer trained on the example's
// documents, a small Llama-style chat model and a small encoder, written as Hugging Face folders
// (config.json, generation_config.json, model.safetensors, tokenizer.json) that the graph names like
// any real checkpoint.

import { writeSafetensors } from '../frontend/weights/safetensors.js';
import { exists, readText, resolveNear, writeBytes } from './files.js';
import type { LlmConfig } from './llm/config.js';
import { hfConfigJson, llamaConfig, syntheticHfTensors } from './llm/synthetic.js';
import { trainBpe } from './llm/tokenizer.js';

export const EXAMPLE_CHAT: Partial<LlmConfig> = {
  hiddenSize: 96,
  numLayers: 3,
  numHeads: 6,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 256,
  contextLength: 1024,
  tieWordEmbeddings: true,
};
export const EXAMPLE_EMBED: Partial<LlmConfig> = {
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 4,
  headDim: 16,
  intermediateSize: 128,
  contextLength: 256,
};

/** The question `npm start` asks and the demo page starts with (holds PII for the filter to redact). */
export const EXAMPLE_QUESTION =
  'Hi, I am jane@example.com. My parcel weighs 3 kg and goes to zone B. How much is shipping?';

const GENERAL = [
  'You are the support desk. Answer from the handbook excerpts and the quote.',
  'The parcel weighs 3 kg and goes to zone B. How much does shipping cost and how long does it take?',
  'Can I return an item after 30 days? What happens with refunds to my card?',
  'My email is jane@example.com and my phone is +44 20 7946 0958.',
];

/** Write the example's models beside `graphPath` unless they are there already; returns what it did. */
export async function prepareExampleModels(graphPath: string, log: (s: string) => void = () => {}): Promise<boolean> {
  const dir = resolveNear(graphPath, 'models');
  if ((await exists(`${dir}/chat/model.safetensors`)) && (await exists(`${dir}/embed/model.safetensors`))) return false;
  const docs = (await readText(resolveNear(graphPath, 'docs.jsonl')))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { text: string }).text);
  log('making the example models (seeded; nothing is downloaded)');
  const corpus = [...docs, ...GENERAL].flatMap((s) => [s, s.toLowerCase()]);
  const tokenizer = trainBpe(corpus, { vocabSize: 1024 });
  const vocab = Object.keys((tokenizer.model as { vocab: object }).vocab).length;
  // the chat model's small embeddings keep its next-token distribution flat enough to sample from
  const models: [string, LlmConfig, number, number][] = [
    ['chat', llamaConfig({ ...EXAMPLE_CHAT, vocabSize: vocab, eosTokenId: 0, bosTokenId: 0 }), 2024, 0.12],
    ['embed', llamaConfig({ ...EXAMPLE_EMBED, vocabSize: vocab, eosTokenId: 0, bosTokenId: 0 }), 7, 0.5],
  ];
  for (const [name, config, seed, embedStd] of models) {
    await writeBytes(`${dir}/${name}/config.json`, JSON.stringify(hfConfigJson(config), null, 1));
    await writeBytes(`${dir}/${name}/tokenizer.json`, JSON.stringify(tokenizer));
    // as a Hub checkpoint has it (no sampling defaults: requests decide)
    await writeBytes(`${dir}/${name}/generation_config.json`, JSON.stringify({ bos_token_id: 0, eos_token_id: 0 }));
    await writeBytes(
      `${dir}/${name}/model.safetensors`,
      writeSafetensors(syntheticHfTensors(config, seed, 0.08, embedStd), { format: 'pt', seed: String(seed) }),
    );
  }
  log(`wrote ${dir}/chat and ${dir}/embed (vocabulary ${vocab})`);
  return true;
}
