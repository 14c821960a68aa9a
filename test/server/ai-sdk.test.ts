// The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`) as a user would point it at Switchyard:
// once at `serve --llm` on 127.0.0.1, once in process (createEngine, the engine as the provider's
// fetch). Every check runs on both and the two answers must be equal at temperature 0: text and
// streams, seed and stop, toolChoice (a named tool, required, none), a tool loop with execute,
// a streamed tool call with no call text in the text, cut tool arguments returned as produced
// (finish reason tool-calls, not a 500), structured output (json_schema and json_object),
// logprobs through providerOptions, n > 1 and a max_tokens that can never fit as 400s the SDK does
// not retry, GET /v1/models/{id}, error bodies with OpenAI's type and param (401 and 429 on the
// server, which alone has keys and a queue), and an abort that ends the generation within a step.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  APICallError,
  generateText,
  jsonSchema,
  NoObjectGeneratedError,
  Output,
  stepCountIs,
  streamText,
  tool,
} from 'ai';
import '../../src/index.js';
import { JsonState } from '../../src/agent/llm/json-constraint.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { type ChatEngine, createEngine } from '../../src/index.js';
import type { OffloadServer } from '../../src/server/app.js';
import { TIME_SCHEMA, WEATHER_SCHEMA, writeChatModel } from '../agent/chat-fixture.js';
import { TOKEN, testServer } from '../helpers/offload.js';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
interface Target {
  /** The provider's model 'tiny'; `calls` counts the HTTP requests it made (retries show up there). */
  model(opts?: { structured?: boolean; apiKey?: string }): ReturnType<ReturnType<typeof createOpenAICompatible>>;
  calls: number;
  bodies: Record<string, unknown>[];
  baseURL: string;
  fetch: Fetch;
}

const dir = writeChatModel();
let server: OffloadServer;
let engine: ChatEngine;
const targets: Record<string, Target> = {};

function target(baseURL: string, fetchImpl: Fetch, apiKey: string): Target {
  const t: Target = {
    calls: 0,
    bodies: [],
    baseURL,
    fetch: fetchImpl,
    model: (o = {}) =>
      createOpenAICompatible({
        name: 'switchyard',
        baseURL,
        apiKey: o.apiKey ?? apiKey,
        includeUsage: true,
        supportsStructuredOutputs: o.structured ?? true,
        fetch: async (input, init) => {
          t.calls++;
          if (typeof init?.body === 'string') t.bodies.push(JSON.parse(init.body) as Record<string, unknown>);
          return fetchImpl(input as string, init);
        },
      })('tiny'),
  };
  return t;
}

before(async () => {
  server = await testServer({ llms: [{ name: 'tiny', path: dir }], llmCapacity: 1024 });
  engine = await createEngine(await loadLlm(dir), { device: new ReferenceDevice(), capacity: 1024, name: 'tiny' });
  targets.server = target(`${server.url}/v1`, fetch, TOKEN);
  targets['in process'] = target('http://in-process/v1', engine.fetch, '-');
});
after(async () => {
  engine.dispose();
  await server.close();
});

const tools = {
  get_weather: tool({ description: 'Weather in a city', inputSchema: jsonSchema(WEATHER_SCHEMA) }),
  get_time: tool({ description: 'Time now', inputSchema: jsonSchema(TIME_SCHEMA) }),
};
const prompt = 'the quick fox';
const base = { prompt, maxOutputTokens: 12, temperature: 0, maxRetries: 0 } as const;

/** Run a check on the server and in process; their answers must be the same. */
function both(name: string, check: (t: Target) => Promise<unknown>): void {
  it(name, async () => {
    const answers: unknown[] = [];
    for (const where of ['server', 'in process']) {
      try {
        answers.push(JSON.parse(JSON.stringify((await check(targets[where]!)) ?? null)));
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
      }
    }
    assert.deepEqual(answers[1], answers[0], 'in process and server answer the same');
  });
}

