// LLM runtime: cached prefill/decode against the plain full-sequence graph (reference interpreter
// and onnxruntime-node), loaders (safetensors, GGUF f32/f16/q8), tokenizer path, sampling under a
// seed, prefill/decode split, stop conditions, and the bad inputs (missing or mis-shaped tensors,
// prompt over the context, KV cache over device memory, failures mid-run without leaks).

import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { gguf } from '@huggingface/gguf';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { llmFromGguf, llmFromHf, loadLlm } from '../../src/agent/llm/load.js';
import { buildFullGraph, buildStepGraph, ropeTables, stepInputNames } from '../../src/agent/llm/model.js';
import { Sampler } from '../../src/agent/llm/sampling.js';
import { hfConfigJson, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { TextTokenizer, tokenizerJsonFromGguf } from '../../src/agent/llm/tokenizer.js';
import type { CompiledUnit, Device, DeviceTensor, Unit } from '../../src/backends/device.js';
import { ReferenceDevice } from '../../src/backends/reference/device.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { ggufToF32, readGguf, writeGguf } from '../../src/frontend/weights/gguf.js';
import { readSafetensors, writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import type { Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ortRun } from '../helpers/ort.js';
import { maxAbsDiff, tinyConfig, tinyTokenizerJson, writeTinyModel } from './helpers.js';

const ids64 = (ids: number[]) => new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);

function hfModel(arch: 'llama' | 'gpt2', seed = 7, over = {}): LlmModel {
  const c = tinyConfig(arch, over);
  return llmFromHf({
    config: hfConfigJson(c),
    weights: [writeSafetensors(syntheticHfTensors(c, seed))],
    tokenizer: tinyTokenizerJson(),
  });
}

/** Logits of the plain full graph at every position [n, V]. */
function fullLogits(m: LlmModel, ids: number[]): Float32Array {
  return interpret(buildFullGraph(m.config, m.weights, ids.length), [ids64(ids)])[0]!.data as Float32Array;
}

async function checkCached(
  m: LlmModel,
  ids: number[],
  prefillLen: number,
  engineOpts: Partial<ConstructorParameters<typeof LlmEngine>[1]> = {},
  tol = 1e-4,
): Promise<void> {
  const dev = new ReferenceDevice();
  const engine = new LlmEngine(m, { prefill: dev, capacity: 48, buckets: [4, 8], ...engineOpts });
  const rows = await engine.score(ids, prefillLen);
  const full = fullLogits(m, ids);
  const V = m.config.vocabSize;
  rows.forEach((r, k) => {
    const p = prefillLen - 1 + k;
    assert.ok(
      maxAbsDiff(r, full.subarray(p * V, (p + 1) * V)) < tol,
      `position ${p}: cached logits differ from the full graph`,
    );
  });
  engine.dispose();
}

describe('LLM: cached prefill/decode equals the full-sequence graph', () => {
  const ids = [5, 17, 33, 2, 9, 40, 41, 7, 8, 11, 60, 3];
  it('llama with grouped-query attention (4 query heads, 2 kv heads)', () => checkCached(hfModel('llama'), ids, 5));
  it('llama with q/k/v biases and multi-head attention', () =>
    checkCached(hfModel('llama', 3, { numKvHeads: 4, qkvBias: true }), ids, 3));
  it('gpt2', () => checkCached(hfModel('gpt2'), ids, 6));
  it('prompt longer than the largest bucket is prefilled in chunks', () =>
    checkCached(hfModel('llama'), ids, 11, { buckets: [4] }));
  it('a one-token prompt', () => checkCached(hfModel('gpt2'), ids.slice(0, 4), 1));
});

/** A device that says it is a kernel device without a RotaryEmbedding kernel (runs on the reference ops). */
class KernelLikeDevice implements Device {
  readonly kind = 'wasm' as const;
  readonly inner = new ReferenceDevice('kernel-like');
  readonly id = 'kernel-like';
  supports(n: Node): true | string {
    return n.op === 'nn.RotaryEmbedding' || n.op === 'nn.Attention' ? `no ${n.op} kernel` : true;
  }
  compile(u: Unit) {
    return this.inner.compile(u);
  }
  run(u: CompiledUnit, i: DeviceTensor[]) {
    return this.inner.run(u, i);
  }
  upload(t: Tensor) {
    return this.inner.upload(t);
  }
  download(t: DeviceTensor) {
    return this.inner.download(t);
  }
  release(t: DeviceTensor) {
    this.inner.release(t);
  }
  dispose() {
    return this.inner.dispose();
  }
}

describe('LLM: kernel devices', () => {
  it('the step graphs go through the shared kernel passes; RoPE and attention are decomposed where the device has no kernel', async () => {
    const dev = new KernelLikeDevice();
    const ids = [5, 17, 33, 2, 9, 40, 41];
    await checkCached(hfModel('llama'), ids, 4, { prefill: dev });
    const files = writeTinyModel('llama', 4);
    await checkCached(await loadLlm(files.gguf('F32')), ids, 4, { prefill: dev }); // interleaved pairs
    const e = new LlmEngine(hfModel('gpt2'), { prefill: dev, capacity: 32 });
    await e.generate([1, 2, 3], { maxTokens: 2 }).collect();
    const ops = new Set<string>();
    for (const p of [
      ...(
        e as unknown as { programs: Map<unknown, Map<number, Promise<{ graph: { nodes: { op: string }[] } }>>> }
      ).programs.values(),
    ].flatMap((m) => [...m.values()]))
      for (const n of (await p).graph.nodes) ops.add(n.op);
    assert.ok(
      [...ops].some((o) => o.startsWith('k.')),
      `kernel ops after lowering: ${[...ops].join(', ')}`,
    );
    assert.equal(await e.fallbacks().then((f) => f.size), 0, 'nothing falls back');
  });
});

describe('LLM: onnxruntime-node agrees', () => {
  for (const arch of ['llama', 'gpt2'] as const) {
    it(`${arch}: full graph logits`, async () => {
      const m = hfModel(arch);
      const ids = [4, 8, 15, 16, 23, 42];
      const g = buildFullGraph(m.config, m.weights, ids.length);
      const ours = interpret(g, [ids64(ids)])[0]!;
      const theirs = (await ortRun(exportOnnx(g), { input_ids: ids64(ids) })).logits!;
      assert.ok(maxAbsDiff(ours.data as Float32Array, theirs.data as Float32Array) < 1e-4);
    });
  }
  it('llama: prefill step graph with the KV cache inputs (Attention-23, RotaryEmbedding-23)', async () => {
    const m = hfModel('llama');
    const c = m.config,
      C = 16,
      n = 4;
    const g = buildStepGraph(c, m.weights, { seq: n, capacity: C }, ropeTables(c));
    const mask = new Float32Array(n * C).fill(-1e9),
      place = new Float32Array(C * n),
      keep = new Float32Array(C).fill(1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) mask[i * C + j] = 0;
      place[i * n + i] = 1;
      keep[i] = 0;
    }
    const feeds: Record<string, Tensor> = {
      input_ids: ids64([3, 1, 4, 1]),
      position_ids: ids64([0, 1, 2, 3]),
      attn_mask: new Tensor('float32', mask, [1, 1, n, C]),
      cache_place: new Tensor('float32', place, [C, n]),
      cache_keep: new Tensor('float32', keep, [C, 1]),
      last_index: new Tensor('int64', BigInt64Array.of(3n), []),
    };
    for (const name of stepInputNames(c).slice(6))
      feeds[name] = Tensor.zeros('float32', [1, c.numKvHeads, C, c.headDim]);
    const ours = interpret(
      g,
      g.inputs.map((v) => feeds[v.name]!),
    );
    const theirs = await ortRun(exportOnnx(g), feeds);
    g.outputs.forEach((v, i) =>
      assert.ok(maxAbsDiff(ours[i]!.data as Float32Array, theirs[v.name]!.data as Float32Array) < 1e-4, v.name),
    );
  });
});

