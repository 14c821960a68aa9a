// The fleet router as a sidecar over two loopback servers of different speed and price (the slow one
// 100x cheaper, so its 30x longer busy time still costs less): with no
// target every completion goes to the cheap slow one; with a TPOT target only the fast one can
// keep, there; the proxied answer is the member's (streamed); GET /route names the member for nginx.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import type { OffloadServer } from '../../src/server/app.js';
import { startRouter } from '../../src/server/router.js';
import { writeTinyModel } from '../agent/helpers.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const files = writeTinyModel('llama', 19, { contextLength: 256 });
let slow: OffloadServer, fast: OffloadServer;
let router: Awaited<ReturnType<typeof startRouter>>;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const ask = { model: 'tiny', messages: [{ role: 'user', content: 'hello fox' }], max_tokens: 6, temperature: 0 };

before(async () => {
  [slow, fast] = await Promise.all([
    testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 64, llmBatch: 4, slowMs: 120 }),
    testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 64, llmBatch: 4, slowMs: 2 }),
  ]);
  router = await startRouter({
    policy: 'router',
    token: TOKEN,
    members: [
      { url: slow.url, pricePerHour: 0.04, name: 'slow' },
      { url: fast.url, pricePerHour: 4, name: 'fast' },
    ],
  });
});
after(async () => {
  await router.close();
  await slow.close();
  await fast.close();
});

describe('the fleet router sidecar', () => {
  it('no target: the cheap server; a TPOT target only the fast one keeps: the fast one', async () => {
    const cheap = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(ask),
    });
    assert.equal(cheap.status, 200);
    assert.equal(cheap.headers.get('x-switchyard-member'), 'slow');
    const direct = (await (
      await fetch(`${slow.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(ask) })
    ).json()) as { choices: { message: { content: string } }[] };
    const via = (await cheap.json()) as { choices: { message: { content: string } }[] };
    assert.equal(via.choices[0]!.message.content, direct.choices[0]!.message.content, "the member's answer, proxied");
    const quick = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, 'switchyard-tpot-ms': '60' },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    assert.equal(quick.status, 200);
    assert.equal(quick.headers.get('x-switchyard-member'), 'fast');
    assert.match(await quick.text(), /data: \[DONE\]/);
  });

  it('GET /route names the upstream for nginx (auth_request_set)', async () => {
    const r = await fetch(`${router.url}/route?prompt_tokens=10&max_tokens=8&tpot_ms=60`);
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('x-switchyard-upstream'), new URL(fast.url).host);
    const c = await fetch(`${router.url}/route?prompt_tokens=10&max_tokens=8`);
    assert.equal(c.headers.get('x-switchyard-upstream'), new URL(slow.url).host);
  });
});
