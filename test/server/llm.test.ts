// The offload server serving LLM nodes (`serve --llm`), over loopback: /v1/models and /v1/info
// figures, JSON and streamed completions equal to the local engine's, tools in the prompt, token
// ids, auth, bad requests (each a JSON error with its status, a stream's early errors included),
// body limits, the deadline refusal, CORS, metrics, a client that leaves mid-stream, and a server
// without models.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { modelFingerprint } from '../../src/agent/llm/fingerprint.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { EngineProvider } from '../../src/agent/nodes/models.js';
import { sseEvents } from '../../src/agent/nodes/remote-llm.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { InfoSchema } from '../../src/protocol/schemas.js';
import type { OffloadServer } from '../../src/server/app.js';
import { writeTinyModel } from '../agent/helpers.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const files = writeTinyModel('llama', 11, { contextLength: 384 });
let server: OffloadServer;
let bare: OffloadServer;
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };
const post = (body: unknown, headers: Record<string, string> = {}, base = server.url) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, ...json, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const ask = {
  model: 'tiny',
  messages: [{ role: 'user', content: 'the quick fox' }],
  max_tokens: 8,
  temperature: 0.9,
  seed: 5,
};
type Chunk = {
  choices: { delta: { content?: string; role?: string }; finish_reason: string | null; token_ids?: number[] }[];
  usage?: { completion_tokens: number };
};

async function sse(res: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const events: string[] = [];
  for await (const e of sseEvents(res.body!)) events.push(e);
  const done = events[events.length - 1] === '[DONE]';
  return { chunks: events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e) as Chunk), done };
}

before(async () => {
  server = await testServer({
    llms: [{ name: 'tiny', path: files.dir }],
    llmCapacity: 384,
    corsOrigins: ['http://app.example'],
    maxBodyMb: 0.05,
  });
  bare = await testServer();
});
after(async () => {
  await server.close();
  await bare.close();
});

