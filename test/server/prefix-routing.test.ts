// Prefix-aware routing: a batching server advertises the conversations it keeps in its prefix
// cache (GET /v1/info `prefixes`); the router predicts a next turn's TTFT on a member that holds
// its earlier turns from the uncached rest of the prompt only, and so sends it to a cheap member
// whose full prefill would miss the TTFT target, and keeps new conversations off it.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { conversationHash, type LlmInfo } from '../../src/protocol/llm.js';
import { FleetRouter, type RouteAsk } from '../../src/server/router.js';
import { writeTinyModel } from '../agent/helpers.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const figures = (prefillMs: number) => ({
  prefill: { buckets: [128], ms: [prefillMs] },
  tpotMs: 5,
  batching: { slots: 4, blockSize: 16, blocks: 64, sizes: [1, 4], tpotMs: [5, 6] },
});

describe('prefix-aware routing', () => {
  const turn1 = [
    { role: 'system', content: 'a long system prompt' },
    { role: 'user', content: 'first question' },
  ];
  const turn2 = [...turn1, { role: 'assistant', content: 'first answer' }, { role: 'user', content: 'and then?' }];
  const ask = (msgs: typeof turn1): RouteAsk => ({
    promptTokens: 1000,
    maxTokens: 8,
    ttftMs: 1000,
    prefixes: msgs.map((_, k) => conversationHash(msgs.slice(0, msgs.length - k))),
  });

  it('a cheap member holding the earlier turns gets the next turn; without them, the fast one', async () => {
    const r = new FleetRouter('router');
    const cheap = { ...figures(400), prefixes: [{ hash: conversationHash(turn2.slice(0, 3)), tokens: 990 }] };
    await r.add({ url: 'http://cheap.invalid', pricePerHour: 0.5, name: 'cheap', figures: cheap, slots: 4 });
    await r.add({ url: 'http://fast.invalid', pricePerHour: 4, name: 'fast', figures: figures(40), slots: 4 });
    // 1000 tokens: 8 chunks of 400 ms on the cheap one (3.2 s) miss the 1 s TTFT; 10 uncached tokens do not
    assert.equal(r.pick(ask(turn1)).member.name, 'fast', 'a new conversation: only the fast one meets TTFT');
    const p = r.pick(ask(turn2));
    assert.equal(p.member.name, 'cheap', 'the next turn: its prefix is cached on the cheap one');
    assert.ok(p.predicted.ttftMs < 1000, `predicted TTFT ${p.predicted.ttftMs} ms`);
    assert.equal(r.cachedTokens(r.members[1]!, ask(turn2)), 0);
    // what the router just sent somewhere counts there until the member's next report
    r.sentTo(r.members[1]!, ask(turn1));
    assert.equal(r.cachedTokens(r.members[1]!, ask(turn2)), 999, 'at most all but the last prompt token');
  });

  it('a batching server advertises the conversation it served, with and without the answer', async () => {
    const files = writeTinyModel('llama', 23, { contextLength: 256 });
    const s = await testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 96, llmBatch: 2 });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: 'tiny', messages: turn1, max_tokens: 5, temperature: 0 }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        choices: { message: { content: string } }[];
        usage: { prompt_tokens: number };
      };
      const info = (await (await fetch(`${s.url}/v1/info`, { headers })).json()) as { llms: LlmInfo[] };
      const ads = info.llms[0]!.prefixes ?? [];
      const answered = [...turn1, { role: 'assistant', content: body.choices[0]!.message.content }];
      assert.deepEqual(
        ads.map((a) => a.hash),
        [conversationHash(turn1), conversationHash(answered)],
      );
      assert.equal(ads[0]!.tokens, body.usage.prompt_tokens);
    } finally {
      await s.close();
    }
  });
});
