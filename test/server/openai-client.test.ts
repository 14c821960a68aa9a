// The official `openai` npm client against `serve --llm` on 127.0.0.1, as a new user would use it:
// models.list / models.retrieve, JSON and streamed completions, seed, stop, tool_choice in all its
// forms (none, auto, required, a named function), tool-call text kept out of streamed content,
// malformed (cut) tool arguments returned as produced with finish_reason "tool_calls",
// response_format json_schema and json_object by constrained decoding, logprobs / top_logprobs,
// clear 400s (n > 1, max_tokens that can never fit, schema words not enforced, penalties), OpenAI
// error types on 401 and 404, and a client abort that ends its generation at once.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import '../../src/index.js';
import { JsonState } from '../../src/agent/llm/json-constraint.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { ChatApiError, type ChatEngine, createEngine } from '../../src/index.js';
import type { OffloadServer } from '../../src/server/app.js';
import { TIME_SCHEMA, WEATHER_SCHEMA, writeChatModel } from '../agent/chat-fixture.js';
import { TOKEN, testServer } from '../helpers/offload.js';

const files = { dir: writeChatModel() };
let server: OffloadServer;
let remote: OpenAI;
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: WEATHER_SCHEMA,
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Time now',
      parameters: TIME_SCHEMA,
    },
  },
];
const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'the quick fox' }];
const base = { model: 'tiny', messages, max_tokens: 12, temperature: 0 } as const;

let engine: ChatEngine;
let local: OpenAI;
before(async () => {
  server = await testServer({ llms: [{ name: 'tiny', path: files.dir }], llmCapacity: 1024 });
  remote = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
  engine = await createEngine(await loadLlm(files.dir), {
    device: new ReferenceDevice(),
    capacity: 1024,
    name: 'tiny',
  });
  // the same client in process: the engine as its fetch, no server
  local = new OpenAI({ baseURL: 'http://in-process/v1', apiKey: '-', maxRetries: 0, fetch: engine.fetch });
});
after(async () => {
  engine.dispose();
  await server.close();
});

