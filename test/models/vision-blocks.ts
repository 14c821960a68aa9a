// Model-zoo-style vision graphs (ResNet, SqueezeNet, DenseNet, Inception, VGG, ShuffleNet) built
// with the GraphBuilder from the same ops the zoo models use, with seeded weights.

import { GraphBuilder } from '../../src/ir/builder.js';
import type { Value } from '../../src/ir/graph.js';
import { Tensor } from '../../src/ir/tensor.js';
import { seeded } from '../helpers/weights.js';

type B = GraphBuilder;
const W = seeded(7);

function conv(
  g: B,
  x: Value,
  cin: number,
  cout: number,
  k: number,
  attrs: Record<string, number | number[] | string> = {},
  group = 1,
): Value {
  const w = g.constant(W.tensor([cout, cin / group, k, k], Math.sqrt(2 / (cin * k * k))));
  const b = g.constant(W.tensor([cout], 0.1));
  return g.op('Conv', [x, w, b], { kernel_shape: [k, k], group, ...attrs });
}

function bn(g: B, x: Value, c: number): Value {
  return g.op(
    'BatchNormalization',
    [
      x,
      g.constant(W.positive([c])),
      g.constant(W.tensor([c], 0.1)),
      g.constant(W.tensor([c], 0.1)),
      g.constant(W.positive([c])),
    ],
    { epsilon: 1e-5 },
  );
}

function head(g: B, x: Value, c: number, classes: number): Value {
  const p = g.op('GlobalAveragePool', [x]);
  const f = g.op('Flatten', [p], { axis: 1 });
  const fc = g.gemm(f, g.constant(W.tensor([classes, c], 0.3)), g.constant(W.tensor([classes], 0.1)), { transB: 1 });
  return g.softmax(fc, 1);
}

export function resnet(): B {
  const g = new GraphBuilder('resnet_like', 17);
  const x = g.input('data', 'float32', [1, 3, 32, 32]);
  let h = g.relu(bn(g, conv(g, x, 3, 16, 7, { strides: [2, 2], pads: [3, 3, 3, 3] }), 16));
  h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  // basic block with identity shortcut
  let y = g.relu(bn(g, conv(g, h, 16, 16, 3, { pads: [1, 1, 1, 1] }), 16));
  y = bn(g, conv(g, y, 16, 16, 3, { pads: [1, 1, 1, 1] }), 16);
  h = g.relu(g.add(y, h));
  // bottleneck with a strided 1x1 projection shortcut
  let z = g.relu(bn(g, conv(g, h, 16, 8, 1), 8));
  z = g.relu(bn(g, conv(g, z, 8, 8, 3, { strides: [2, 2], pads: [1, 1, 1, 1] }), 8));
  z = bn(g, conv(g, z, 8, 32, 1), 32);
  const s = bn(g, conv(g, h, 16, 32, 1, { strides: [2, 2] }), 32);
  h = g.relu(g.add(z, s));
  g.output(head(g, h, 32, 10), 'prob');
  return g;
}

export function squeezenet(): B {
  const g = new GraphBuilder('squeezenet_like', 17);
  const x = g.input('data', 'float32', [1, 3, 32, 32]);
  let h = g.relu(conv(g, x, 3, 16, 3, { strides: [2, 2] }));
  h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
  const fire = (inp: Value, cin: number, sq: number, ex: number) => {
    const s = g.relu(conv(g, inp, cin, sq, 1));
    return g.concat([g.relu(conv(g, s, sq, ex, 1)), g.relu(conv(g, s, sq, ex, 3, { pads: [1, 1, 1, 1] }))], 1);
  };
  h = fire(h, 16, 4, 8);
  h = fire(h, 16, 4, 8);
  h = g.op('Dropout', [h]);
  h = g.relu(conv(g, h, 16, 10, 1));
  h = g.op('AveragePool', [h], { kernel_shape: [3, 3], strides: [1, 1] });
  h = g.op('GlobalAveragePool', [h]);
  g.output(g.softmax(g.op('Flatten', [h]), 1), 'prob');
  return g;
}

