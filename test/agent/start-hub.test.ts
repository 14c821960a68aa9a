// `npm start` pointed at a model by Hub id (SWITCHYARD_CHAT_MODEL=hf:org/name) or by folder, the way
// a user with a real model would, against the local Hub stand-in: the cache is filled once, then
// the example runs offline (HF_HUB_OFFLINE=1, the endpoint unreachable) with no request to the
// Hub, its server and its agent both loading the cached snapshot, and the answer is valid UTF-8.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { prepareExampleModels } from '../../src/agent/example.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { REPO } from '../helpers/paths.js';
import { FakeHub } from './fake-hub.js';
import { tmp } from './helpers.js';

const START = join(REPO, 'examples/agent/start.mjs');
const CHAT = join(REPO, 'examples/agent/models/chat');
const ID = 'hf:org/example-chat';

describe('npm start with SWITCHYARD_CHAT_MODEL', () => {
  let hub: FakeHub;
  const cacheDir = tmp('sy-start-hub-');
  before(async () => {
    await prepareExampleModels(join(REPO, 'examples/agent/rag.yaml'));
    const file = (n: string) => readFileSync(join(CHAT, n));
    const names = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json'];
    hub = new FakeHub({ 'org/example-chat': { files: Object.fromEntries(names.map((n) => [n, file(n)])) } });
    const endpoint = await hub.start();
    // a machine that reaches the Hub fills the cache once
    await loadLlm(ID, { hub: { endpoint, cacheDir, offline: false } });
  });
  after(async () => {
    await hub.stop();
  });

  const run = (model: string) => {
    const before = hub.log.length;
    const r = spawnSync(process.execPath, [START, 'How much is shipping for 3 kg to zone B?'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        SWITCHYARD_CACHE: tmp('sy-start-cache-'),
        SWITCHYARD_CHAT_MODEL: model,
        HF_HUB_CACHE: cacheDir,
        HF_HUB_OFFLINE: '1',
        HF_ENDPOINT: 'http://127.0.0.1:1',
      },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(hub.log.length, before, 'no request reached the Hub');
    return r;
  };

  it('an hf: id runs from the filled cache, offline, in the server and in the agent', () => {
    const r = run(ID);
    assert.match(r.stderr, new RegExp(`the chat model is ${ID}`));
    assert.match(r.stderr, /\[server\] llm chat: measured: TTFT/);
    assert.match(r.stderr, /loading model 'chat' from hf:org\/example-chat/);
    assert.match(r.stderr, /answer\s+llm\s+0\s+\S+\s+[\d.]+\s+\d+ prompt \+ \d+ new tokens/);
    assert.ok(r.stdout.trim().length > 0, 'the streamed answer');
    assert.ok(!r.stdout.includes('\uFFFD'), `valid UTF-8: ${r.stdout}`);
  });

  it('a model folder runs the same way', () => {
    const r = run(CHAT);
    assert.match(r.stderr, /answer\s+llm\s+0/);
    assert.ok(!r.stdout.includes('\uFFFD'));
  });
});
