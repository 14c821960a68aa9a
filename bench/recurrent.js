#!/usr/bin/env node
// LSTM / GRU timing: Switchyard's WASM kernel and reference path beside onnxruntime-node (CPU), on
// the same model and inputs in one run. Prints a markdown table of median ms over a few runs.
//   node bench/recurrent.js [--threads N] [--runs N]     (needs `npm run build` first)
import { createRequire } from 'node:module';
import { exportOnnx } from '../dist/src/frontend/onnx/export.js';
import { GraphBuilder, Session, Tensor } from '../dist/src/index.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const threads = arg('--threads', 2),
  runs = arg('--runs', 7);

let seed = 3;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return ((seed / 2147483648) * 2 - 1) * 0.2;
};
const randT = (d) => new Tensor('float32', Float32Array.from({ length: d.reduce((a, b) => a * b, 1) }, rnd), d);

function graph(op, T, B, I, H) {
  const G = op === 'LSTM' ? 4 : 3;
  const g = new GraphBuilder();
  const x = g.input('X', 'float32', [T, B, I]);
  const outs = g.opN(
    op,
    [
      x,
      g.constant(randT([1, G * H, I]), 'W'),
      g.constant(randT([1, G * H, H]), 'R'),
      g.constant(randT([1, 2 * G * H]), 'B'),
    ],
    { hidden_size: H },
    2,
  );
  g.output(outs[0], 'Y');
  g.output(outs[1], 'Y_h');
  return g.build();
}

async function median(fn) {
  await fn();
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)];
}

const rows = [];
for (const [op, T, B, I, H] of [
  ['LSTM', 64, 1, 128, 256],
  ['LSTM', 64, 8, 128, 256],
  ['GRU', 64, 8, 128, 256],
]) {
  seed = 3;
  const g = graph(op, T, B, I, H);
  const X = randT([T, B, I]);
  const bytes = exportOnnx(g);
  const wasm = await Session.create(g, { backend: 'wasm', threads });
  const ref = await Session.create(graph(op, T, B, I, H), { backend: 'reference' });
  const o1 = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const oN = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads });
  const feed = { X: new ort.Tensor('float32', X.data, X.dims) };
  const fallbacks = wasm.fallbacks.size;
  const ms = [
    await median(() => wasm.run({ X })),
    await median(() => ref.run({ X })),
    await median(() => o1.run(feed)),
    await median(() => oN.run(feed)),
  ].map((v) => v.toFixed(2));
  const name = `${op} T=${T} B=${B} I=${I} H=${H}`;
  rows.push(`| ${name} | ${ms[0]}${fallbacks ? ' (fallback!)' : ''} | ${ms.slice(1).join(' | ')} |`);
  await wasm.release();
  await ref.release();
  await o1.release();
  await oN.release();
}
const heads = [`Switchyard WASM t${threads}`, 'Switchyard reference', 'onnxruntime-node t1'];
heads.push(`onnxruntime-node t${threads}`);
console.log(`| model | ${heads.map((h) => `${h} (ms)`).join(' | ')} |`);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
