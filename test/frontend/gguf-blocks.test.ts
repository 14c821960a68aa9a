// GGUF block codecs (Q8_0, Q4_0, Q4_K, Q6_K): encoding stays within each format's step, the GGUF
// file round-trips them, and the MatMulNBits repacking (gguf-nbits.ts) dequantises to exactly the
// decoder's values; a GGUF model loaded 'native' (MatMulNBits on the integer kernels) gives the
// widened model's logits (within int8 activation rounding) and greedy tokens on WASM.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { configFromGguf } from '../../src/agent/llm/config.js';
import { LlmEngine, type LlmModel } from '../../src/agent/llm/engine.js';
import { hfToGguf, llamaConfig, syntheticHfTensors } from '../../src/agent/llm/synthetic.js';
import { type Quantization, weightsFromGguf } from '../../src/agent/llm/weights.js';
import { WasmDevice } from '../../src/backends/wasm/device.js';
import { readGguf, writeGguf } from '../../src/frontend/weights/gguf.js';
import { decodeBlocks, encodeBlocks, GGML, type GgmlBlockType } from '../../src/frontend/weights/gguf-blocks.js';
import { ggufToNBits } from '../../src/frontend/weights/gguf-nbits.js';
import { Tensor } from '../../src/ir/tensor.js';
import { dequantizeNBits, nbitsGeometry } from '../../src/ops/contrib-math.js';
import { mulberry32 } from '../../src/util/rng.js';

const rows = 4,
  cols = 512;
const values = (seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => (r() - 0.5) * 0.2 + (r() < 0.01 ? 0.3 : 0));
};

/** Largest error each format allows per value, relative to its block's largest magnitude. */
const STEP: Record<GgmlBlockType, number> = { Q8_0: 0.5 / 127, Q4_0: 1 / 8, Q4_K: 1.2 / 15, Q6_K: 1 / 31 };
const PER: Record<GgmlBlockType, number> = { Q8_0: 32, Q4_0: 32, Q4_K: 32, Q6_K: 16 };

for (const type of ['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const) {
  test(`${type}: encode / decode within the format's step; through a GGUF file; MatMulNBits repack equals the decoder`, () => {
    const x = values(3);
    const enc = encodeBlocks(type, x);
    const dec = decodeBlocks(GGML[type], enc, x.length);
    const per = PER[type];
    for (let b = 0; b < x.length / per; b++) {
      const blk = x.subarray(b * per, (b + 1) * per);
      // Q4_K's scales are per 32 but its range is min..max (twice the magnitude at worst)
      const range = blk.reduce((a, v) => Math.max(a, Math.abs(v)), 0) * (type === 'Q4_K' ? 2 : 1);
      for (let j = 0; j < per; j++) {
        const e = Math.abs(dec[b * per + j]! - blk[j]!);
        assert.ok(e <= range * STEP[type] * 1.05 + 1e-4, `${type} block ${b} value ${j}: error ${e}, range ${range}`);
      }
    }
    const file = readGguf(writeGguf({}, [{ name: 'w', tensor: new Tensor('float32', x, [rows, cols]), type }]));
    const t = file.tensors.get('w')!;
    assert.equal(t.typeName, type);
    assert.deepEqual(decodeBlocks(t.type, t.bytes, x.length), dec);
    if (type === 'Q4_K') {
      assert.throws(() => ggufToNBits(t), /only Q8_0, Q4_0 and Q6_K/);
      return;
    }
    const m = ggufToNBits(t);
    const attrs = { K: m.K, N: m.N, bits: m.bits, block_size: m.blockSize };
    const g = nbitsGeometry({ int: (k: string) => attrs[k as keyof typeof attrs] });
    const w = dequantizeNBits(g, m.codes, m.scales);
    for (let i = 0; i < w.length; i++)
      assert.ok(
        Math.abs(w[i]! - dec[i]!) <= 1e-7 * Math.abs(dec[i]!) + 1e-9,
        `${type} value ${i}: ${w[i]} vs ${dec[i]}`,
      );
  });
}

/** The seeded q/k and output projections at std 0.02 too (as a trained model's), not 0.3. */
function trainedScale(t: Map<string, Tensor>): Map<string, Tensor> {
  for (const [name, x] of t) {
    if (/q_proj|k_proj|lm_head/.test(name))
      t.set(
        name,
        new Tensor(
          'float32',
          (x.data as Float32Array).map((v) => v / 15),
          x.dims,
        ),
      );
  }
  return t;
}

test('a GGUF Llama loaded native (MatMulNBits, integer kernels) gives the widened model logits and greedy tokens on WASM', async () => {
  const c = llamaConfig({
    vocabSize: 256,
    hiddenSize: 256,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 64,
    intermediateSize: 512,
    contextLength: 128,
  });
  const device = await WasmDevice.create({ threads: 2 });
  try {
    for (const type of ['Q8_0', 'Q4_0', 'Q6_K'] as const) {
      const { metadata, tensors } = hfToGguf(c, trainedScale(syntheticHfTensors(c, 5, 0.02, 0.5)), type);
      const file = readGguf(writeGguf(metadata, tensors));
      const config = configFromGguf(file.metadata);
      const gen = async (q: Quantization) => {
        const model: LlmModel = { name: type, config, weights: weightsFromGguf(file, config, q), source: type };
        const engine = new LlmEngine(model, { prefill: device, capacity: 64, buckets: [16] });
        try {
          const prompt = Array.from({ length: 12 }, (_, i) => (i * 37 + 5) % 256);
          const r = await engine.generate(prompt, { maxTokens: 16, ignoreEos: true }).collect();
          const [logits] = await engine.score(prompt, 12);
          assert.deepEqual([...(await engine.fallbacks()).keys()], [], `${type} ${q}: no fallback`);
          return { tokens: r.tokens, logits: logits! };
        } finally {
          engine.dispose();
        }
      };
      const wide = await gen('dequantize'),
        native = await gen('native');
      let d = 0,
        spread = 0;
      for (let i = 0; i < wide.logits.length; i++) {
        d = Math.max(d, Math.abs(wide.logits[i]! - native.logits[i]!));
        spread = Math.max(spread, Math.abs(wide.logits[i]!));
      }
      // int8 activations (as llama.cpp's) move the logits by well under 1 % of their range here
      assert.ok(d < 0.015 * spread, `${type}: logits differ by ${d} (spread ${spread})`);
      // a seeded model's logits lie close together, so late greedy steps may flip on near-ties
      assert.deepEqual(native.tokens.slice(0, 8), wide.tokens.slice(0, 8), `${type}: greedy tokens`);
    }
  } finally {
    await device.dispose();
  }
});