describe('LLM: checkpoints', () => {
  it('safetensors round trip keeps names, dtypes, shapes, data and metadata', () => {
    const t = new Map([
      ['a', new Tensor('float32', [1, 2, 3, 4], [2, 2])],
      ['b', new Tensor('int64', [5n], [1])],
      ['c', new Tensor('float16', new Uint16Array([0x3c00]), [1])],
    ]);
    const f = readSafetensors(writeSafetensors(t, { format: 'pt' }));
    assert.deepEqual([...f.tensors.keys()], ['a', 'b', 'c']);
    assert.deepEqual(f.tensors.get('a')!.toNumbers(), [1, 2, 3, 4]);
    assert.deepEqual(f.tensors.get('a')!.dims, [2, 2]);
    assert.equal(f.tensors.get('b')!.type, 'int64');
    assert.equal(f.tensors.get('c')!.toNumbers()[0], 1);
    assert.equal(f.metadata.format, 'pt');
  });

  it('a truncated safetensors file is refused with the tensor named', () => {
    const bytes = writeSafetensors({ weight: new Tensor('float32', new Float32Array(64), [8, 8]) });
    assert.throws(
      () => readSafetensors(bytes.subarray(0, bytes.length - 16), 'w.safetensors'),
      /w\.safetensors: tensor 'weight'.*past the end/,
    );
    assert.throws(() => readSafetensors(new Uint8Array(4), 'x'), /too short/);
  });

  it('GGUF round trip: metadata, F32, F16 and Q8_0 tensors', () => {
    const x = new Float32Array(64).map((_, i) => Math.sin(i) * 3);
    const bytes = writeGguf(
      { 'general.architecture': 'llama', 'a.list': ['x', 'y'], 'a.f': { type: 'f32', value: 0.5 } },
      [
        { name: 'f32', tensor: new Tensor('float32', x, [2, 32]) },
        { name: 'f16', tensor: new Tensor('float32', x, [2, 32]), type: 'F16' },
        { name: 'q8', tensor: new Tensor('float32', x, [2, 32]), type: 'Q8_0' },
      ],
    );
    const f = readGguf(bytes, 't.gguf');
    assert.equal(f.metadata.get('general.architecture'), 'llama');
    assert.deepEqual(f.metadata.get('a.list'), ['x', 'y']);
    assert.equal(f.metadata.get('a.f'), 0.5);
    assert.deepEqual(f.tensors.get('q8')!.shape, [2, 32]);
    assert.ok(maxAbsDiff(ggufToF32(f.tensors.get('f32')!).data as Float32Array, x) === 0);
    assert.ok(maxAbsDiff(ggufToF32(f.tensors.get('f16')!).data as Float32Array, x) < 2e-3);
    assert.ok(maxAbsDiff(ggufToF32(f.tensors.get('q8')!).data as Float32Array, x) < 3 / 127);
    assert.throws(() => readGguf(bytes.subarray(0, bytes.length - 40), 't.gguf'), /t\.gguf: tensor 'q8'.*past the end/);
  });

  it('GGUF files written here are read the same by @huggingface/gguf (an independent parser)', async () => {
    const files = writeTinyModel('llama', 2);
    const path = files.gguf('Q8_0');
    const ours = readGguf(readFileSync(path));
    const theirs = await gguf(path, { allowLocalFile: true });
    assert.equal(theirs.metadata.version, 3);
    for (const k of [
      'general.architecture',
      'llama.block_count',
      'llama.attention.head_count_kv',
      'llama.context_length',
    ])
      assert.equal(theirs.metadata[k as keyof typeof theirs.metadata], ours.metadata.get(k), k);
    assert.ok(Math.abs(Number(theirs.metadata['llama.rope.freq_base' as keyof typeof theirs.metadata]) - 10000) < 1e-3);
    assert.equal(theirs.tensorInfos.length, ours.tensors.size);
    for (const ti of theirs.tensorInfos) {
      const t = ours.tensors.get(ti.name)!;
      assert.deepEqual(ti.shape.map(Number).reverse(), t.shape, ti.name);
      assert.equal(ti.dtype, t.type, ti.name);
      const start = t.bytes.byteOffset - ours.tensors.get(theirs.tensorInfos[0]!.name)!.bytes.byteOffset;
      assert.equal(Number(ti.offset), start, `${ti.name} offset`);
    }
  });

  for (const arch of ['llama', 'gpt2'] as const) {
    it(`${arch}: GGUF F32 gives the safetensors logits; F16 and Q8_0 stay close; int8 kernels equal dequantized`, async () => {
      const files = writeTinyModel(arch);
      const hf = await loadLlm(files.dir);
      const ids = [12, 40, 7, 99, 3, 5];
      const ref = fullLogits(hf, ids);
      const g32 = await loadLlm(files.gguf('F32'));
      assert.equal(g32.config.ropeInterleaved, arch === 'llama');
      assert.ok(maxAbsDiff(fullLogits(g32, ids), ref) < 1e-4, 'F32 GGUF');
      assert.ok(maxAbsDiff(fullLogits(await loadLlm(files.gguf('F16')), ids), ref) < 0.05, 'F16 GGUF');
      const q8 = files.gguf('Q8_0');
      const deq = fullLogits(await loadLlm(q8), ids);
      assert.ok(maxAbsDiff(deq, ref) < 0.25, 'Q8_0 GGUF');
      const int8 = await loadLlm(q8, { quantization: 'int8' });
      assert.ok(int8.weights.layers[0]!.up.w && 'kind' in int8.weights.layers[0]!.up.w, 'int8 weights kept');
      assert.ok(maxAbsDiff(fullLogits(int8, ids), deq) < 1e-3, 'int8 path equals dequantized');
      // the cached engine runs the GGUF (interleaved RoPE for llama) model too
      await checkCached(g32, ids, 3);
    });
  }

  it('a missing tensor is named with the checkpoint and what needs it', () => {
    const c = tinyConfig('llama');
    const hf = syntheticHfTensors(c, 1);
    hf.delete('model.layers.1.mlp.up_proj.weight');
    assert.throws(
      () => llmFromHf({ config: hfConfigJson(c), weights: [writeSafetensors(hf)], source: 'tiny.safetensors' }),
      /tiny\.safetensors: tensor 'layers\.1\.mlp\.up_proj\.weight' is missing \(llama needs it for layer 1 MLP up/,
    );
  });

  it('a mis-shaped tensor is named with its shape and the expected one', () => {
    const c = tinyConfig('llama');
    const hf = syntheticHfTensors(c, 1);
    hf.set('model.layers.0.self_attn.k_proj.weight', new Tensor('float32', new Float32Array(32 * 32), [32, 32]));
    assert.throws(
      () => llmFromHf({ config: hfConfigJson(c), weights: [writeSafetensors(hf)], source: 'tiny.safetensors' }),
      /tensor 'model\.layers\.0\.self_attn\.k_proj\.weight' has shape \[32, 32\], expected \[16, 32\]/,
    );
  });

  it('a GGUF tensor missing or mis-shaped is named', () => {
    const c = tinyConfig('gpt2');
    const files = writeTinyModel('gpt2');
    const f = readGguf(readFileSync(files.gguf('F32')));
    const tensors = [...f.tensors.values()]
      .filter((t) => t.name !== 'blk.1.ffn_down.weight')
      .map((t) => ({ name: t.name, tensor: ggufToF32(t) }));
    const meta = Object.fromEntries(f.metadata) as Parameters<typeof writeGguf>[0];
    assert.throws(
      () => llmFromGguf(writeGguf(meta, tensors), { source: 'bad.gguf' }),
      /bad\.gguf: tensor 'blk\.1\.ffn_down\.weight' is missing/,
    );
    void c;
  });
});

describe('LLM: tokenizer path', () => {
  it('a trained byte-level BPE round-trips text through @huggingface/tokenizers', () => {
    const t = new TextTokenizer(tinyTokenizerJson());
    const text = 'The fox answers the question: 42 héllo!';
    const ids = t.encode(text);
    assert.ok(ids.length < new TextEncoder().encode(text).length, 'merges shorten the sequence');
    assert.equal(t.decode(ids), text);
    const sd = t.streamDecoder();
    assert.equal(ids.map((i) => sd.push(i)).join(''), text);
  });

  it('the GGUF tokenizer metadata gives the same ids as tokenizer.json', () => {
    const files = writeTinyModel('gpt2');
    const f = readGguf(readFileSync(files.gguf('F32')));
    const a = new TextTokenizer(tinyTokenizerJson()),
      b = new TextTokenizer(tokenizerJsonFromGguf(f.metadata));
    const text = 'Retrieval finds the documents. Hello wörld 90';
    assert.deepEqual(b.encode(text), a.encode(text));
  });

  it('generate streams text whose concatenation is the final text', async () => {
    const files = writeTinyModel('llama', 11);
    const m = await loadLlm(files.dir);
    const engine = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 48 });
    const gen = engine.generate('The quick brown fox', { maxTokens: 12, temperature: 1, seed: 3, ignoreEos: true });
    let streamed = '';
    for await (const e of gen) streamed += e.text;
    const r = await gen.result;
    assert.equal(streamed, r.text);
    assert.equal(r.text, m.tokenizer!.decode(r.tokens));
    assert.equal(r.tokens.length, 12);
    assert.ok(r.ttftMs > 0 && r.tpotMs > 0);
  });
});