async function apiError(p: Promise<unknown>): Promise<APICallError> {
  try {
    await p;
  } catch (e) {
    if (APICallError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an APICallError');
}
const bodyOf = (e: APICallError) => JSON.parse(e.responseBody ?? '{}') as { error: Record<string, unknown> };

describe('the Vercel AI SDK, against serve --llm and in process', () => {
  both('generateText and streamText agree; usage; finish reason', async (t) => {
    const r = await generateText({ model: t.model(), ...base });
    assert.ok(r.text.length > 0);
    assert.ok(['stop', 'length'].includes(r.finishReason));
    assert.ok(r.usage.outputTokens! > 0 && r.usage.inputTokens! > 0);
    const s = streamText({ model: t.model(), ...base });
    let streamed = '';
    for await (const d of s.textStream) streamed += d;
    assert.equal(streamed, r.text);
    assert.deepEqual(await s.usage, r.usage);
    return { text: r.text, finish: r.finishReason, usage: r.usage };
  });

  both('a seed repeats a sampled answer; stopSequences cut the text', async (t) => {
    const ask = { model: t.model(), ...base, temperature: 1, seed: 3 };
    const a = await generateText(ask);
    const b = await generateText(ask);
    assert.equal(a.text, b.text);
    const cut = a.text.slice(2, 4);
    assert.ok(cut.trim(), `a stop string from ${JSON.stringify(a.text)}`);
    const s = await generateText({ ...ask, stopSequences: [cut] });
    assert.equal(s.text, a.text.slice(0, a.text.indexOf(cut)));
    assert.equal(s.finishReason, 'stop');
    return [a.text, s.text];
  });

  both('toolChoice: a named tool, required, none', async (t) => {
    const named = await generateText({
      model: t.model(),
      ...base,
      maxOutputTokens: 60,
      tools,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    assert.equal(
      t.bodies.at(-1)!.tool_choice && JSON.stringify(t.bodies.at(-1)!.tool_choice),
      '{"type":"function","function":{"name":"get_weather"}}',
    );
    assert.equal(named.finishReason, 'tool-calls');
    assert.equal(named.text, '');
    const call = named.toolCalls[0]!;
    assert.equal(call.toolName, 'get_weather');
    const input = call.input as { unit: string; rain: boolean };
    assert.ok(['celsius', 'fahrenheit'].includes(input.unit) && typeof input.rain === 'boolean');
    const req = await generateText({ model: t.model(), ...base, maxOutputTokens: 60, tools, toolChoice: 'required' });
    assert.equal(req.toolCalls.length, 1);
    assert.ok(['get_weather', 'get_time'].includes(req.toolCalls[0]!.toolName));
    assert.ok(!req.toolCalls[0]!.invalid);
    const none = await generateText({ model: t.model(), ...base, tools, toolChoice: 'none' });
    assert.equal(none.toolCalls.length, 0);
    assert.ok(none.text.length > 0);
    return [call.input, req.toolCalls[0]!.toolName, req.toolCalls[0]!.input, none.text];
  });

  both('a tool loop: execute, the result goes back, the next step answers in text', async (t) => {
    const ran: unknown[] = [];
    const r = await generateText({
      model: t.model(),
      ...base,
      tools: {
        get_time: tool({
          inputSchema: jsonSchema<{ utc: boolean }>(TIME_SCHEMA),
          execute: async (input) => {
            ran.push(input);
            return { time: '12:00' };
          },
        }),
      },
      // the first step must call the tool, the next may not: a loop of exactly two steps
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'none' }),
      stopWhen: stepCountIs(4),
    });
    assert.equal(r.steps.length, 2);
    assert.equal(ran.length, 1);
    assert.equal(r.steps[0]!.finishReason, 'tool-calls');
    const second = t.bodies.at(-1)! as { messages: { role: string; content: unknown; tool_call_id?: string }[] };
    const toolMsg = second.messages.find((m) => m.role === 'tool')!;
    assert.equal(toolMsg.content, '{"time":"12:00"}');
    assert.equal(toolMsg.tool_call_id, r.steps[0]!.toolCalls[0]!.toolCallId);
    return { input: ran[0], text: r.text };
  });

  both('a streamed tool call: no call text in the text, one tool-call part, finish reason tool-calls', async (t) => {
    const s = streamText({
      model: t.model(),
      ...base,
      maxOutputTokens: 60,
      tools,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    let text = '';
    const calls: unknown[] = [];
    for await (const p of s.fullStream) {
      if (p.type === 'text-delta') text += p.text;
      if (p.type === 'tool-call') calls.push(p.input);
    }
    assert.equal(text, '');
    assert.equal(calls.length, 1);
    assert.equal(await s.finishReason, 'tool-calls');
    return calls;
  });

  both('cut tool arguments come back as produced with finish reason tool-calls, not a 500', async (t) => {
    const r = await generateText({
      model: t.model(),
      ...base,
      maxOutputTokens: 3,
      tools,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    assert.equal(r.finishReason, 'tool-calls');
    const call = r.toolCalls[0]!;
    assert.equal(call.invalid, true, 'the SDK sees arguments that are not JSON');
    const raw = r.response.body as { choices: { message: { tool_calls: { function: { arguments: string } }[] } }[] };
    const args = raw.choices[0]!.message.tool_calls[0]!.function.arguments;
    assert.equal(call.input, args);
    assert.ok(JsonState.start(WEATHER_SCHEMA).feed(args), `a valid prefix: ${args}`);
    return args;
  });

  both('structured output: json_schema (Output.object) and json_object', async (t) => {
    const schema = {
      type: 'object',
      properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } },
      required: ['answer', 'sure'],
      additionalProperties: false,
    };
    const r = await generateText({
      model: t.model(),
      ...base,
      maxOutputTokens: 80,
      output: Output.object({ schema: jsonSchema<{ answer: string; sure: boolean }>(schema) }),
    });
    assert.equal((t.bodies.at(-1)!.response_format as { type: string }).type, 'json_schema');
    assert.ok(['yes', 'no'].includes(r.output.answer) && typeof r.output.sure === 'boolean');
    // json_object: valid JSON as far as it goes; this seeded model opens a string and does not close
    // it within 24 tokens, so the SDK reports the cut object (finish reason length) with its text
    let cut: unknown;
    try {
      await generateText({
        model: t.model({ structured: false }),
        ...base,
        maxOutputTokens: 24,
        output: Output.json(),
      });
    } catch (e) {
      cut = e;
    }
    assert.ok(NoObjectGeneratedError.isInstance(cut), String(cut));
    assert.equal(cut.finishReason, 'length');
    assert.equal((t.bodies.at(-1)!.response_format as { type: string }).type, 'json_object');
    const text = cut.text!;
    assert.ok(text.trimStart().startsWith('{') && JsonState.start(undefined, true).feed(text), text);
    return [r.output, text];
  });

  both('logprobs and top_logprobs through providerOptions', async (t) => {
    const r = await generateText({
      model: t.model(),
      ...base,
      maxOutputTokens: 5,
      providerOptions: { switchyard: { logprobs: true, top_logprobs: 3 } },
    });
    const lp = (r.response.body as { choices: { logprobs: { content: { logprob: number; top_logprobs: [] }[] } }[] })
      .choices[0]!.logprobs.content;
    assert.equal(lp.length, r.usage.outputTokens);
    for (const x of lp) {
      assert.equal(x.top_logprobs.length, 3);
      assert.ok(x.logprob <= 0);
    }
    return lp;
  });

  both('n > 1 and a max_tokens that can never fit are 400s naming the parameter, not retried', async (t) => {
    const out: unknown[] = [];
    for (const [extra, param] of [
      [{ providerOptions: { switchyard: { n: 2 } } }, 'n'],
      [{ maxOutputTokens: 1_000_000 }, 'max_tokens'],
      [{ providerOptions: { switchyard: { frequency_penalty: 0.5 } } }, 'frequency_penalty'],
    ] as const) {
      const before = t.calls;
      // the SDK's default retries (2) are on: a 400 must not be retried, as a 503 would be
      const e = await apiError(generateText({ model: t.model(), prompt, temperature: 0, ...extra }));
      assert.equal(t.calls - before, 1, `${param}: one request`);
      assert.equal(e.statusCode, 400);
      assert.equal(e.isRetryable, false);
      const b = bodyOf(e).error;
      assert.equal(b.type, 'invalid_request_error');
      assert.equal(b.param, param);
      out.push([b.code, b.param]);
    }
    return out;
  });

  both('GET /v1/models/{id}: the model, or a 404 with type and param', async (t) => {
    const auth = { authorization: `Bearer ${t === targets.server ? TOKEN : '-'}` };
    const ok = (await (await t.fetch(`${t.baseURL}/models/tiny`, { headers: auth })).json()) as { id: string };
    assert.equal(ok.id, 'tiny');
    const res = await t.fetch(`${t.baseURL}/models/nope`, { headers: auth });
    assert.equal(res.status, 404);
    const e = ((await res.json()) as { error: { type: string; param: string } }).error;
    assert.equal(e.type, 'not_found_error');
    assert.equal(e.param, 'model');
    const m = await apiError(
      generateText({
        model: createOpenAICompatible({
          name: 'x',
          baseURL: t.baseURL,
          apiKey: auth.authorization.slice(7),
          fetch: t.fetch,
        })('nope'),
        prompt,
        maxRetries: 0,
      }),
    );
    assert.equal(m.statusCode, 404);
    return [ok.id, e.type, bodyOf(m).error.param];
  });

  both('an abort ends the generation within a step: the next request does not wait for it', async (t) => {
    const model = t.model();
    const t1 = performance.now();
    await generateText({ model, ...base, maxOutputTokens: 1 });
    const alone = performance.now() - t1;
    const t2 = performance.now();
    const full = { model, ...base, maxOutputTokens: 300, providerOptions: { switchyard: { ignore_eos: true } } };
    await generateText(full);
    const all300 = performance.now() - t2;
    const ac = new AbortController();
    const s = streamText({ ...full, abortSignal: ac.signal, onError: () => {} });
    let seen = 0;
    for await (const _ of s.textStream) if (++seen === 3) ac.abort();
    const t0 = performance.now();
    await generateText({ model, ...base, maxOutputTokens: 1 });
    const waited = performance.now() - t0;
    assert.ok(
      waited < alone * 3 + 0.2 * all300,
      `waited ${waited.toFixed(0)} ms after the abort; alone ${alone.toFixed(0)} ms, 300 tokens ` +
        `${all300.toFixed(0)} ms`,
    );
    return seen >= 3;
  });
});

describe('the Vercel AI SDK against serve --llm: keys and load', () => {
  it('a bad key is a 401 with authentication_error and param null, not retried', async () => {
    const t = targets.server!;
    const before = t.calls;
    const e = await apiError(generateText({ model: t.model({ apiKey: 'wrong' }), prompt }));
    assert.equal(t.calls - before, 1);
    assert.equal(e.statusCode, 401);
    const b = bodyOf(e).error;
    assert.equal(b.type, 'authentication_error');
    assert.ok('param' in b && b.param === null);
  });

  it('a TTFT target that cannot be met is a 429 with rate_limit_error and param, retryable', async () => {
    const t = targets.server!;
    const before = t.calls;
    const e = await apiError(
      generateText({ model: t.model(), prompt, maxRetries: 0, headers: { 'switchyard-ttft-ms': '1' } }),
    );
    assert.equal(t.calls - before, 1);
    assert.equal(e.statusCode, 429);
    assert.equal(e.isRetryable, true);
    const b = bodyOf(e).error;
    assert.equal(b.type, 'rate_limit_error');
    assert.equal(b.code, 'slo_unmeetable');
    assert.ok('param' in b && b.param === null);
  });
});
