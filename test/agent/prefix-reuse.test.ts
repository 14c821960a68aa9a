// Prefix reuse in the batching engine: a second turn that starts with the first turn's prompt and
// answer takes up the KV blocks the first left in the pool (its prefill starts after them) and
// gives the very tokens it gives with reuse off; on the reference device and on WASM, with the
// rows written in place and with the ScatterND graph that copies the pool. Then the pool's
// accounting: shared blocks counted once, idle cached blocks evicted least recently used first.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import type { BatchingOptions } from '../../src/agent/llm/batcher.js';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { llmFromHf } from '../../src/agent/llm/load.js';
import { PagedKvPool } from '../../src/agent/llm/paged-kv.js';
import { blockHash } from '../../src/agent/llm/prefix-cache.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import type { Device } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { WasmDevice } from '../../src/backends/wasm/device.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { tinyConfig, tinyTokenizerJson } from './helpers.js';

function model(): LlmModel {
  const c = tinyConfig('llama', { contextLength: 128 });
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, 9))],
    tokenizer: tinyTokenizerJson(),
  });
}

/** Turn 1 and turn 2 (turn 1's prompt, its answer, a new message) on one engine. */
async function turns(m: LlmModel, device: Device, opts: BatchingOptions) {
  const engine = new LlmEngine(m, { prefill: device, capacity: 96, buckets: [4, 16] });
  const loop = await engine.enableBatching({ maxBatch: 4, blockSize: 8, ...opts });
  const V = m.config.vocabSize;
  const first = Array.from({ length: 37 }, (_, i) => (i * 13 + 3) % V);
  const gen = { maxTokens: 10, ignoreEos: true, temperature: 0.7, seed: 4 };
  const a = await engine.generate(first, gen).collect();
  const second = [...first, ...a.tokens, 7, 8, 9, 10, 11];
  const [b, c] = await Promise.all([
    engine.generate(second, gen).collect(),
    engine.generate([...first.slice(0, 20), 1, 2, 3], gen).collect(),
  ]);
  const stats = { ...loop.pool.prefixes.stats };
  const free = loop.pool.freeBlocks === loop.pool.numBlocks - 1 && loop.pool.available === loop.pool.numBlocks - 1;
  engine.dispose();
  return { tokens: [a.tokens, b.tokens, c.tokens], stats, free, inPlace: loop.inPlace };
}

describe('prefix reuse over the paged KV cache', () => {
  const m = model();
  for (const [name, make] of [
    ['reference', async () => new ReferenceDevice()],
    ['wasm', () => WasmDevice.create({ threads: 1 })],
  ] as [string, () => Promise<Device>][])
    for (const inPlace of [true, false])
      it(`${name}, ${inPlace ? 'rows written in place' : 'ScatterND copying the pool'}: the same tokens`, async () => {
        const device = await make();
        const off = await turns(m, device, { prefixReuse: false, inPlace });
        const on = await turns(m, device, { inPlace });
        assert.equal(on.inPlace, inPlace);
        assert.deepEqual(on.tokens, off.tokens, 'tokens with prefix reuse equal tokens without');
        assert.equal(off.stats.reusedBlocks, 0);
        // turn 2 finds turn 1's 47 positions: 5 full blocks; the third prompt the first 2 blocks
        assert.equal(on.stats.reusedBlocks, 5 + 2, 'blocks taken up from the cache');
        assert.ok(on.free && off.free, 'every block comes back (held by nobody) and no reservation is left');
        await device.dispose();
      });

  it('shared blocks count once, an idle cached block is evicted least recently used first', async () => {
    const c = tinyConfig('llama');
    const pool = await PagedKvPool.create(new ReferenceDevice(), c, 2, 6, 'test');
    const p = [1, 2, 3, 4, 5];
    const a = pool.admit(6, p)!;
    assert.equal(a.cached, 0, 'nothing cached yet');
    a.grow(5);
    a.wrote(0, p);
    assert.deepEqual(a.hashes, [blockHash('', [1, 2]), blockHash(blockHash('', [1, 2]), [3, 4])]);
    const b = pool.admit(6, [1, 2, 3, 4, 9])!;
    assert.equal(b.cached, 4, 'b starts after the 2 blocks a filled');
    assert.deepEqual(b.blocks, a.blocks.slice(0, 2), 'the very blocks');
    assert.equal(b.reserved, 1, 'b needs one new block');
    assert.equal(pool.available, 1, '5 blocks: 3 for a, 1 more for b (the shared 2 counted once), 1 left');
    a.release();
    b.release();
    assert.equal(pool.freeBlocks, 5, 'held by nobody');
    assert.equal(pool.prefixes.idleCount, 2, 'the 2 full blocks stay cached');
    const d = pool.admit(10)!; // 5 new blocks: the 3 free ones, then the 2 cached, leaf first
    d.grow(8);
    assert.equal(pool.prefixes.size, 1, 'the leaf block (3, 4) went first');
    assert.ok(pool.prefixes.has(blockHash('', [1, 2])));
    d.grow(10);
    assert.equal(pool.prefixes.size, 0);
    d.release();
    pool.dispose();
  });
});