describe('LLM: sampling', () => {
  const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i * 1.7) * 3);
  it('greedy is the argmax whatever the seed; top_k 1 and a tiny top_p are greedy too', () => {
    const best = new Sampler().next(logits);
    for (const o of [
      { seed: 1 },
      { seed: 2 },
      { temperature: 1, topK: 1, seed: 5 },
      { temperature: 1, topP: 1e-6, seed: 6 },
    ])
      assert.equal(new Sampler(o).next(logits), best);
  });
  it('the same seed gives the same draws; another seed differs', () => {
    const draw = (seed: number) => {
      const s = new Sampler({ temperature: 2, topP: 0.95, topK: 40, seed });
      return Array.from({ length: 30 }, () => s.next(logits));
    };
    assert.deepEqual(draw(9), draw(9));
    assert.notDeepEqual(draw(9), draw(10));
  });
  it('top_k keeps draws among the k best', () => {
    const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
    const s = new Sampler({ temperature: 5, topK: 3, seed: 1 });
    for (let i = 0; i < 100; i++) assert.ok(order.slice(0, 3).includes(s.next(logits)));
  });
  it('generation under a seed is deterministic end to end', async () => {
    const m = hfModel('llama', 5);
    const run = async (seed: number) => {
      const e = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 48 });
      return (
        await e
          .generate([3, 9, 27], { maxTokens: 10, temperature: 1.2, topK: 50, topP: 0.9, seed, ignoreEos: true })
          .collect()
      ).tokens;
    };
    assert.deepEqual(await run(42), await run(42));
    assert.notDeepEqual(await run(42), await run(43));
  });
  it('bad sampling options are refused', async () => {
    const e = new LlmEngine(hfModel('gpt2'), { prefill: new ReferenceDevice() });
    await assert.rejects(
      e.generate([1], { temperature: -1, node: 'answer' }).collect(),
      /node 'answer': temperature must be >= 0/,
    );
    await assert.rejects(e.generate([1], { topP: 0 }).collect(), /top_p must be in \(0, 1\]/);
  });
});

