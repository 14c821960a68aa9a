#!/usr/bin/env node
// Contrib-op timings: MatMulNBits (4-bit, decode and prefill), SkipLayerNormalization, MultiHeadAttention
// and GroupQueryAttention decode steps with a KV cache, on Switchyard's reference and WASM
// backends and on onnxruntime-node (CPU) in the same run. Median of 10 runs after 2 warm-ups.
// Run: npm run build && node bench/contrib.mjs [--threads N]
import * as ort from 'onnxruntime-node';
import { Session, Tensor } from '../dist/src/index.js';
import { model, randint, randn, rng, tensor } from '../scripts/contrib-suite/build.mjs';

const threads = Number(process.argv[process.argv.indexOf('--threads') + 1]) || 2;
const r = rng(1);
const K = 2048,
  N = 2048,
  bs = 32,
  kb = K / bs;
const nbits = (M) => ({
  nodes: [['MatMulNBits', ['A', 'B', 'scales'], ['Y'], { K, N, bits: 4, block_size: bs }]],
  inputs: { A: randn(r, 'float32', [1, M, K]) },
  inits: { B: randint(r, 'uint8', [N, kb, bs / 2], 0, 256), scales: randn(r, 'float32', [N * kb], 0.01, 0.02) },
  outputs: { Y: ['float32'] },
});
const H = 768;
const cases = {
  'MatMulNBits 1x2048x2048 4-bit': nbits(1),
  'MatMulNBits 64x2048x2048 4-bit': nbits(64),
  'SkipLayerNormalization 1x128x768': {
    nodes: [['SkipLayerNormalization', ['x', 's', 'g', 'b'], ['y']]],
    inputs: { x: randn(r, 'float32', [1, 128, H]), s: randn(r, 'float32', [1, 128, H]) },
    inits: { g: randn(r, 'float32', [H]), b: randn(r, 'float32', [H]) },
    outputs: { y: ['float32'] },
  },
  'MultiHeadAttention decode, 12 heads, past 255': {
    nodes: [['MultiHeadAttention', ['q', 'k', 'v', '', '', '', 'pk', 'pv'], ['y', 'prk', 'prv'], { num_heads: 12 }]],
    inputs: {
      q: randn(r, 'float32', [1, 1, H]),
      k: randn(r, 'float32', [1, 1, H]),
      v: randn(r, 'float32', [1, 1, H]),
      pk: randn(r, 'float32', [1, 12, 255, 64]),
      pv: randn(r, 'float32', [1, 12, 255, 64]),
    },
    outputs: { y: ['float32'], prk: ['float32'], prv: ['float32'] },
  },
  'GroupQueryAttention decode, 16/4 heads, past 255': {
    nodes: [
      [
        'GroupQueryAttention',
        ['q', 'k', 'v', 'pk', 'pv', 'sl', 'tl'],
        ['y', 'prk', 'prv'],
        { num_heads: 16, kv_num_heads: 4 },
      ],
    ],
    inputs: {
      q: randn(r, 'float32', [1, 1, 1024]),
      k: randn(r, 'float32', [1, 1, 256]),
      v: randn(r, 'float32', [1, 1, 256]),
      pk: randn(r, 'float32', [1, 4, 255, 64]),
      pv: randn(r, 'float32', [1, 4, 255, 64]),
      sl: tensor('int32', [1], [255]),
      tl: tensor('int32', [], [256]),
    },
    outputs: { y: ['float32'], prk: ['float32'], prv: ['float32'] },
  },
};

async function time(fn) {
  for (let i = 0; i < 2; i++) await fn();
  const t = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[5];
}

const rows = [];
for (const [name, c] of Object.entries(cases)) {
  const bytes = model(c);
  const row = { case: name };
  const o = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads });
  const oFeeds = Object.fromEntries(
    Object.entries(c.inputs).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]),
  );
  const want = (await o.run(oFeeds))[Object.keys(c.outputs)[0]].data;
  for (const backend of ['reference', 'wasm']) {
    const s = await Session.create(bytes, { backend, threads });
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, new Tensor(t.type, t.data, t.dims)]));
    const got = (await s.run(feeds))[Object.keys(c.outputs)[0]].data;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    row[`${backend} max|err|`] = err.toExponential(1);
    row[backend] = (await time(() => s.run(feeds))).toFixed(2);
    row[`${backend} fallbacks`] = [...s.fallbacks.keys()].join(' ') || '-';
    await s.release();
  }
  row['onnxruntime-node'] = (await time(() => o.run(oFeeds))).toFixed(2);
  await o.release();
  rows.push(row);
}
console.log(`ms per run (median of 10), ${threads} threads`);
console.table(rows);
