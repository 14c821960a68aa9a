// transformers.js (@huggingface/transformers) feature extraction on a tiny BERT made here, run on
// onnxruntime-node and on switchyard/ort (every onnxruntime import aliased by a Node loader hook,
// test/ort/switchyard-ort-hook.mjs), with the same outputs. The app itself is unchanged.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/paths.js';
import { writeTinyBert } from './tiny-bert.js';
import { writeTinyLlama } from './tiny-llama.js';

const OUT = join(REPO, 'dist/test/ort/transformers');

type Embeddings = { pooled: { dims: number[]; data: number[] }; tokens: { dims: number[]; data: number[] } };

function run(file: string, hook?: string): unknown {
  const r = spawnSync(process.execPath, [...(hook ? ['--import', hook] : []), file, OUT], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, `${file}: ${r.stderr.slice(-3000)}`);
  if (hook) assert.match(r.stderr, /switchyard\/ort: [1-9]\d* sessions created/, 'the app ran on switchyard/ort');
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('transformers.js feature-extraction gives the same embeddings on switchyard/ort as on onnxruntime-node', async () => {
  mkdirSync(OUT, { recursive: true });
  writeTinyBert(join(OUT, 'tiny-bert'));
  const app = join(REPO, 'test/ort/transformers-app.mjs');
  const oracle = run(app) as Embeddings;
  const ours = run(app, join(REPO, 'test/ort/switchyard-ort-hook.mjs')) as Embeddings;
  assert.deepEqual(ours.pooled.dims, [3, 16]);
  assert.deepEqual(ours.tokens.dims, oracle.tokens.dims);
  for (const k of ['pooled', 'tokens'] as const) {
    assert.deepEqual(ours[k].dims, oracle[k].dims);
    ours[k].data.forEach((v, i) =>
      assert.ok(Math.abs(v - oracle[k].data[i]!) < 1e-4, `${k}[${i}]: ${v} vs ${oracle[k].data[i]}`),
    );
  }
});

test('transformers.js greedy generation with a MatMulNBits + GroupQueryAttention decoder gives the same tokens', () => {
  mkdirSync(OUT, { recursive: true });
  writeTinyLlama(join(OUT, 'tiny-llama'));
  const app = join(REPO, 'test/ort/transformers-generate-app.mjs');
  const oracle = run(app) as { tokens: number[][] };
  const ours = run(app, join(REPO, 'test/ort/switchyard-ort-hook.mjs')) as { tokens: number[][] };
  assert.equal(oracle.tokens.length, 2);
  assert.ok(
    oracle.tokens.every((r) => r.length >= 12),
    'twelve new tokens per row',
  );
  assert.deepEqual(ours.tokens, oracle.tokens);
});
