// hf:org/name[@revision] against a local Hub stand-in (never the network): the huggingface_hub cache
// layout (refs, blobs named by ETag, snapshot symlinks), reuse of a filled cache, resuming a
// download that broke off (Range), HF_TOKEN for gated repositories, offline mode with an error per
// missing file, progress events, and loadLlm / generation from the cached snapshot.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import '../../src/index.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LlmEngine } from '../../src/agent/llm/engine.js';
import {
  filesToFetch,
  type HubProgress,
  hubCacheDir,
  parseHubId,
  repoFolder,
  resolveHubModel,
} from '../../src/agent/llm/hub.js';
import { loadLlm } from '../../src/agent/llm/load.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { CLI } from '../helpers/paths.js';
import { FakeHub } from './fake-hub.js';
import { tmp, writeTinyModel } from './helpers.js';

const TEMPLATE =
  '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

describe('Hub ids and the huggingface_hub cache', () => {
  const model = writeTinyModel('llama', 11);
  const file = (n: string) => readFileSync(join(model.dir, n));
  const files = {
    'config.json': file('config.json'),
    'tokenizer.json': file('tokenizer.json'),
    'model.safetensors': file('model.safetensors'),
    'tokenizer_config.json': JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|im_end|>' }),
    'generation_config.json': JSON.stringify({ do_sample: false, eos_token_id: [0, 2], max_new_tokens: 20 }),
    'README.md': '# tiny',
  };
  const hub = new FakeHub({
    'org/tiny': { files },
    'org/gated': { files, token: 'hf_secret' },
    'org/noweights': { files: { 'config.json': files['config.json'], 'x.gguf': 'gguf' } },
  });
  let endpoint = '';
  before(async () => {
    endpoint = await hub.start();
  });
  after(async () => {
    await hub.stop();
  });

  it('parses ids and finds the cache folder as huggingface_hub does', () => {
    assert.deepEqual(parseHubId('hf:HuggingFaceTB/SmolLM2-135M-Instruct'), {
      repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      revision: 'main',
    });
    assert.deepEqual(parseHubId('hf:org/name@v1.0'), { repo: 'org/name', revision: 'v1.0' });
    assert.throws(() => parseHubId('hf:justname'), /hf:org\/name/);
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c' }), '/c');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assert.equal(repoFolder('/c', 'org/name'), '/c/models--org--name');
    assert.throws(() => filesToFetch(['config.json', 'a.gguf'], 'w'), /neither model.safetensors.*GGUF files: a.gguf/);
  });

  it('downloads into refs/blobs/snapshots, loads, generates like the folder, and reuses the cache', async () => {
    const cacheDir = tmp('sy-hub-');
    const events: HubProgress[] = [];
    const snap = await resolveHubModel('hf:org/tiny', {
      endpoint,
      cacheDir,
      offline: false,
      onProgress: (p) => events.push(p),
    });
    const commit = hub.repos['org/tiny']!.commit!;
    const folder = join(cacheDir, 'models--org--tiny');
    assert.equal(snap, join(folder, 'snapshots', commit));
    assert.equal(readFileSync(join(folder, 'refs', 'main'), 'utf8'), commit);
    const w = files['model.safetensors'];
    const oid = createHash('sha256').update(w).digest('hex');
    assert.ok(lstatSync(join(snap, 'model.safetensors')).isSymbolicLink());
    assert.equal(readlinkSync(join(snap, 'model.safetensors')), join('..', '..', 'blobs', oid));
    const cfgSha1 = createHash('sha1').update(files['config.json']).digest('hex');
    assert.ok(existsSync(join(folder, 'blobs', cfgSha1)), 'small files are named by their git sha1 ETag');
    assert.ok(!existsSync(join(snap, 'README.md')), 'only the files a model needs');
    assert.ok(
      events.some((e) => e.file === 'model.safetensors' && e.done && e.received === w.length && e.total === w.length),
    );

    const m = await loadLlm('hf:org/tiny', { hub: { endpoint, cacheDir, offline: false } });
    assert.equal(m.name, 'org/tiny');
    assert.equal(m.generation?.temperature, 0);
    assert.deepEqual(m.generation?.eosTokenIds, [0, 2]);
    assert.ok(m.tokenizer?.template, 'the chat template from tokenizer_config.json');
    const local = await loadLlm(model.dir);
    const dev = new ReferenceDevice();
    const a = await new LlmEngine(m, { prefill: dev }).generate([5, 6, 7], { maxTokens: 6, ignoreEos: true }).collect();
    const b = await new LlmEngine(local, { prefill: dev })
      .generate([5, 6, 7], { maxTokens: 6, ignoreEos: true })
      .collect();
    assert.deepEqual(a.tokens, b.tokens);

    const before = hub.log.length;
    await resolveHubModel('hf:org/tiny', { endpoint, cacheDir, offline: false });
    assert.ok(
      !hub.log
        .slice(before)
        .some((r) => r.url.startsWith('/cdn/') || (r.method === 'GET' && r.url.includes('/resolve/'))),
      'a filled cache downloads nothing',
    );
    // by commit too
    assert.equal(await resolveHubModel(`hf:org/tiny@${commit}`, { endpoint, cacheDir, offline: false }), snap);
  });

  it('resumes a download that broke off with a Range request', async () => {
    const cacheDir = tmp('sy-hub-');
    hub.breakAfter.set('model.safetensors', 1000);
    await assert.rejects(
      resolveHubModel('hf:org/tiny', { endpoint, cacheDir, offline: false }),
      /broke off at 1000 of \d+ bytes.*run again to resume|ended at 1000/,
    );
    const oid = createHash('sha256').update(files['model.safetensors']).digest('hex');
    const part = join(repoFolder(cacheDir, 'org/tiny'), 'blobs', `${oid}.incomplete`);
    assert.equal(statSync(part).size, 1000);
    const from = hub.log.length;
    const snap = await resolveHubModel('hf:org/tiny', { endpoint, cacheDir, offline: false });
    const cdn = hub.log.slice(from).filter((r) => r.url.startsWith('/cdn/') && r.method === 'GET');
    assert.equal(cdn.length, 1);
    assert.equal(cdn[0]!.range, 'bytes=1000-');
    assert.deepEqual(readFileSync(join(snap, 'model.safetensors')), files['model.safetensors']);
    assert.ok(!existsSync(part));
  });

  it('sends HF_TOKEN to gated repositories and says when it is needed', async () => {
    const cacheDir = tmp('sy-hub-');
    await assert.rejects(
      resolveHubModel('hf:org/gated', { endpoint, cacheDir, offline: false, token: '' }),
      /HTTP 401 \(gated or private: set HF_TOKEN\)/,
    );
    await assert.rejects(
      resolveHubModel('hf:org/gated', { endpoint, cacheDir, offline: false, token: 'wrong' }),
      /HF_TOKEN was sent/,
    );
    const prev = process.env.HF_TOKEN;
    process.env.HF_TOKEN = 'hf_secret';
    try {
      const from = hub.log.length;
      await resolveHubModel('hf:org/gated', { endpoint, cacheDir, offline: false });
      assert.ok(hub.log.slice(from).every((r) => r.url.startsWith('/cdn/') || r.auth === 'Bearer hf_secret'));
    } finally {
      if (prev === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = prev;
    }
  });

  it('names what is missing: a revision, a repository, weights', async () => {
    const cacheDir = tmp('sy-hub-');
    await assert.rejects(
      resolveHubModel('hf:org/tiny@nope', { endpoint, cacheDir, offline: false }),
      /hf:org\/tiny@nope: the file list: HTTP 404 \(no such repository, revision or file\)/,
    );
    await assert.rejects(resolveHubModel('hf:org/none', { endpoint, cacheDir, offline: false }), /HTTP 404/);
    await assert.rejects(
      resolveHubModel('hf:org/noweights', { endpoint, cacheDir, offline: false }),
      /neither model.safetensors nor model.safetensors.index.json \(it has GGUF files: x.gguf/,
    );
    await assert.rejects(
      resolveHubModel('hf:org/tiny', { endpoint: 'http://127.0.0.1:1', cacheDir, offline: false }),
      /cannot reach http:\/\/127.0.0.1:1.*HF_HUB_OFFLINE=1/,
    );
  });

  it('offline (HF_HUB_OFFLINE=1) uses the cache alone and names each missing file', async () => {
    const cacheDir = tmp('sy-hub-');
    await assert.rejects(
      resolveHubModel('hf:org/tiny', { endpoint, cacheDir, offline: true }),
      /offline \(HF_HUB_OFFLINE=1\) and the cache has no .*refs\/main/,
    );
    const snap = await resolveHubModel('hf:org/tiny', { endpoint, cacheDir, offline: false });
    const from = hub.log.length;
    const prev = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      assert.equal(await resolveHubModel('hf:org/tiny', { endpoint: 'http://127.0.0.1:1', cacheDir }), snap);
      const m = await loadLlm('hf:org/tiny', { hub: { endpoint: 'http://127.0.0.1:1', cacheDir } });
      assert.equal(m.config.numLayers, 2);
      assert.equal(hub.log.length, from, 'offline makes no request');
      // a blob gone from the cache leaves a dangling link: named as missing
      const oid = readlinkSync(join(snap, 'model.safetensors')).split('/').pop()!;
      rmSync(join(repoFolder(cacheDir, 'org/tiny'), 'blobs', oid));
      await assert.rejects(
        resolveHubModel('hf:org/tiny', { cacheDir }),
        new RegExp(`${join(snap, 'model.safetensors').replace(/[/.]/g, '\\$&')} is missing from the cache`),
      );
    } finally {
      if (prev === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = prev;
    }
  });

  it('an existing huggingface_hub cache (filled by Python) is read as is', async () => {
    // the layout written by hand, as huggingface_hub leaves it: refs/main, blobs, relative symlinks
    const cacheDir = tmp('sy-hub-');
    const { symlinkSync, mkdirSync } = await import('node:fs');
    const folder = repoFolder(cacheDir, 'org/python');
    const commit = 'a'.repeat(40);
    mkdirSync(join(folder, 'refs'), { recursive: true });
    mkdirSync(join(folder, 'blobs'), { recursive: true });
    mkdirSync(join(folder, 'snapshots', commit), { recursive: true });
    writeFileSync(join(folder, 'refs', 'main'), commit);
    for (const [n, v] of Object.entries(files)) {
      const blob = createHash('sha1').update(v).digest('hex');
      writeFileSync(join(folder, 'blobs', blob), v);
      symlinkSync(join('..', '..', 'blobs', blob), join(folder, 'snapshots', commit, n));
    }
    const m = await loadLlm('hf:org/python', { hub: { cacheDir, offline: true } });
    assert.equal(m.name, 'org/python');
  });

  it('switchyard agent takes hf: ids in the graph and --model, then runs from the cache offline', async () => {
    const cacheDir = tmp('sy-hub-');
    const dir = tmp('sy-hub-graph-');
    const graph = join(dir, 'agent.yaml');
    writeFileSync(
      graph,
      `
name: hub-agent
inputs: { question: { type: text } }
models: { chat: { path: "hf:org/tiny", capacity: 48 } }
nodes:
  answer: { kind: llm, model: chat, prompt: "{{inputs.question}}", maxTokens: 4, temperature: 0 }
output: answer
`,
    );
    const run = (env: Record<string, string>, ...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [CLI, 'agent', graph, '--input', 'hello', '--json', '-b', 'reference', ...args],
        { env: { ...process.env, SWITCHYARD_CACHE: cacheDir, HF_HUB_CACHE: cacheDir, ...env } },
      );
    const online = await run({ HF_ENDPOINT: endpoint, HF_HUB_OFFLINE: '0' });
    const a = JSON.parse(online.stdout) as { text: string };
    const offline = await run({ HF_ENDPOINT: 'http://127.0.0.1:1', HF_HUB_OFFLINE: '1' });
    assert.equal(
      (JSON.parse(offline.stdout) as { text: string }).text,
      a.text,
      'the cached snapshot answers the same, offline',
    );
    const local = await run({ HF_ENDPOINT: 'http://127.0.0.1:1', HF_HUB_OFFLINE: '1' }, '--model', `chat=${model.dir}`);
    assert.equal((JSON.parse(local.stdout) as { text: string }).text, a.text, '--model with the source folder');
    await assert.rejects(
      run({ HF_HUB_OFFLINE: '1', HF_HUB_CACHE: tmp('sy-hub-empty-') }),
      /offline \(HF_HUB_OFFLINE=1\) and the cache has no/,
    );
  });
});