async function status(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

const targets: [string, () => OpenAI][] = [
  ['against serve --llm', () => remote],
  ['in process (createEngine, engine.fetch)', () => local],
];
for (const [where, clientOf] of targets)
  describe(`the openai client ${where}`, () => {
    let client: OpenAI;
    before(() => {
      client = clientOf();
    });
    it("lists and retrieves models; an unknown one is a 404 with OpenAI's type and param", async () => {
      const list = await client.models.list();
      assert.deepEqual(
        list.data.map((m) => m.id),
        ['tiny'],
      );
      assert.equal((await client.models.retrieve('tiny')).id, 'tiny');
      const e = await status(client.models.retrieve('nope'));
      assert.equal(e.status, 404);
      assert.equal(e.type, 'not_found_error');
      assert.equal(e.param, 'model');
    });

    it('JSON and streamed completions agree; a seed repeats a sampled answer; stop cuts the text', async () => {
      const a = await client.chat.completions.create({ ...base, temperature: 1, seed: 3 });
      const b = await client.chat.completions.create({ ...base, temperature: 1, seed: 3 });
      assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
      assert.ok(a.usage!.completion_tokens > 0);
      let streamed = '';
      for await (const c of await client.chat.completions.create({ ...base, temperature: 1, seed: 3, stream: true }))
        streamed += c.choices[0]?.delta.content ?? '';
      assert.equal(streamed, a.choices[0]!.message.content);
      const text = a.choices[0]!.message.content!;
      const cut = text.slice(2, 4);
      if (cut.trim()) {
        const s = await client.chat.completions.create({ ...base, temperature: 1, seed: 3, stop: [cut] });
        assert.equal(s.choices[0]!.message.content, text.slice(0, text.indexOf(cut)));
        assert.equal(s.choices[0]!.finish_reason, 'stop');
      }
    });

    it('tool_choice: a named function, required, none', async () => {
      const named = await client.chat.completions.create({
        ...base,
        max_tokens: 60,
        tools,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      const ch = named.choices[0]!;
      assert.equal(ch.finish_reason, 'tool_calls');
      assert.equal(ch.message.content, null);
      const call = ch.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      assert.equal(call.function.name, 'get_weather');
      const args = JSON.parse(call.function.arguments) as { unit: string; rain: boolean };
      assert.ok(
        ['celsius', 'fahrenheit'].includes(args.unit) && typeof args.rain === 'boolean',
        call.function.arguments,
      );
      assert.match(call.id, /^call_/);
      const req = await client.chat.completions.create({ ...base, max_tokens: 60, tools, tool_choice: 'required' });
      const rc = req.choices[0]!.message
        .tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      assert.ok(['get_weather', 'get_time'].includes(rc.function.name));
      assert.doesNotThrow(() => JSON.parse(rc.function.arguments));
      const none = await client.chat.completions.create({ ...base, tools, tool_choice: 'none' });
      assert.equal(none.choices[0]!.message.tool_calls, undefined);
      assert.equal(typeof none.choices[0]!.message.content, 'string');
      const bad = await status(
        client.chat.completions.create({
          ...base,
          tools,
          tool_choice: { type: 'function', function: { name: 'nope' } },
        }),
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.param, 'tool_choice');
    });

    it('a tool loop: the call and its result go back through the template', async () => {
      const first = await client.chat.completions.create({
        ...base,
        max_tokens: 60,
        tools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      });
      const call = first.choices[0]!.message.tool_calls![0]!;
      const second = await client.chat.completions.create({
        ...base,
        tools,
        messages: [...messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '12:00' }],
      });
      assert.ok(second.usage!.prompt_tokens > first.usage!.prompt_tokens);
    });

    it('a streamed tool call: no call text in content, one tool_calls delta, finish_reason tool_calls', async () => {
      let content = '';
      const calls: unknown[] = [];
      let finish: string | null = null;
      for await (const c of await client.chat.completions.create({
        ...base,
        max_tokens: 60,
        tools,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        stream: true,
      })) {
        content += c.choices[0]?.delta.content ?? '';
        if (c.choices[0]?.delta.tool_calls) calls.push(...c.choices[0].delta.tool_calls);
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(content, '');
      assert.equal(calls.length, 1);
      assert.equal(finish, 'tool_calls');
    });

    it('malformed (cut) tool arguments come back as produced, with finish_reason tool_calls, not a 500', async () => {
      const r = await client.chat.completions.create({
        ...base,
        max_tokens: 3,
        tools,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      const ch = r.choices[0]!;
      assert.equal(ch.finish_reason, 'tool_calls');
      const args = (ch.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall)
        .function.arguments;
      assert.throws(() => JSON.parse(args));
      assert.ok(
        JsonState.start((tools[0] as OpenAI.Chat.Completions.ChatCompletionFunctionTool).function.parameters).feed(
          args,
        ),
        `a valid prefix of the arguments: ${args}`,
      );
    });

    it('response_format json_schema and json_object by constrained decoding', async () => {
      const schema = {
        type: 'object',
        properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } },
        required: ['answer', 'sure'],
        additionalProperties: false,
      };
      const r = await client.chat.completions.create({
        ...base,
        max_tokens: 80,
        response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema, strict: true } },
      });
      const v = JSON.parse(r.choices[0]!.message.content!) as { answer: string; sure: boolean };
      assert.ok(['yes', 'no'].includes(v.answer) && typeof v.sure === 'boolean');
      assert.equal(r.choices[0]!.finish_reason, 'stop');
      const o = await client.chat.completions.create({
        ...base,
        max_tokens: 24,
        response_format: { type: 'json_object' },
      });
      const text = o.choices[0]!.message.content!;
      assert.ok(text.trimStart().startsWith('{'));
      assert.ok(JsonState.start(undefined, true).feed(text), `valid JSON so far: ${text}`);
      if (o.choices[0]!.finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
      const e = await status(
        client.chat.completions.create({
          ...base,
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } },
          },
        }),
      );
      assert.equal(e.status, 400);
      assert.equal(e.param, 'response_format');
      assert.match(e.message, /\$\.pattern/);
    });

    it('logprobs with top_logprobs', async () => {
      const r = await client.chat.completions.create({ ...base, max_tokens: 5, logprobs: true, top_logprobs: 3 });
      const lp = r.choices[0]!.logprobs!.content!;
      assert.equal(lp.length, r.usage!.completion_tokens);
      for (const t of lp) {
        assert.equal(t.top_logprobs.length, 3);
        assert.ok(t.logprob <= 0);
        assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob);
        // greedy picks the most likely, unless that token would break UTF-8 (the guard masks it)
        const top = t.top_logprobs[0]!;
        if (String(t.bytes) !== String(top.bytes)) {
          assert.ok(
            top.token.includes('\uFFFD'),
            `${JSON.stringify(t.token)} chosen over ${JSON.stringify(top.token)}`,
          );
          assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(top.bytes!)));
          assert.ok(t.logprob < top.logprob);
        } else assert.ok(Math.abs(t.logprob - top.logprob) < 1e-9);
      }
      let n = 0;
      for await (const c of await client.chat.completions.create({
        ...base,
        max_tokens: 5,
        logprobs: true,
        top_logprobs: 2,
        stream: true,
      }))
        n += c.choices[0]?.logprobs?.content?.length ?? 0;
      assert.equal(n, lp.length);
    });

    it('what is not supported is a clear 400 naming the parameter; a limit that can never fit is 400, not 503', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ n: 2 }, 'n'],
        [{ max_tokens: 1_000_000 }, 'max_tokens'],
        [{ max_completion_tokens: 1024 }, 'max_completion_tokens'],
        [{ frequency_penalty: 0.5 }, 'frequency_penalty'],
        [{ logit_bias: { 5: 10 } }, 'logit_bias'],
        [{ top_logprobs: 2 }, 'top_logprobs'],
      ];
      for (const [extra, param] of cases) {
        const e = await status(client.chat.completions.create({ ...base, ...extra } as never));
        assert.equal(e.status, 400, `${param}: ${e.message}`);
        assert.equal(e.param, param);
        assert.equal(e.type, 'invalid_request_error');
      }
    });

    it('a client that aborts a stream ends its generation within a step', async () => {
      // one generation runs at a time: the next request waits for the aborted one to stop
      const t1 = performance.now();
      await client.chat.completions.create({ ...base, max_tokens: 1 });
      const alone = performance.now() - t1;
      const full = performance.now();
      await client.chat.completions.create({ ...base, max_tokens: 300, ignore_eos: true } as never);
      const all300 = performance.now() - full;
      const ac = new AbortController();
      const stream = (await client.chat.completions.create(
        { ...base, max_tokens: 300, stream: true, ignore_eos: true } as never,
        { signal: ac.signal },
      )) as unknown as AsyncIterable<unknown>;
      let seen = 0;
      await (async () => {
        for await (const _ of stream) {
          if (++seen === 3) {
            ac.abort();
            break;
          }
        }
      })().catch(() => {});
      const t0 = performance.now();
      await client.chat.completions.create({ ...base, max_tokens: 1 });
      const waited = performance.now() - t0;
      // without the stop, the wait is the rest of 300 tokens (all300); with it, about one request
      assert.ok(
        waited < alone * 3 + 0.2 * all300,
        `waited ${waited.toFixed(0)} ms after the abort; one request alone takes ${alone.toFixed(0)} ms, 300 ` +
          `tokens ${all300.toFixed(0)} ms`,
      );
    });
  });

