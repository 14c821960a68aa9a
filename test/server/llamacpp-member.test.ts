// The llama.cpp fleet member (bench/fleet-llamacpp.ts): node-llama-cpp's prebuilt CPU binary (a
// devDependency) behind the small OpenAI-compatible wrapper, on a tiny seeded GGUF written here
// (the project's GGUF writer, a BPE vocabulary trained here). It must answer an OpenAI chat
// completion, JSON and streamed, and be profiled by the router's probe (no /v1/info there). When
// the binary does not load on this machine the test fails and says so: it is never skipped.

import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LlamaCppMember, startLlamaCppMember } from '../../bench/fleet-llamacpp.js';
import { hfToGguf, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { ggufTokenizerMetadata, trainBpe } from '../../src/agent/llm/tokenizer.js';
import { writeGguf } from '../../src/frontend/weights/gguf.js';
import { FleetRouter } from '../../src/server/router.js';

const TOKEN = 'llamacpp-test';

function tinyGguf(): string {
  const corpus = ['The quick brown fox jumps over the lazy dog.', 'Agents call tools and read what they return.'];
  const tok = trainBpe(
    corpus.flatMap((s) => [s, s.toLowerCase()]),
    { vocabSize: 300 },
  );
  const vocab = Object.keys((tok as { model: { vocab: Record<string, number> } }).model.vocab).length;
  const config = llamaConfig({
    vocabSize: vocab,
    hiddenSize: 32,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 16,
    intermediateSize: 64,
    contextLength: 256,
    eosTokenId: 0,
    bosTokenId: 0,
  });
  const { metadata, tensors } = hfToGguf(config, syntheticHfTensors(config, 11), 'F32');
  const path = join(mkdtempSync(join(tmpdir(), 'sy-llamacpp-')), 'tiny.gguf');
  writeFileSync(path, writeGguf({ ...metadata, ...ggufTokenizerMetadata(tok, { eos: 0 }) }, tensors));
  return path;
}

describe('llama.cpp as a fleet member', () => {
  let member: LlamaCppMember;
  before(async () => {
    const path = tinyGguf();
    try {
      member = await startLlamaCppMember({ modelPath: path, token: TOKEN });
    } catch (e) {
      throw new Error(
        `node-llama-cpp (devDependency, prebuilt CPU binary @node-llama-cpp/linux-x64) did not load a ` +
          `${path}: ${(e as Error).message}. This test needs it; it is not skipped.`,
      );
    }
  });
  after(async () => {
    await member?.close();
  });
  const chat = (body: object) =>
    fetch(`${member.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'the quick brown fox' }], ...body }),
    });

  it('answers an OpenAI chat completion (JSON), greedy tokens the same twice', async () => {
    const answers = [];
    for (let k = 0; k < 2; k++) {
      const res = await chat({ max_tokens: 6, temperature: 0 });
      assert.equal(res.status, 200);
      const j = (await res.json()) as {
        object: string;
        choices: { message: { role: string; content: string }; token_ids: number[] }[];
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      assert.equal(j.object, 'chat.completion');
      assert.equal(j.choices[0]!.message.role, 'assistant');
      assert.equal(typeof j.choices[0]!.message.content, 'string');
      assert.equal(j.usage.completion_tokens, 6);
      assert.ok(j.usage.prompt_tokens > 0);
      answers.push(j.choices[0]!.token_ids);
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(answers[0]!.length, 6);
  });

  it('streams chat.completion.chunk events and ends with [DONE]; refuses a wrong token', async () => {
    const res = await chat({ max_tokens: 4, stream: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    assert.equal(events[events.length - 1], '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: { token_ids?: number[] }[] });
    assert.equal(chunks.flatMap((c) => c.choices[0]?.token_ids ?? []).length, 4);
    const bad = await fetch(`${member.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
  });

  it("is profiled by the router's probe (no /v1/info) and routed on those figures", async () => {
    const router = new FleetRouter('router', TOKEN);
    await router.add({ url: member.url, pricePerHour: 1, name: 'llama.cpp' });
    const m = router.members[0]!;
    assert.deepEqual(m.figures.prefill.buckets, [16, 64]);
    for (const x of [...m.figures.prefill.ms, m.figures.tpotMs]) assert.ok(x > 0 && Number.isFinite(x), `${x}`);
    assert.equal(m.slots, 1, 'one completion at a time');
    const p = router.pick({ promptTokens: 16, maxTokens: 8, ttftMs: 60_000, tpotMs: 60_000 });
    assert.equal(p.member.name, 'llama.cpp');
    assert.ok(p.predicted.meets && p.predicted.ttftMs > 0);
  });
});
