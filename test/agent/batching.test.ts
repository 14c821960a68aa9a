// Continuous batching in the LLM engine: the paged KV pool (blocks taken as a sequence grows, all
// back on finish and on abort), and generations that share one step loop giving the very tokens
// they give alone: 16 concurrent greedy streams against one at a time on the dense cache, prompts
// longer than a prefill chunk, seeded sampling, llama (RoPE, GQA) and GPT-2.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { PagedKvPool } from '../../src/agent/llm/paged-kv.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

function model(arch: 'llama' | 'gpt2', seed = 7, over = {}): LlmModel {
  const c = tinyConfig(arch, { contextLength: 96, ...over });
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, seed))],
    tokenizer: tinyTokenizerJson(),
  });
}

/** 16 distinct prompts of 3 to 20 token ids. */
const prompts = (V: number) =>
  Array.from({ length: 16 }, (_, i) => Array.from({ length: 3 + ((i * 5) % 18) }, (_, j) => (i * 31 + j * 17 + 5) % V));

async function sameTokens(m: LlmModel, sampling: { temperature?: number; seed?: number } = {}): Promise<void> {
  const opts = { maxTokens: 12, ignoreEos: true, ...sampling };
  const alone = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
  const want: number[][] = [];
  for (const p of prompts(m.config.vocabSize)) want.push((await alone.generate(p, opts).collect()).tokens);
  const batched = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
  const loop = await batched.enableBatching({ maxBatch: 16, blockSize: 8 });
  const got = await Promise.all(prompts(m.config.vocabSize).map((p) => batched.generate(p, opts).collect()));
  got.forEach((r, i) =>
    assert.deepEqual(r.tokens, want[i], `stream ${i}: batched tokens differ from the one-at-a-time run`),
  );
  assert.ok(loop.stats.maxRows >= 8, `decode steps were batched (largest batch ${loop.stats.maxRows} rows)`);
  assert.ok(
    loop.stats.decodeSteps < 16 * 11,
    `fewer decode steps (${loop.stats.decodeSteps}) than one per token per stream`,
  );
  assert.equal(loop.pool.freeBlocks, loop.pool.numBlocks - 1, 'every block is back in the pool');
  assert.equal(loop.pool.available, loop.pool.numBlocks - 1, 'no reservation is left');
  alone.dispose();
  batched.dispose();
}

describe('continuous batching: one step loop, a paged KV cache, the same tokens', () => {
  it('16 concurrent greedy llama streams (GQA, RoPE) equal one at a time on the dense cache', () =>
    sameTokens(model('llama')));
  it('16 concurrent greedy gpt2 streams equal one at a time', () => sameTokens(model('gpt2', 3)));
  it('seeded sampling gives the same tokens batched', () =>
    sameTokens(model('llama', 5), { temperature: 0.8, seed: 11 }));

  it('the pool hands out blocks as a sequence grows and takes them all back', async () => {
    const c = tinyConfig('llama');
    const pool = await PagedKvPool.create(new ReferenceDevice(), c, 4, 6, 'test');
    const a = pool.admit(10)!;
    assert.equal(pool.available, 2, '3 blocks promised to a');
    assert.equal(pool.admit(12), undefined, 'no room for 3 more');
    const b = pool.admit(4)!;
    a.grow(4);
    b.grow(4);
    a.grow(5);
    assert.equal(a.blocks.length, 2);
    assert.equal(a.row(4), a.blocks[1]! * 4, "position 4 is the first row of a's second block");
    assert.notEqual(a.row(4), a.row(3) + 1, "a's blocks are not one dense range (b took the block between)");
    assert.ok(
      [...a.blocks, ...b.blocks].every((x) => x !== 0),
      'block 0 is the padding block, never handed out',
    );
    assert.throws(() => a.grow(13), /reserved 3/);
    a.release();
    b.release();
    assert.equal(pool.freeBlocks, 5);
    assert.equal(pool.available, 5);
    assert.throws(() => pool.admit(40), /needs 10 KV blocks; the pool has 5/);
    pool.dispose();
  });

  it('an abort frees the slot and blocks within a step; a queued generation then runs', async () => {
    const m = model('llama');
    const engine = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64, buckets: [4, 8] });
    const loop = await engine.enableBatching({ maxBatch: 1, blockSize: 8 });
    const ac = new AbortController();
    const first = engine.generate([5, 6, 7], { maxTokens: 40, ignoreEos: true, signal: ac.signal });
    const it = first[Symbol.asyncIterator]();
    await it.next();
    const second = engine.generate([8, 9], { maxTokens: 3, ignoreEos: true }).collect();
    await it.next();
    assert.equal(loop.waiting, 1, 'the second waits for the only slot');
    ac.abort();
    let seen = 2;
    while (!(await it.next()).done) seen++;
    const r1 = await first.result;
    assert.ok(seen <= 3, `at most one more token after the abort (${seen})`);
    assert.equal(r1.finishReason, 'abort');
    assert.ok(r1.tokens.length <= 3, `stopped within a step of the abort (${r1.tokens.length} tokens)`);
    const r2 = await second;
    assert.equal(r2.tokens.length, 3);
    assert.equal(loop.pool.freeBlocks, loop.pool.numBlocks - 1);
    engine.dispose();
  });
});
