// The OpenAI-compatible chat route over the LLM runtime, served on loopback through a plain node:http
// adapter: JSON and streamed (SSE) completions, tool calls, errors, /v1/models, and an agent graph
// whose llm node streams from the server (RemoteLlmProvider).

import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { EngineProvider, functionProvider } from '../../src/agent/nodes/models.js';
import { RemoteLlmProvider, sseEvents } from '../../src/agent/nodes/remote-llm.js';
import { fetchHandler, modelMap } from '../../src/agent/openai.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

function serve(handler: (r: Request) => Promise<Response>): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const r = await handler(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        signal: ac.signal,
      }),
    );
    res.writeHead(r.status, Object.fromEntries(r.headers));
    if (r.body) for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) res.write(c);
    res.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }),
    ),
  );
}

const c = tinyConfig('llama', { contextLength: 128 });
const model = llmFromHf({
  config: hfConfigJson(c),
  weights: [writeSafetensors(syntheticHfTensors(c, 17))],
  tokenizer: tinyTokenizerJson(),
  name: 'tiny',
});
const provider = new EngineProvider(model, { prefill: new ReferenceDevice('server-cpu'), capacity: 128 });
const CALL = '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>';
const caller = functionProvider('caller', (msgs) => (msgs.some((m) => m.role === 'tool') ? 'It is sunny.' : CALL));
let srv: { server: Server; url: string };

before(async () => {
  srv = await serve(fetchHandler(modelMap({ tiny: provider, caller })));
});
after(() => srv.server.close());

const post = (body: unknown) =>
  fetch(`${srv.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const ask = {
  model: 'tiny',
  messages: [{ role: 'user', content: 'the quick fox' }],
  max_tokens: 8,
  temperature: 0.9,
  seed: 5,
};

describe('OpenAI-compatible /v1/chat/completions', () => {
  it('a JSON completion: message, finish reason, usage, and the same text as the engine', async () => {
    const res = await post(ask);
    assert.equal(res.status, 200);
    const j = (await res.json()) as {
      object: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: { completion_tokens: number; prompt_tokens: number };
    };
    assert.equal(j.object, 'chat.completion');
    assert.equal(j.choices[0]!.message.role, 'assistant');
    const direct = await provider
      .chat({ messages: [{ role: 'user', content: 'the quick fox' }], maxTokens: 8, temperature: 0.9, seed: 5 })
      .collect();
    assert.equal(j.choices[0]!.message.content, direct.text);
    assert.equal(j.usage.completion_tokens, direct.tokens.length);
    assert.equal(j.usage.prompt_tokens, direct.promptTokens);
    assert.ok(['stop', 'length'].includes(j.choices[0]!.finish_reason));
  });

  it('a streamed completion: chunks whose deltas add up to the JSON answer, usage, then [DONE]', async () => {
    const whole = ((await (await post(ask)).json()) as { choices: { message: { content: string } }[] }).choices[0]!
      .message.content;
    const res = await post({ ...ask, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events: string[] = [];
    for await (const e of sseEvents(res.body!)) events.push(e);
    assert.equal(events[events.length - 1], '[DONE]');
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          object: string;
          choices: { delta: { content?: string; role?: string }; finish_reason: string | null }[];
          usage?: unknown;
        },
    );
    assert.ok(chunks.every((x) => x.object === 'chat.completion.chunk'));
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    assert.equal(chunks.map((x) => x.choices[0]?.delta.content ?? '').join(''), whole);
    assert.ok(chunks.some((x) => x.choices[0]?.finish_reason));
    assert.ok(chunks[chunks.length - 1]!.usage, 'usage chunk last');
  });

  it('tools: a tool call comes back as tool_calls with finish reason tool_calls, and the result goes back in', async () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const j = (await (
      await post({ model: 'caller', messages: [{ role: 'user', content: 'weather in Oslo?' }], tools })
    ).json()) as {
      choices: {
        message: { content: null; tool_calls: { function: { name: string; arguments: string } }[] };
        finish_reason: string;
      }[];
    };
    assert.equal(j.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(j.choices[0]!.message.content, null);
    assert.deepEqual(
      j.choices[0]!.message.tool_calls.map((t) => [t.function.name, JSON.parse(t.function.arguments)]),
      [['get_weather', { city: 'Oslo' }]],
    );
    const follow = (await (
      await post({
        model: 'caller',
        tools,
        messages: [
          { role: 'user', content: 'weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: j.choices[0]!.message.tool_calls },
          { role: 'tool', tool_call_id: 'x', content: '{"sky": "clear"}' },
        ],
      })
    ).json()) as { choices: { message: { content: string } }[] };
    assert.equal(follow.choices[0]!.message.content, 'It is sunny.');
  });

  it('errors are JSON with code, message, type and param', async () => {
    const unknown = await post({ ...ask, model: 'gpt-9' });
    assert.equal(unknown.status, 404);
    const u = (await unknown.json()) as { error: { code: string; message: string; param: string } };
    assert.equal(u.error.code, 'model_not_found');
    assert.match(u.error.message, /model 'gpt-9' is not served here \(models: tiny, caller\)/);
    const bad = await post({ ...ask, temperature: 5 });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'temperature');
    const long = await post({ ...ask, messages: [{ role: 'user', content: 'the fox runs '.repeat(60) }] });
    assert.equal(long.status, 400);
    assert.match(
      ((await long.json()) as { error: { message: string } }).error.message,
      /exceeds the context length 128/,
    );
    const notJson = await fetch(`${srv.url}/chat/completions`, { method: 'POST', body: '{' });
    assert.equal(notJson.status, 400);
  });

  it('GET /v1/models lists what is served', async () => {
    const j = (await (await fetch(`${srv.url}/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      j.data.map((m) => m.id),
      ['tiny', 'caller'],
    );
  });

  it('an agent llm node streams from the server through RemoteLlmProvider, with the same text as a local run', async () => {
    const build = (m: EngineProvider | RemoteLlmProvider) =>
      agentGraph('remote')
        .input('q')
        .model('chat', m)
        .llm('answer', { model: 'chat', prompt: '{{inputs.q}}', maxTokens: 6, temperature: 0.9, seed: 5 })
        .output('answer')
        .prepare();
    const remote = await build(new RemoteLlmProvider({ url: srv.url, model: 'tiny' }));
    const run = remote.runner.run({ inputs: { q: 'the quick fox' } });
    let streamed = '';
    for await (const e of run) if (e.type === 'token') streamed += e.text;
    const r = await run.result;
    const local = await (await build(provider)).runner.run({ inputs: { q: 'the quick fox' } }).done();
    assert.equal(r.text, local.text);
    assert.equal(streamed, r.text);
    assert.match(r.records[0]!.llm!.prefillDevice, /^remote:127\.0\.0\.1:/);
    const down = await agentGraph('down')
      .input('q')
      .model('chat', new RemoteLlmProvider({ url: 'http://127.0.0.1:9/v1', model: 'tiny' }))
      .llm('answer', { model: 'chat', prompt: '{{inputs.q}}' })
      .output('answer')
      .prepare();
    await assert.rejects(
      down.runner.run({ inputs: { q: 'x' } }).done(),
      /node 'answer': the LLM server http:\/\/127\.0\.0\.1:9\/v1 cannot be reached/,
    );
  });
});
