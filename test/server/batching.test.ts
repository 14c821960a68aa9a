// Continuous batching on the offload server, over loopback: 16 concurrent greedy streams give the
// tokens one-at-a-time completions give on an unbatched server, and did share decode steps
// (the batch-rows histogram); a TTFT target the queue cannot meet is refused (429 slo_unmeetable)
// before any work; a client that leaves mid-stream frees its slot for the next completion. The
// batched server is throttled (--slow-ms 20 a step) so the timings do not hang on the machine.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { sseEvents } from '../../src/agent/nodes/remote-llm.js';
import { InfoSchema } from '../../src/protocol/schemas.js';
import type { OffloadServer } from '../../src/server/app.js';
import { writeTinyModel } from '../agent/helpers.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const files = writeTinyModel('llama', 13, { contextLength: 256 });
let batched: OffloadServer;
let single: OffloadServer;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const ask = (i: number) => ({
  model: 'tiny',
  messages: [{ role: 'user', content: `stream ${i}: the quick brown fox ${'jumps '.repeat(i % 5)}` }],
  max_tokens: 10,
  temperature: 0,
  stream: true,
  return_token_ids: true,
});

async function streamIds(base: string, body: unknown, extra: Record<string, string> = {}): Promise<number[]> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, ...extra },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const ids: number[] = [];
  for await (const e of sseEvents(res.body!)) {
    if (e === '[DONE]') break;
    const c = JSON.parse(e) as { choices: { token_ids?: number[] }[] };
    ids.push(...(c.choices[0]?.token_ids ?? []));
  }
  return ids;
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers })).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const info = async (base: string) => InfoSchema.parse(await (await fetch(`${base}/v1/info`, { headers })).json());

before(async () => {
  batched = await testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 192, llmBatch: 16, slowMs: 20 });
  single = await testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 192, llmBatch: 1 });
});
after(async () => {
  await batched.close();
  await single.close();
});

describe('serve --llm-batch: continuous batching behind the chat route', () => {
  it('16 concurrent greedy streams give the tokens of one-at-a-time completions on an unbatched server', async () => {
    const want: number[][] = [];
    for (let i = 0; i < 16; i++) want.push(await streamIds(single.url, ask(i)));
    assert.equal((await info(single.url)).llmQueue!.concurrency, 1);
    const got = await Promise.all(Array.from({ length: 16 }, (_, i) => streamIds(batched.url, ask(i))));
    got.forEach((ids, i) => assert.deepEqual(ids, want[i], `stream ${i}`));
    assert.ok(want.every((w) => w.length > 0));
    const count = await metric(batched.url, 'switchyard_llm_batch_rows_count');
    const sum = await metric(batched.url, 'switchyard_llm_batch_rows_sum');
    assert.equal(count, 16);
    assert.ok(sum / count >= 4, `the completions shared decode steps (mean batch ${(sum / count).toFixed(1)})`);
  });

  it('a TTFT target the queue cannot meet gets 429 slo_unmeetable before any work; the same target is met when idle', async () => {
    const target = { 'switchyard-ttft-ms': '400' };
    assert.equal(
      (
        await fetch(`${batched.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { ...headers, ...target },
          body: JSON.stringify({ ...ask(2), stream: false }),
        })
      ).status,
      200,
    );
    // every slot busy with long completions (100 tokens at >= 20 ms a step: seconds) and a queue behind
    const ac = new AbortController();
    const busy = Array.from({ length: 24 }, (_, i) =>
      fetch(`${batched.url}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...ask(i), max_tokens: 100 }),
        signal: ac.signal,
      }).catch(() => undefined),
    );
    for (let k = 0; k < 200 && (await info(batched.url)).llmQueue!.depth < 4; k++)
      await new Promise((r) => setTimeout(r, 10));
    assert.ok((await info(batched.url)).llmQueue!.depth >= 4, 'a queue formed');
    const res = await fetch(`${batched.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, ...target },
      body: JSON.stringify({ ...ask(3), stream: false }),
    });
    const body = (await res.json()) as { error: { code: string; message: string; predictedTtftMs: number } };
    ac.abort();
    await Promise.all(busy);
    assert.equal(res.status, 429);
    assert.equal(body.error.code, 'slo_unmeetable');
    assert.ok(body.error.predictedTtftMs > 400, body.error.message);
    assert.ok(res.headers.get('retry-after'));
  });

  it('a client that leaves mid-stream frees its slot within a step', async () => {
    for (let k = 0; k < 100 && (await info(batched.url)).llmQueue!.running > 0; k++)
      await new Promise((r) => setTimeout(r, 20));
    const ac = new AbortController();
    const res = await fetch(`${batched.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...ask(4), max_tokens: 110 }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal((await info(batched.url)).llmQueue!.running, 1);
    ac.abort();
    let running = 1;
    for (let k = 0; k < 50 && running; k++) {
      await new Promise((r) => setTimeout(r, 10));
      running = (await info(batched.url)).llmQueue!.running;
    }
    assert.equal(running, 0, 'the slot is free again');
    assert.ok((await streamIds(batched.url, ask(5))).length > 0, 'and the next completion is served');
  });
});