describe('LLM: prefill and decode on different devices', () => {
  for (const arch of ['llama', 'gpt2'] as const) {
    it(`${arch}: the same tokens as one device, with the KV cache moved once`, async () => {
      const m = hfModel(arch, 13);
      const prompt = [5, 6, 7, 8, 9, 10, 11];
      const opts = { maxTokens: 10, temperature: 0.9, seed: 4, ignoreEos: true };
      const one = new ReferenceDevice({ id: 'gpu' });
      const single = await new LlmEngine(m, { prefill: one, capacity: 32 }).generate(prompt, opts).collect();
      const a = new ReferenceDevice({ id: 'remote' }),
        b = new ReferenceDevice({ id: 'local' });
      const engine = new LlmEngine(m, { prefill: a, decode: b, capacity: 32 });
      const split = await engine.generate(prompt, opts).collect();
      assert.deepEqual(split.tokens, single.tokens);
      assert.equal(split.prefillDevice, 'remote');
      assert.equal(split.decodeDevice, 'local');
      assert.equal(split.transferBytes, engine.kvBytes);
      engine.dispose();
      assert.equal(a.liveTensors + b.liveTensors, 0, 'nothing left on either device');
    });
  }
});

describe('LLM: stop conditions and streaming', () => {
  it('a stop string ends the text before it; max_tokens ends with finish length', async () => {
    const m = hfModel('gpt2', 21);
    const e = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 48 });
    const free = await e.generate([10, 20, 30], { maxTokens: 16, temperature: 1, seed: 2, ignoreEos: true }).collect();
    assert.equal(free.finishReason, 'length');
    const stopAt = free.text.slice(3, 5);
    assert.ok(stopAt.length === 2, `text long enough: ${JSON.stringify(free.text)}`);
    const gen = e.generate([10, 20, 30], { maxTokens: 16, temperature: 1, seed: 2, ignoreEos: true, stop: [stopAt] });
    let streamed = '';
    for await (const t of gen) streamed += t.text;
    const r = await gen.result;
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.text, free.text.slice(0, free.text.indexOf(stopAt)));
    assert.equal(streamed, r.text);
  });
  it('an end-of-sequence token stops generation', async () => {
    const m = hfModel('gpt2', 21);
    const e = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 48 });
    const free = await e.generate([10, 20, 30], { maxTokens: 8, ignoreEos: true }).collect();
    const r = await e.generate([10, 20, 30], { maxTokens: 8, stopTokens: [free.tokens[2]!] }).collect();
    assert.equal(r.finishReason, 'stop');
    assert.deepEqual(r.tokens, free.tokens.slice(0, free.tokens.indexOf(free.tokens[2]!)));
  });
});

