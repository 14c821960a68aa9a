// A fleet member that is not a Switchyard server (no /v1/info): the router profiles it with
// streamed probe completions (probeFigures): TTFT at two prompt lengths and TPOT from the times
// its tokens arrive, here from a fake OpenAI-compatible engine with a known first-token delay
// (1 ms per prompt character / 3 plus 40 ms) and 30 ms between tokens.

import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { FleetRouter } from '../../src/server/router.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('profiling an OpenAI-compatible member', () => {
  it('probe completions give TTFT per prompt length and TPOT; the router routes on them', async () => {
    const server = http.createServer(async (req, res) => {
      if (req.url !== '/v1/chat/completions') return res.writeHead(404).end();
      const chunks: Buffer[] = [];
      for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        messages: { content: string }[];
        max_tokens: number;
      };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      await sleep(40 + body.messages[0]!.content.length / 3);
      for (let i = 0; i < body.max_tokens; i++) {
        if (i) await sleep(30);
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x' } }] })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const router = new FleetRouter('router');
      await router.add({ url, pricePerHour: 1, name: 'engine' });
      const f = router.members[0]!.figures;
      assert.deepEqual(f.prefill.buckets, [16, 64]);
      assert.ok(f.prefill.ms[0]! >= 55 && f.prefill.ms[1]! >= 100, `TTFT ${f.prefill.ms}`);
      assert.ok(f.prefill.ms[1]! > f.prefill.ms[0]!, 'the longer prompt takes longer');
      assert.ok(f.tpotMs >= 28 && f.tpotMs < 120, `TPOT ${f.tpotMs}`);
      assert.equal(router.members[0]!.slots, 1);
      const p = router.pick({ promptTokens: 16, maxTokens: 10, tpotMs: 20 });
      assert.equal(p.predicted.meets, false, 'a 20 ms TPOT target is beyond it');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
