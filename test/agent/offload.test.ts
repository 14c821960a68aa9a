// Agent llm nodes on an offload server (`serve --llm`), over loopback: a generation resumed from
// tokens made elsewhere equals an uninterrupted one; the client finds which of its models a server
// serves (by fingerprint, not name) and the planner weighs that server's measured TTFT/TPOT; a node
// placed there streams through /v1/chat/completions with the local answer; a server that refuses
// (deadline) or is killed mid-stream leaves the run to finish locally with the same answer, or fail
// with a clear error when the node says fallback: none.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { agentGraph } from '../../src/agent/graph/builder.js';
import { Generation, LlmEngine, type LlmModel, type TokenEvent } from '../../src/agent/llm/engine.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { withLocalFallback } from '../../src/agent/nodes/remote-llm.js';
import { attachServedLlms } from '../../src/agent/offload.js';
import { deviceSetOf, planAgent } from '../../src/agent/plan.js';
import type { NodePlacement } from '../../src/agent/runtime/run.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { type DeviceEntry, discoverDevices } from '../../src/runtime/devices.js';
import type { OffloadServer } from '../../src/server/app.js';
import { type Child, spawnServer, TOKEN, testServer } from '../helpers/offload.js';
import { writeTinyModel } from './helpers.js';

const files = writeTinyModel('llama', 21, { contextLength: 256 });
const other = writeTinyModel('llama', 22, { contextLength: 256 });
const third = writeTinyModel('llama', 23, { contextLength: 256 });
const QUESTION = 'the quick fox';
const NODE = { model: 'chat', prompt: '{{inputs.q}}', maxTokens: 12, temperature: 0.9, seed: 5 } as const;
let model: LlmModel;
let server: OffloadServer;

before(async () => {
  model = await loadLlm(files.dir, { name: 'chat' });
  server = await testServer({
    backend: 'reference',
    llms: [
      { name: 'chat', path: files.dir },
      { name: 'lookalike', path: other.dir },
    ],
    llmCapacity: 256,
  });
});
after(() => server.close());

async function devicesWith(url: string): Promise<DeviceEntry[]> {
  return (
    await discoverDevices({
      devices: [
        { kind: 'reference', id: 'cpu' },
        { kind: 'remote', url, token: TOKEN },
      ],
      calibration: 'never',
    })
  ).entries;
}

/** The answer of the graph run wholly on the local reference device. */
async function localAnswer(over: Record<string, unknown> = {}): Promise<string> {
  const a = await agentGraph('local')
    .input('q')
    .model('chat', model)
    .llm('answer', { ...NODE, ...over })
    .output('answer')
    .prepare();
  return (await a.runner.run({ inputs: { q: QUESTION } }).done()).text;
}

describe('engine: resuming a generation', () => {
  it('prefilling the tokens made elsewhere and skipping their draws gives the uninterrupted tokens', async () => {
    const engine = new LlmEngine(model, { prefill: new ReferenceDevice('cpu'), capacity: 128 });
    const opts = { maxTokens: 12, temperature: 0.9, seed: 3, ignoreEos: true };
    const full = await engine.generate(QUESTION, opts).collect();
    const head = full.tokens.slice(0, 5);
    const emitted = model.tokenizer!.decode(head);
    const gen = engine.generate(QUESTION, { ...opts, resume: { tokens: head, emittedText: emitted } });
    let streamed = '';
    for await (const t of gen) streamed += t.text;
    const r = await gen.result;
    assert.deepEqual(r.tokens, full.tokens);
    assert.equal(emitted + streamed, full.text, 'only the new text streams');
  });

  it('withLocalFallback: a primary that fails after some tokens is continued locally with the same result', async () => {
    const engine = new LlmEngine(model, { prefill: new ReferenceDevice('cpu'), capacity: 128 });
    const opts = { maxTokens: 10, temperature: 0.7, seed: 9, ignoreEos: true };
    const full = await engine.generate(QUESTION, opts).collect();
    const failing = () =>
      new Generation(async function* (): AsyncGenerator<TokenEvent> {
        let n = 0;
        for await (const t of engine.generate(QUESTION, opts)) {
          yield t;
          if (++n === 4) throw new Error('connection reset');
        }
      });
    const said: string[] = [];
    const gen = withLocalFallback(
      failing,
      'remote:x',
      {
        generate: (resume) => engine.generate(QUESTION, { ...opts, resume }),
        onFallback: (m) => said.push(m),
      },
      'no fallback',
    );
    const r = await gen.collect();
    assert.deepEqual(r.tokens, full.tokens);
    assert.match(said[0]!, /connection reset; continuing on the local engine from token 4/);
    assert.match(r.fallback!, /connection reset/);
    await assert.rejects(
      withLocalFallback(failing, 'remote:x', undefined, "node 'a' has fallback: none").collect(),
      /connection reset; node 'a' has fallback: none/,
    );
  });
});