export function densenet(): B {
  const g = new GraphBuilder('densenet_like', 17);
  const x = g.input('data', 'float32', [1, 3, 16, 16]);
  let h = conv(g, x, 3, 8, 3, { pads: [1, 1, 1, 1] });
  let c = 8;
  for (let i = 0; i < 3; i++) {
    const y = conv(g, g.relu(bn(g, h, c)), c, 4, 3, { pads: [1, 1, 1, 1] });
    h = g.concat([h, y], 1);
    c += 4;
  }
  h = conv(g, g.relu(bn(g, h, c)), c, 8, 1);
  h = g.op('AveragePool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
  g.output(head(g, g.relu(bn(g, h, 8)), 8, 5), 'prob');
  return g;
}

export function inception(): B {
  const g = new GraphBuilder('inception_like', 17);
  const x = g.input('data', 'float32', [1, 3, 24, 24]);
  let h = g.relu(conv(g, x, 3, 12, 3, { pads: [1, 1, 1, 1] }));
  h = g.op('LRN', [h], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1 });
  const b1 = g.relu(conv(g, h, 12, 4, 1));
  const b2 = g.relu(conv(g, g.relu(conv(g, h, 12, 4, 1)), 4, 6, 3, { pads: [1, 1, 1, 1] }));
  const b3 = g.relu(conv(g, g.relu(conv(g, h, 12, 2, 1)), 2, 4, 5, { pads: [2, 2, 2, 2] }));
  const b4 = g.relu(
    conv(g, g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }), 12, 4, 1),
  );
  h = g.concat([b1, b2, b3, b4], 1);
  h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
  g.output(head(g, h, 18, 7), 'prob');
  return g;
}

export function vgg(): B {
  const g = new GraphBuilder('vgg_like', 17);
  const x = g.input('data', 'float32', [2, 3, 16, 16]);
  let h = x,
    c = 3;
  for (const cout of [8, 16]) {
    h = g.relu(conv(g, h, c, cout, 3, { pads: [1, 1, 1, 1] }));
    h = g.relu(conv(g, h, cout, cout, 3, { pads: [1, 1, 1, 1] }));
    h = g.op('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
    c = cout;
  }
  h = g.op('Flatten', [h]);
  h = g.op('Dropout', [
    g.relu(g.gemm(h, g.constant(W.tensor([32, 16 * 4 * 4], 0.05)), g.constant(W.tensor([32], 0.1)), { transB: 1 })),
  ]);
  g.output(g.softmax(g.gemm(h, g.constant(W.tensor([32, 10], 0.2)), g.constant(W.tensor([10], 0.1))), 1), 'prob');
  return g;
}

export function shufflenet(): B {
  const g = new GraphBuilder('shufflenet_like', 17);
  const x = g.input('data', 'float32', [1, 8, 12, 12]);
  const groups = 2,
    c = 8;
  const shuffle = (v: Value) =>
    g.reshape(g.transpose(g.reshape(v, [1, groups, c / groups, 12, 12]), [0, 2, 1, 3, 4]), [1, c, 12, 12]);
  let h = g.relu(bn(g, conv(g, x, c, c, 1, {}, groups), c));
  h = shuffle(h);
  h = bn(g, conv(g, h, c, c, 3, { pads: [1, 1, 1, 1] }, c), c); // depthwise
  const [left, right] = g.opN('Split', [h, g.constant(Tensor.from('int64', [4n, 4n]))], { axis: 1 }, 2);
  h = g.concat([g.relu(left!), right!], 1);
  h = g.add(h, x);
  g.output(head(g, g.relu(h), c, 6), 'prob');
  return g;
}

export const VISION: Record<string, () => B> = { resnet, squeezenet, densenet, inception, vgg, shufflenet };