describe('the server only: auth and load', () => {
  it("a TTFT target the queue cannot meet is a 429 with OpenAI's rate_limit_error type and param", async () => {
    const e = await status(remote.chat.completions.create({ ...base }, { headers: { 'switchyard-ttft-ms': '1' } }));
    assert.equal(e.status, 429);
    assert.equal(e.type, 'rate_limit_error');
    assert.equal(e.code, 'slo_unmeetable');
    assert.equal((e.error as { param?: unknown }).param, null);
  });

  it("a bad key is a 401 with OpenAI's authentication_error type", async () => {
    const e = await status(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list());
    assert.equal(e.status, 401);
    assert.equal(e.type, 'authentication_error');
    assert.equal((e.error as { param?: unknown }).param, null);
  });
});

describe('the in-process API: createEngine(model).chat.completions.create, same answers as the server', () => {
  const strip = (o: {
    id?: string;
    created?: number;
    timings?: unknown;
    choices: { message: { tool_calls?: { id?: string }[] } }[];
  }) => ({
    ...o,
    id: undefined,
    created: undefined,
    timings: undefined,
    choices: o.choices.map((c) => ({
      ...c,
      message: { ...c.message, tool_calls: c.message.tool_calls?.map((t) => ({ ...t, id: undefined })) },
    })),
  });
  const same: [string, Record<string, unknown>][] = [
    ['plain', { ...base }],
    [
      'a named tool',
      { ...base, max_tokens: 60, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    ],
    ['required', { ...base, max_tokens: 60, tools, tool_choice: 'required' }],
    [
      'json_schema',
      {
        ...base,
        max_tokens: 80,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'v',
            schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
          },
        },
      },
    ],
    ['logprobs', { ...base, max_tokens: 4, logprobs: true, top_logprobs: 2 }],
  ];
  for (const [name, body] of same) {
    it(`${name}: the server's answer, field for field`, async () => {
      const served = (await remote.chat.completions.create(body as never)) as unknown as Parameters<typeof strip>[0];
      const local = (await engine.chat.completions.create(body as never)) as Parameters<typeof strip>[0];
      assert.deepEqual(JSON.parse(JSON.stringify(strip(local))), JSON.parse(JSON.stringify(strip(served))));
    });
  }

  it('streams chunk objects; a tool loop runs through it; errors are ChatApiError with type and param', async () => {
    let text = '';
    for await (const c of await engine.chat.completions.create({ ...base, stream: true }))
      text += c.choices[0]?.delta.content ?? '';
    const r = await engine.chat.completions.create({ ...base });
    assert.equal(text, r.choices[0].message.content);
    const first = await engine.chat.completions.create({
      ...base,
      max_tokens: 60,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const call = first.choices[0].message.tool_calls[0];
    const second = await engine.chat.completions.create({
      ...base,
      tools,
      messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '12:00' }],
    });
    assert.equal(second.object, 'chat.completion');
    await assert.rejects(
      engine.chat.completions.create({ ...base, n: 3 }),
      (e: unknown) =>
        e instanceof ChatApiError && e.status === 400 && e.param === 'n' && e.type === 'invalid_request_error',
    );
    await assert.rejects(
      engine.models.retrieve('other'),
      (e: unknown) => e instanceof ChatApiError && e.status === 404,
    );
    assert.equal(((await engine.models.retrieve('tiny')) as { id: string }).id, 'tiny');
  });
});
