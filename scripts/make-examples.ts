// Writes the bundled example models (examples/models/*.onnx) from seeded weights, so they can be
// regenerated and reviewed: `npm run build && node dist/scripts/make-examples.js`.

import { mkdirSync, writeFileSync } from 'node:fs';
import '../src/index.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { Tensor } from '../src/ir/tensor.js';
import { exportOnnx } from '../src/frontend/onnx/export.js';
import { rng } from '../src/cli/random-inputs.js';

const r = rng(2024);
const weights = (dims: number[], scale: number) =>
  new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), dims);

/** A small image classifier: two conv blocks, pooling, a linear head and softmax (32x32 RGB -> 10 classes). */
function tinyCnn(): Uint8Array {
  const g = new GraphBuilder('tiny_cnn', 17);
  const x = g.input('image', 'float32', ['batch', 3, 32, 32]);
  let h = g.conv(x, g.constant(weights([8, 3, 3, 3], 0.4), 'conv1.weight'), g.constant(weights([8], 0.1), 'conv1.bias'), { pads: [1, 1, 1, 1] });
  h = g.op('BatchNormalization', [h, g.constant(weights([8], 0.2).reshape([8]), 'bn1.scale'), g.constant(weights([8], 0.1), 'bn1.bias'),
    g.constant(weights([8], 0.1), 'bn1.mean'), g.constant(new Tensor('float32', new Float32Array(8).fill(1), [8]), 'bn1.var')]);
  h = g.op('MaxPool', [g.relu(h)], { kernel_shape: [2, 2], strides: [2, 2] });
  h = g.relu(g.conv(h, g.constant(weights([16, 8, 3, 3], 0.2), 'conv2.weight'), g.constant(weights([16], 0.1), 'conv2.bias'), { pads: [1, 1, 1, 1] }));
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  const logits = g.gemm(h, g.constant(weights([10, 16], 0.5), 'fc.weight'), g.constant(weights([10], 0.1), 'fc.bias'), { transB: 1 });
  g.output(g.softmax(logits, 1), 'probabilities');
  return exportOnnx(g.build(), { producer: 'switchyard make-examples' });
}

mkdirSync('examples/models', { recursive: true });
writeFileSync('examples/models/tiny-cnn.onnx', tinyCnn());
console.log('wrote examples/models/tiny-cnn.onnx');