describe('serve --llm: the OpenAI-compatible route on the offload server', () => {
  it('GET /v1/models and /v1/info list the model with its fingerprint and measured TTFT/TPOT', async () => {
    const models = (await (await fetch(`${server.url}/v1/models`, { headers: auth })).json()) as {
      data: {
        id: string;
        switchyard: { fingerprint: string; prefill: { buckets: number[]; ms: number[] }; tpotMs: number };
      }[];
    };
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['tiny'],
    );
    const fp = await modelFingerprint(await loadLlm(files.dir));
    assert.equal(
      models.data[0]!.switchyard.fingerprint,
      fp,
      'the same weights give the same fingerprint on both sides',
    );
    const info = InfoSchema.parse(await (await fetch(`${server.url}/v1/info`, { headers: auth })).json());
    const l = info.llms![0]!;
    assert.equal(l.id, 'tiny');
    assert.equal(l.capacity, 384);
    assert.equal(l.prefill.ms.length, l.prefill.buckets.length);
    assert.ok(l.prefill.ms.every((x) => x > 0) && l.tpotMs > 0, 'measured at load');
    assert.equal(info.llmQueue!.concurrency, 16, 'continuous batching: 16 slots by default');
    assert.deepEqual(l.batching!.sizes, [1, 2, 4, 8, 16]);
    assert.ok(
      l.batching!.tpotMs.every((x) => x > 0),
      'TPOT measured at every batch size',
    );
  });

  it("a JSON completion has the local engine's text, usage and timings", async () => {
    const res = await post(ask);
    assert.equal(res.status, 200);
    const j = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: { completion_tokens: number; prompt_tokens: number };
    };
    const local = new EngineProvider(await loadLlm(files.dir), { prefill: new ReferenceDevice('cpu'), capacity: 384 });
    const direct = await local
      .chat({ messages: ask.messages as never, maxTokens: 8, temperature: 0.9, seed: 5 })
      .collect();
    assert.equal(j.choices[0]!.message.content, direct.text);
    assert.equal(j.usage.completion_tokens, direct.tokens.length);
    assert.equal(j.usage.prompt_tokens, direct.promptTokens);
  });

  it('a streamed completion: SSE chunks with token ids that add up to the JSON answer, usage, [DONE]', async () => {
    const whole = ((await (await post(ask)).json()) as { choices: { message: { content: string } }[] }).choices[0]!
      .message.content;
    const res = await post({ ...ask, stream: true, stream_options: { include_usage: true }, return_token_ids: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const { chunks, done } = await sse(res);
    assert.ok(done, 'ends with [DONE]');
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), whole);
    const ids = chunks.flatMap((c) => c.choices[0]?.token_ids ?? []);
    assert.equal(ids.length, chunks[chunks.length - 1]!.usage!.completion_tokens, 'one id per generated token');
  });

  it('tools go into the prompt the model sees', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const plain = (await (await post(ask)).json()) as { usage: { prompt_tokens: number } };
    const withTools = (await (await post({ ...ask, tools })).json()) as { usage: { prompt_tokens: number } };
    assert.ok(withTools.usage.prompt_tokens > plain.usage.prompt_tokens);
  });

  it('auth: the chat route and the model list answer 401 JSON without the token', async () => {
    for (const r of [
      await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify(ask) }),
      await fetch(`${server.url}/v1/models`),
      await post(ask, { authorization: 'Bearer wrong-token' }),
    ]) {
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'unauthorized');
    }
  });

  it('bad requests are JSON errors with their status, before any stream starts', async () => {
    const cases: [Response, number, RegExp][] = [
      [await post({ ...ask, temperature: 5 }), 400, /temperature/],
      [await post('{"model": '), 400, /not JSON/],
      [await post({ ...ask, model: 'gpt-9' }), 404, /model 'gpt-9' is not served here \(models: tiny\)/],
      [
        await post({ ...ask, stream: true, messages: [{ role: 'user', content: 'the fox runs '.repeat(150) }] }),
        400,
        /exceeds the context length 384/,
      ],
      [await post(ask, { 'content-type': 'text/plain' }), 415, /takes application\/json/],
      [await post({ ...ask, messages: [{ role: 'user', content: 'x'.repeat(60_000) }] }), 413, /larger than/],
      [await post(ask, { 'switchyard-deadline-ms': 'soon' }), 400, /switchyard-deadline-ms/],
    ];
    for (const [res, status, msg] of cases) {
      assert.equal(res.status, status, `${status} ${msg}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, msg);
    }
  });

  it('a deadline the model cannot meet is refused at once with 503 and Retry-After', async () => {
    const res = await post({ ...ask, max_tokens: 60 }, { 'switchyard-deadline-ms': '1' });
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    const e = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'deadline_unmeetable');
    assert.match(e.error.message, /cannot finish within the 1 ms deadline/);
  });

  it('CORS: an allowed origin gets the preflight and the stream', async () => {
    const pre = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://app.example');
    const res = await post({ ...ask, stream: true }, { origin: 'http://app.example' });
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.ok((await sse(res)).done);
    const other = await post(ask, { origin: 'http://evil.example' });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    await other.body?.cancel();
  });

  it('a client that leaves mid-stream stops the generation; the server goes on serving', async () => {
    const res = await post({ ...ask, stream: true, max_tokens: 300, ignore_eos: true }, {});
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const again = await post(ask);
    assert.equal(again.status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /switchyard_llm_tokens_total\{model="tiny",kind="completion"\} \d+/);
    assert.match(
      metrics,
      /switchyard_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} \d+/,
    );
    assert.match(metrics, /switchyard_llm_ttft_seconds_count\{model="tiny"\} \d+/);
    assert.match(metrics, /switchyard_llm_completions_total\{model="tiny",finish="client_gone"\} 1/);
  });

  it('a server without models says so: 404 JSON on the chat route, an empty model list', async () => {
    const res = await post(ask, {}, bare.url);
    assert.equal(res.status, 404);
    assert.match(
      ((await res.json()) as { error: { message: string } }).error.message,
      /serves no language models; start it with --llm name=path/,
    );
    const list = (await (await fetch(`${bare.url}/v1/models`, { headers: auth })).json()) as { data: unknown[] };
    assert.deepEqual(list.data, []);
    const info = InfoSchema.parse(await (await fetch(`${bare.url}/v1/info`, { headers: auth })).json());
    assert.equal(info.llms, undefined);
  });
});
