// Writes the bundled example models (examples/models/*.onnx) from seeded weights, so they can be
// regenerated and reviewed: `npm run build && node dist/scripts/make-examples.js`.

import { mkdirSync, writeFileSync } from 'node:fs';
import '../src/index.js';
import { rng } from '../src/cli/random-inputs.js';
import { exportOnnx } from '../src/frontend/onnx/export.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { Tensor } from '../src/ir/tensor.js';

const r = rng(2024);
const weights = (dims: number[], scale: number) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
    dims,
  );

/** A small image classifier: two conv blocks, pooling, a linear head and softmax (32x32 RGB -> 10 classes). */
function tinyCnn(): Uint8Array {
  const g = new GraphBuilder('tiny_cnn', 17);
  const x = g.input('image', 'float32', ['batch', 3, 32, 32]);
  let h = g.conv(
    x,
    g.constant(weights([8, 3, 3, 3], 0.4), 'conv1.weight'),
    g.constant(weights([8], 0.1), 'conv1.bias'),
    { pads: [1, 1, 1, 1] },
  );
  h = g.op('BatchNormalization', [
    h,
    g.constant(weights([8], 0.2).reshape([8]), 'bn1.scale'),
    g.constant(weights([8], 0.1), 'bn1.bias'),
    g.constant(weights([8], 0.1), 'bn1.mean'),
    g.constant(new Tensor('float32', new Float32Array(8).fill(1), [8]), 'bn1.var'),
  ]);
  h = g.op('MaxPool', [g.relu(h)], { kernel_shape: [2, 2], strides: [2, 2] });
  h = g.relu(
    g.conv(h, g.constant(weights([16, 8, 3, 3], 0.2), 'conv2.weight'), g.constant(weights([16], 0.1), 'conv2.bias'), {
      pads: [1, 1, 1, 1],
    }),
  );
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  const logits = g.gemm(h, g.constant(weights([10, 16], 0.5), 'fc.weight'), g.constant(weights([10], 0.1), 'fc.bias'), {
    transB: 1,
  });
  g.output(g.softmax(logits, 1), 'probabilities');
  return exportOnnx(g.build(), { producer: 'switchyard make-examples' });
}

/** Two independent MLP branches joined by a head: a graph where two devices can work side by side. */
function twoTower(): Uint8Array {
  const g = new GraphBuilder('two_tower', 17);
  const x = g.input('features', 'float32', ['batch', 256]);
  const tower = (name: string) => {
    let h = g.relu(
      g.gemm(
        x,
        g.constant(weights([256, 256], 0.1), `${name}.fc1.weight`),
        g.constant(weights([256], 0.05), `${name}.fc1.bias`),
      ),
    );
    h = g.tanh(
      g.gemm(
        h,
        g.constant(weights([256, 128], 0.1), `${name}.fc2.weight`),
        g.constant(weights([128], 0.05), `${name}.fc2.bias`),
      ),
    );
    return h;
  };
  const joined = g.concat([tower('user'), tower('item')], 1);
  const logits = g.gemm(
    joined,
    g.constant(weights([256, 8], 0.2), 'head.weight'),
    g.constant(weights([8], 0.1), 'head.bias'),
  );
  g.output(g.softmax(logits, 1), 'scores');
  return exportOnnx(g.build(), { producer: 'switchyard make-examples' });
}

/**
 * One transformer encoder block (post-LN, 4 heads, hidden 128, FFN 512, erf-GELU) over 64 tokens,
 * as an exporter emits it.
 */
function miniEncoder(): Uint8Array {
  const S = 64,
    H = 128,
    NH = 4,
    D = H / NH,
    F = 512;
  const g = new GraphBuilder('mini_encoder', 17);
  const x = g.input('hidden', 'float32', [1, S, H]);
  const lin = (v: ReturnType<typeof g.input>, i: number, o: number, name: string) =>
    g.add(
      g.matmul(v, g.constant(weights([i, o], 1 / Math.sqrt(i)), `${name}.weight`)),
      g.constant(weights([o], 0.02), `${name}.bias`),
    );
  const heads = (v: ReturnType<typeof g.input>) => g.transpose(g.reshape(v, [1, S, NH, D]), [0, 2, 1, 3]);
  const q = heads(lin(x, H, H, 'attn.q')),
    k = heads(lin(x, H, H, 'attn.k')),
    v = heads(lin(x, H, H, 'attn.v'));
  const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(1 / Math.sqrt(D)));
  const ctx = g.reshape(g.transpose(g.matmul(g.softmax(scores, -1), v), [0, 2, 1, 3]), [1, S, H]);
  const ones = (n: number) => new Tensor('float32', new Float32Array(n).fill(1), [n]);
  const ln = (v: ReturnType<typeof g.input>, name: string) =>
    g.layerNorm(v, g.constant(ones(H), `${name}.weight`), g.constant(weights([H], 0.02), `${name}.bias`));
  const h1 = ln(g.add(x, lin(ctx, H, H, 'attn.out')), 'ln1');
  const up = lin(h1, H, F, 'ffn.up');
  const gelu = g.mul(g.mul(up, g.scalar(0.5)), g.add(g.op('Erf', [g.mul(up, g.scalar(Math.SQRT1_2))]), g.scalar(1)));
  const ff = lin(gelu, F, H, 'ffn.down');
  g.output(ln(g.add(h1, ff), 'ln2'), 'output');
  return exportOnnx(g.build(), { producer: 'switchyard make-examples' });
}

mkdirSync('examples/models', { recursive: true });
for (const [file, make] of [
  ['tiny-cnn.onnx', tinyCnn],
  ['two-tower.onnx', twoTower],
  ['mini-encoder.onnx', miniEncoder],
] as const) {
  writeFileSync(`examples/models/${file}`, make());
  console.log(`wrote examples/models/${file}`);
}
