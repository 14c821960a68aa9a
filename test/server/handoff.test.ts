// Prefill/decode disaggregation across two servers on loopback: the prefill server answers
// POST /v1/llm/prefill with a KV blob address and the first token; the decode server, given
// switchyard_kv, fetches the blob from the prefill server (GET /v1/blobs/{sha256}), checks it and
// decodes. The completion equals one server's, text and token ids, greedy and seeded; a blob of
// other weights is refused (400), an address nobody can serve is 404.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { sseEvents } from '../../src/agent/nodes/remote-llm.js';
import type { OffloadServer } from '../../src/server/app.js';
import { writeTinyModel } from '../agent/helpers.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const files = writeTinyModel('llama', 17, { contextLength: 256 });
const other = writeTinyModel('llama', 18, { contextLength: 256 });
let pre: OffloadServer, dec: OffloadServer, wrong: OffloadServer;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

async function streamIds(res: Response): Promise<{ ids: number[]; text: string }> {
  assert.equal(res.status, 200);
  const ids: number[] = [];
  let text = '';
  for await (const e of sseEvents(res.body!)) {
    if (e === '[DONE]') break;
    const c = JSON.parse(e) as { choices: { token_ids?: number[]; delta: { content?: string } }[] };
    ids.push(...(c.choices[0]?.token_ids ?? []));
    text += c.choices[0]?.delta.content ?? '';
  }
  return { ids, text };
}

before(async () => {
  const o = { llmCapacity: 128 };
  [pre, dec, wrong] = await Promise.all([
    testServer({ ...o, llms: [{ name: 'tiny', path: files.dir }] }),
    testServer({ ...o, llms: [{ name: 'tiny', path: files.dir }] }),
    testServer({ ...o, llms: [{ name: 'tiny', path: other.dir }] }),
  ]);
});
after(async () => {
  await Promise.all([pre.close(), dec.close(), wrong.close()]);
});

describe('prefill/decode disaggregation across two servers', () => {
  for (const sampling of [{ temperature: 0 }, { temperature: 0.9, seed: 21 }]) {
    it(`the split completion equals one server's (${JSON.stringify(sampling)})`, async () => {
      const ask = {
        model: 'tiny',
        messages: [{ role: 'user', content: 'the quick brown fox jumps over the lazy dog' }],
        max_tokens: 12,
        ...sampling,
        ignore_eos: true,
        stream: true,
        return_token_ids: true,
      };
      const one = await streamIds(await post(dec.url, '/v1/chat/completions', ask));
      const h = (await (await post(pre.url, '/v1/llm/prefill', ask)).json()) as {
        kv: { sha256: string; bytes: number; positions: number };
        first_token: { id: number; stop: boolean };
      };
      assert.match(h.kv.sha256, /^[0-9a-f]{64}$/);
      assert.ok(h.kv.bytes > 0 && h.kv.positions > 0);
      const split = await streamIds(
        await post(dec.url, '/v1/chat/completions', {
          ...ask,
          switchyard_kv: { sha256: h.kv.sha256, from: pre.url, first_token: h.first_token.id },
        }),
      );
      assert.equal(h.first_token.id, one.ids[0], 'the prefill server sampled the first token one server samples');
      assert.deepEqual([h.first_token.id, ...split.ids], one.ids, 'the decode server continues with the same tokens');
      assert.equal(split.text, one.text, 'and the answer text is the same, the first token included');
      const m = await (await fetch(`${dec.url}/metrics`, { headers })).text();
      assert.match(m, /switchyard_bytes_total\{direction="in",kind="kv"\} [1-9]/, 'the decode server fetched the blob');
    });
  }

  it('a blob of other weights is refused; an address no server holds is 404', async () => {
    const ask = { model: 'tiny', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, temperature: 0 };
    const h = (await (await post(pre.url, '/v1/llm/prefill', ask)).json()) as {
      kv: { sha256: string };
      first_token: { id: number };
    };
    const res = await post(wrong.url, '/v1/chat/completions', {
      ...ask,
      switchyard_kv: { sha256: h.kv.sha256, from: pre.url, first_token: h.first_token.id },
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /made by model/);
    const none = await post(dec.url, '/v1/chat/completions', {
      ...ask,
      switchyard_kv: { sha256: 'f'.repeat(64), first_token: 1 },
    });
    assert.equal(none.status, 404);
  });
});
