// A small onnxruntime-web style app (written against onnxruntime's documented JS API): image
// classification with a symbolic batch dim, an encoder block from bytes, and one decoder step of
// com.microsoft ops (GroupQueryAttention with a KV cache, MatMulNBits). test/ort/ort.test.ts runs
// it twice, changing only the import below: on onnxruntime-node and on switchyard/ort.

import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

const root = process.argv[2];
const wave = (n, f) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f) * 0.5);
const summary = (t) => ({ type: t.type, dims: [...t.dims], data: Array.from(t.data, Number) });

async function main() {
  ort.env.wasm.numThreads = 1;
  const out = {};

  // 1. classify two images: the model's batch dim is symbolic, fixed by freeDimensionOverrides
  const cnn = await ort.InferenceSession.create(`${root}/examples/models/tiny-cnn.onnx`, {
    executionProviders: ['wasm', 'cpu'],
    graphOptimizationLevel: 'all',
    freeDimensionOverrides: { batch: 2 },
  });
  const image = new ort.Tensor('float32', wave(2 * 3 * 32 * 32, 0.013), [2, 3, 32, 32]);
  const r1 = await cnn.run({ [cnn.inputNames[0]]: image });
  const probs = r1[cnn.outputNames[0]];
  out.cnn = {
    ...summary(probs),
    inputs: cnn.inputNames,
    outputs: cnn.outputNames,
    meta: cnn.inputMetadata.map((m) => [m.name, m.isTensor, m.type]),
  };
  await cnn.release();

  // 2. an encoder block created from bytes, run with an explicit fetch list
  const bytes = readFileSync(`${root}/examples/models/mini-encoder.onnx`);
  const enc = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['cpu'] });
  const hidden = new ort.Tensor(wave(64 * 128, 0.007), [1, 64, 128]);
  const r2 = await enc.run({ hidden }, ['output']);
  out.encoder = summary(r2.output);
  await enc.release();

  // 3. one decode step of contrib ops: rotary GQA over a 4-token cache, then a 4-bit projection
  const gqa = await ort.InferenceSession.create(`${root}/test/data/contrib/test_gqa_decode_rotary/model.onnx`);
  const feeds = {
    q: new ort.Tensor('float32', wave(2 * 64, 0.1), [2, 1, 64]),
    k: new ort.Tensor('float32', wave(2 * 32, 0.2), [2, 1, 32]),
    v: new ort.Tensor('float32', wave(2 * 32, 0.3), [2, 1, 32]),
    pk: new ort.Tensor('float32', wave(2 * 2 * 4 * 16, 0.05), [2, 2, 4, 16]),
    pv: new ort.Tensor('float32', wave(2 * 2 * 4 * 16, 0.07), [2, 2, 4, 16]),
    sl: new ort.Tensor('int32', Int32Array.from([4, 4]), [2]),
    tl: new ort.Tensor('int32', Int32Array.from([5]), []),
  };
  const r3 = await gqa.run(feeds);
  out.gqa = { y: summary(r3.y), presentKey: summary(r3.pk_out) };
  await gqa.release();
  const nbits = await ort.InferenceSession.create(
    `${root}/test/data/contrib/test_matmulnbits_k64_n8_b32_rank3_zp/model.onnx`,
  );
  const r4 = await nbits.run({ A: new ort.Tensor('float32', wave(2 * 3 * 64, 0.05), [2, 3, 64]) });
  out.matmulnbits = summary(r4.Y);
  await nbits.release();
  return out;
}

console.log(JSON.stringify(await main()));
