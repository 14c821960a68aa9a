// The router's view of its members through the streams it proxies, on fake OpenAI-compatible
// members with given figures (no model): a member that answers 400 context_length_exceeded passes
// the request on to the next pick; the tokens streamed through the proxy are each completion's
// progress (the wait predicted for the next request there shrinks as they come); a member that
// streams at twice its TPOT figure gets a TPOT scale above 1; x-switchyard-decision says what the
// router predicted.

import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { ServingFigures } from '../../src/planner/fleet/serving.js';
import { startRouter } from '../../src/server/router.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const figures: ServingFigures = { prefill: { buckets: [16, 64], ms: [10, 20] }, tpotMs: 20 };

/** A fake member: `tooSmall` answers every completion with a 400; else `tokens` content deltas `gapMs` apart. */
async function member(o: { tooSmall?: boolean; gapMs?: number }): Promise<{ url: string; close(): void }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { max_tokens: number };
    if (o.tooSmall) {
      const error = { code: 'context_length_exceeded', message: 'no room in 32 positions', type: 'x' };
      return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}\n\n`);
    for (let i = 0; i < body.max_tokens; i++) {
      await sleep(o.gapMs ?? 5);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x' } }] })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const closers: (() => unknown)[] = [];
after(async () => {
  for (const c of closers) await c();
});

const post = (url: string, maxTokens: number) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'switchyard-ttft-ms': '60000', 'switchyard-tpot-ms': '60000' },
    body: JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: maxTokens,
      stream: true,
    }),
  });

describe('the router through the streams it proxies', () => {
  it('a member too small for the prompt passes the request on; the decision header names the try', async () => {
    const small = await member({ tooSmall: true });
    const big = await member({});
    closers.push(small.close, big.close);
    const r = await startRouter({
      policy: 'router',
      members: [
        { url: small.url, pricePerHour: 0.1, name: 'small', figures, slots: 8 },
        { url: big.url, pricePerHour: 5, name: 'big', figures, slots: 8 },
      ],
    });
    closers.push(r.close);
    const res = await post(r.url, 3);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-switchyard-member'), 'big');
    assert.match(res.headers.get('x-switchyard-decision') ?? '', /tries=2/);
    assert.match(await res.text(), /\[DONE\]/);
  });

  it('streamed tokens are progress: the predicted wait shrinks; a slow stream raises the TPOT scale', async () => {
    const one = await member({ gapMs: 40 }); // twice its 20 ms figure
    closers.push(one.close);
    const r = await startRouter({
      policy: 'router',
      members: [{ url: one.url, pricePerHour: 1, name: 'one', figures, slots: 1 }],
    });
    closers.push(r.close);
    const m = r.router.members[0]!;
    const done = post(r.url, 20).then((res) => res.text());
    while (!m.running.length) await sleep(2);
    const early = r.router.pick({ promptTokens: 8, maxTokens: 2 }).predicted.waitMs;
    for (let k = 0; k < 500 && m.running[0]!.tokens < 10; k++) await sleep(5);
    assert.ok(m.running[0]!.tokens >= 10, `${m.running[0]!.tokens} tokens counted`);
    const later = r.router.pick({ promptTokens: 8, maxTokens: 2 }).predicted.waitMs;
    // 10 tokens streamed of 20: about 10 × 20 ms less to wait (the figures' TPOT; the scale is learned at the end)
    assert.ok(later < early - 150, `wait ${early} then ${later}`);
    assert.match(await done, /\[DONE\]/);
    await sleep(20);
    assert.equal(m.running.length, 0);
    assert.ok(m.tpotScale > 1.2, `TPOT scale ${m.tpotScale}`);
  });
});