/** A reference device that fails its n-th run. */
class FlakyDevice extends ReferenceDevice {
  runs = 0;
  constructor(
    private readonly failAt: number,
    capacityBytes?: number,
  ) {
    super({ id: 'flaky', capacityBytes });
  }
  override async run(cu: CompiledUnit, inputs: DeviceTensor[]): Promise<DeviceTensor[]> {
    if (++this.runs === this.failAt) throw new Error('device lost');
    return super.run(cu, inputs);
  }
}

describe('LLM: bad input and failures', () => {
  it('a prompt over the context length names the node and the numbers', async () => {
    const m = hfModel('llama');
    const e = new LlmEngine(m, { prefill: new ReferenceDevice() });
    const long = Array.from({ length: 60 }, (_, i) => i % 50);
    await assert.rejects(
      e.generate(long, { maxTokens: 10, node: 'answer' }).collect(),
      /node 'answer': prompt of 60 tokens \+ max_tokens 10 = 70 exceeds the context length 64/,
    );
  });

  it('a KV cache over device memory is refused before anything is allocated', async () => {
    const m = hfModel('llama');
    const probe = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 64 });
    const dev = new ReferenceDevice({ id: 'small', capacityBytes: probe.weightBytes + probe.kvBytes / 2 });
    const e = new LlmEngine(m, { prefill: dev, capacity: 64 });
    await assert.rejects(
      e.generate([1, 2], { maxTokens: 4, node: 'chat' }).collect(),
      /node 'chat': the KV cache for 64 positions needs 16\.0 KiB \(2 layers × key\+value × 2 heads × 8 × 4 B per position\), but device 'small' has/,
    );
    assert.equal(dev.liveTensors, 0);
  });

  it('a device failure in the middle of decode frees the cache (no half-filled cache is left)', async () => {
    const m = hfModel('gpt2');
    const dev = new FlakyDevice(4);
    const e = new LlmEngine(m, { prefill: dev, capacity: 32 });
    await assert.rejects(e.generate([1, 2, 3], { maxTokens: 8, ignoreEos: true }).collect(), /device lost/);
    e.dispose();
    assert.equal(dev.liveTensors, 0);
  });

  it('a consumer that stops iterating early frees the cache', async () => {
    const m = hfModel('gpt2');
    const dev = new ReferenceDevice();
    const e = new LlmEngine(m, { prefill: dev, capacity: 32 });
    const gen = e.generate([1, 2, 3], { maxTokens: 20, ignoreEos: true });
    let n = 0;
    for await (const _ of gen) if (++n === 3) break;
    e.dispose();
    assert.equal(dev.liveTensors, 0);
  });

  it('an abort signal stops generation with finish reason abort', async () => {
    const m = hfModel('gpt2');
    const ac = new AbortController();
    const e = new LlmEngine(m, { prefill: new ReferenceDevice(), capacity: 32 });
    const gen = e.generate([1, 2, 3], { maxTokens: 20, ignoreEos: true, signal: ac.signal });
    let n = 0;
    for await (const _ of gen) if (++n === 2) ac.abort();
    assert.equal((await gen.result).finishReason, 'abort');
    assert.equal((await gen.result).tokens.length, 2);
  });

  it('a token id outside the vocabulary is refused', async () => {
    const e = new LlmEngine(hfModel('gpt2'), { prefill: new ReferenceDevice() });
    await assert.rejects(e.generate([1, 99999]).collect(), /token id 99999 is outside the vocabulary/);
  });

  it('loading: missing config.json and unknown files are explained', async () => {
    const files = writeTinyModel('gpt2');
    writeFileSync(join(files.dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    await assert.rejects(loadLlm(files.dir), /model_type 'bert' is not supported/);
    await assert.rejects(
      loadLlm(join(files.dir, 'model.bin')),
      /expected a \.gguf file, a \.safetensors file or a Hugging Face model folder/,
    );
  });
});