describe('agent llm nodes on an offload server', () => {
  it("the client finds the served model by fingerprint, not by name, and the planner weighs the server's figures", async () => {
    const entries = await devicesWith(server.url);
    const remote = entries.find((e) => e.device.kind === 'remote')!;
    const a = await agentGraph('served')
      .input('q')
      .model('chat', model)
      .llm('answer', { ...NODE, device: 'remote' })
      .output('answer')
      .prepare(deviceSetOf(entries));
    const notes = await attachServedLlms(a.resources, entries);
    assert.ok(
      notes.some((n) => /serves model 'chat' as 'chat' with the same weights/.test(n)),
      notes.join('\n'),
    );
    // what counts is the weights: our 'copy' is the server's 'chat', our 'chat' with a third set of weights is nothing it serves
    const c = await agentGraph('renamed')
      .input('q')
      .model('copy', await loadLlm(files.dir, { name: 'copy' }))
      .llm('answer', { ...NODE, model: 'copy' })
      .output('answer')
      .prepare(deviceSetOf(entries));
    const n1 = await attachServedLlms(c.resources, entries);
    assert.ok(
      n1.some((n) => /serves model 'copy' as 'chat' with the same weights/.test(n)),
      n1.join('\n'),
    );
    const b = await agentGraph('mismatch')
      .input('q')
      .model('chat', await loadLlm(third.dir, { name: 'chat' }))
      .llm('answer', { ...NODE })
      .output('answer')
      .prepare(deviceSetOf(entries));
    const n2 = await attachServedLlms(b.resources, entries);
    assert.ok(
      n2.some((n) => /serves a model named 'chat' but with other weights .*: 'chat' stays local/.test(n)),
      n2.join('\n'),
    );
    assert.equal(b.resources.served.get('chat'), undefined);

    const ap = planAgent(a.graph, a.resources, entries);
    assert.deepEqual(
      { prefill: ap.placement.get('answer')!.prefill, decode: ap.placement.get('answer')!.decode },
      { prefill: remote.device.id, decode: remote.device.id },
    );
    assert.equal(ap.llm.get('answer')!.route, 'chat');
    assert.deepEqual(ap.placement.get('answer')!.fallback, { prefill: 'cpu', decode: 'cpu' });
    const offload = ap.plan.passes.find((p) => p.name === 'offload')!;
    assert.ok(
      offload.notes.some((n) =>
        /TTFT ~[\d.]+ ms for ~\d+ prompt tokens, TPOT [\d.]+ ms \(measured at load on cpu/.test(n),
      ),
      offload.notes.join('\n'),
    );
  });

  it('a node placed on the server streams through /v1/chat/completions with the answer of a local run', async () => {
    const entries = await devicesWith(server.url);
    const id = entries.find((e) => e.device.kind === 'remote')!.device.id;
    const a = await agentGraph('route')
      .input('q')
      .model('chat', model)
      .llm('answer', { ...NODE })
      .output('answer')
      .prepare(deviceSetOf(entries));
    await attachServedLlms(a.resources, entries);
    const placement = new Map<string, NodePlacement>([
      ['answer', { prefill: id, decode: id, fallback: { prefill: 'cpu', decode: 'cpu' } }],
    ]);
    const run = a.runner.run({ inputs: { q: QUESTION }, placement });
    let streamed = '';
    for await (const e of run) if (e.type === 'token') streamed += e.text;
    const r = await run.result;
    assert.equal(r.text, await localAnswer());
    assert.equal(streamed, r.text);
    const rec = r.records.find((x) => x.node === 'answer')!;
    assert.equal(rec.llm!.route, 'chat');
    assert.equal(rec.llm!.prefillDevice, id);
    assert.equal(rec.device, id);
    assert.ok(rec.llm!.promptTokens > 0 && rec.llm!.tokens > 0);
  });

  it("a server that refuses the node's deadline leaves it to the local engine, which gives the same answer", async () => {
    const entries = await devicesWith(server.url);
    const id = entries.find((e) => e.device.kind === 'remote')!.device.id;
    const a = await agentGraph('refused')
      .input('q')
      .model('chat', model)
      .llm('answer', { ...NODE, ttftMs: 0.001, tpotMs: 0.001 })
      .output('answer')
      .prepare(deviceSetOf(entries));
    await attachServedLlms(a.resources, entries);
    const r = await a.runner
      .run({ inputs: { q: QUESTION }, placement: new Map([['answer', { prefill: id, decode: id }]]) })
      .done();
    assert.equal(r.text, await localAnswer());
    assert.ok(
      r.warnings.some((w) =>
        /refused: HTTP 503: cannot finish within the 1 ms deadline.*continuing on the local engine/.test(w),
      ),
      r.warnings.join('\n'),
    );
    assert.equal(r.records[0]!.llm!.route, 'engine');
    assert.equal(r.records[0]!.llm!.decodeDevice, 'cpu');
  });
});

describe('a server killed mid-stream', () => {
  let child: Child;
  before(async () => {
    child = await spawnServer([
      '--backend',
      'reference',
      '--llm',
      `chat=${files.dir}`,
      '--llm-capacity',
      '256',
      '--slow-ms',
      '150',
    ]);
  });
  after(() => child.kill());

  const killDuring = async (fallback?: 'none') => {
    const entries = await devicesWith(child.url);
    const id = entries.find((e) => e.device.kind === 'remote')!.device.id;
    const a = await agentGraph('killed')
      .input('q')
      .model('chat', model)
      .llm('answer', { ...NODE, ...(fallback ? { fallback } : {}) })
      .output('answer')
      .prepare(deviceSetOf(entries));
    await attachServedLlms(a.resources, entries);
    const run = a.runner.run({
      inputs: { q: QUESTION },
      placement: new Map([['answer', { prefill: id, decode: id, fallback: { prefill: 'cpu', decode: 'cpu' } }]]),
    });
    let tokens = 0,
      streamed = '';
    const events = (async () => {
      for await (const e of run) {
        if (e.type !== 'token') continue;
        streamed += e.text;
        // the server sleeps 150 ms per token: kill it while the answer is still coming
        if (++tokens === 2) child.kill('SIGKILL');
      }
    })();
    return { run, events, streamed: () => streamed, tokens: () => tokens };
  };

  it('the run continues on the local engine from the tokens already streamed, with the answer of a local run', async () => {
    const want = await localAnswer();
    assert.ok(model.tokenizer!.encode(want).length >= 4, 'the answer is long enough to be cut');
    const k = await killDuring();
    const r = await k.run.result;
    await k.events;
    assert.equal(r.text, want);
    assert.equal(k.streamed(), want, 'no token was repeated or lost in the stream');
    const rec = r.records[0]!;
    assert.match(
      rec.llm!.fallback!,
      /the LLM server .* (dropped the stream|ended the stream after \d+ tokens without \[DONE\])/,
    );
    assert.ok(
      r.warnings.some((w) => /continuing on the local engine from token [1-9]/.test(w)),
      r.warnings.join('\n'),
    );
    assert.equal(rec.llm!.decodeDevice, 'cpu');
  });

  it('with fallback: none the node fails with a clear error', async () => {
    child = await spawnServer([
      '--backend',
      'reference',
      '--llm',
      `chat=${files.dir}`,
      '--llm-capacity',
      '256',
      '--slow-ms',
      '150',
    ]);
    const k = await killDuring('none');
    await assert.rejects(
      k.run.result,
      /node 'answer': the LLM server http:\/\/127\.0\.0\.1:\d+\/v1 .*after \d+ tokens.*; node 'answer' has fallback: none, so it does not continue locally/,
    );
    await k.events.catch(() => {});
  });
});
