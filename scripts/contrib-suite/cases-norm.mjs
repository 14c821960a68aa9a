// Cases: SkipLayerNormalization, SkipSimplifiedLayerNormalization, SimplifiedLayerNormalization,
// EmbedLayerNormalization.
import { F, randint, randn, rng, tensor } from './build.mjs';
import { seedOf } from './cases-activation.mjs';

export function normCases() {
  const cases = [];
  const add = (name, f) => {
    const r = rng(seedOf(name));
    cases.push({ name, ...f(r) });
  };
  // [input dims, skip dims]
  const layouts = [
    [
      [2, 3, 16],
      [2, 3, 16],
    ],
    [
      [1, 5, 32],
      [1, 5, 32],
    ],
    [
      [2, 4, 8],
      [1, 4, 8],
    ],
    [
      [2, 4, 8],
      [4, 8],
    ],
    [
      [6, 24],
      [6, 24],
    ],
  ];
  for (const [i, [xd, sd]] of layouts.entries()) {
    const H = xd.at(-1);
    add(`skiplayernorm_${i}`, (r) => ({
      nodes: [['SkipLayerNormalization', ['x', 's', 'g', 'b'], ['y'], { epsilon: F(1e-5) }]],
      inputs: { x: randn(r, 'float32', xd, -2, 2), s: randn(r, 'float32', sd) },
      inits: { g: randn(r, 'float32', [H], 0.5, 1.5), b: randn(r, 'float32', [H]) },
      outputs: { y: ['float32'] },
    }));
    add(`skipsimplifiedlayernorm_${i}`, (r) => ({
      nodes: [['SkipSimplifiedLayerNormalization', ['x', 's', 'g'], ['y'], { epsilon: F(1e-6) }]],
      inputs: { x: randn(r, 'float32', xd, -2, 2), s: randn(r, 'float32', sd) },
      inits: { g: randn(r, 'float32', [H], 0.5, 1.5) },
      outputs: { y: ['float32'] },
    }));
  }
  add('skiplayernorm_bias_sum', (r) => ({
    nodes: [['SkipLayerNormalization', ['x', 's', 'g', 'b', 'bias'], ['y', '', '', 'sum'], { epsilon: F(1e-5) }]],
    inputs: { x: randn(r, 'float32', [2, 3, 16]), s: randn(r, 'float32', [2, 3, 16]) },
    inits: { g: randn(r, 'float32', [16], 0.5, 1.5), b: randn(r, 'float32', [16]), bias: randn(r, 'float32', [16]) },
    outputs: { y: ['float32'], sum: ['float32'] },
  }));
  add('skiplayernorm_no_beta', (r) => ({
    nodes: [['SkipLayerNormalization', ['x', 's', 'g'], ['y']]],
    inputs: { x: randn(r, 'float32', [1, 4, 32]), s: randn(r, 'float32', [1, 4, 32]) },
    inits: { g: randn(r, 'float32', [32], 0.5, 1.5) },
    outputs: { y: ['float32'] },
  }));
  add('skiplayernorm_bias_no_beta', (r) => ({
    nodes: [
      ['SkipLayerNormalization', ['x', 's', 'g', '', 'bias'], ['y']],
      ['Identity', ['y'], ['z'], {}, ''],
    ],
    inputs: { x: randn(r, 'float32', [2, 2, 8]), s: randn(r, 'float32', [2, 2, 8]) },
    inits: { g: randn(r, 'float32', [8], 0.5, 1.5), bias: randn(r, 'float32', [8]) },
    outputs: { z: ['float32'] },
  }));
  add('skipsimplifiedlayernorm_bias_sum', (r) => ({
    nodes: [['SkipSimplifiedLayerNormalization', ['x', 's', 'g', 'bias'], ['y', '', '', 'sum']]],
    inputs: { x: randn(r, 'float32', [2, 3, 16]), s: randn(r, 'float32', [2, 3, 16]) },
    inits: { g: randn(r, 'float32', [16], 0.5, 1.5), bias: randn(r, 'float32', [16]) },
    outputs: { y: ['float32'], sum: ['float32'] },
  }));
  add('skiplayernorm_float16', (r) => ({
    nodes: [['SkipLayerNormalization', ['x', 's', 'g', 'b'], ['y']]],
    inputs: { x: randn(r, 'float16', [1, 3, 16]), s: randn(r, 'float16', [1, 3, 16]) },
    inits: { g: randn(r, 'float16', [16], 0.5, 1.5), b: randn(r, 'float16', [16]) },
    outputs: { y: ['float16'] },
  }));
  for (const [i, [dims, axis]] of [
    [[2, 3, 16], -1],
    [[4, 32], -1],
    [[2, 3, 4, 5], 2],
    [[2, 6, 8], 1],
  ].entries()) {
    add(`simplifiedlayernorm_${i}`, (r) => ({
      nodes: [['SimplifiedLayerNormalization', ['x', 'g'], ['y'], { axis, epsilon: F(1e-5) }, '']],
      inputs: { x: randn(r, 'float32', dims, -2, 2) },
      inits: { g: randn(r, 'float32', dims.slice(axis < 0 ? dims.length + axis : axis), 0.5, 1.5) },
      outputs: { y: ['float32'] },
    }));
  }
  // EmbedLayerNormalization: vocabulary 20, positions 16, 2 segments, hidden 8
  const embed = (r, H = 8) => ({
    w: randn(r, 'float32', [20, H]),
    p: randn(r, 'float32', [16, H]),
    se: randn(r, 'float32', [2, H]),
    g: randn(r, 'float32', [H], 0.5, 1.5),
    b: randn(r, 'float32', [H]),
  });
  for (const [i, [B, S]] of [
    [1, 4],
    [2, 6],
    [3, 5],
  ].entries()) {
    add(`embedlayernorm_${i}`, (r) => {
      const e = embed(r);
      return {
        nodes: [
          [
            'EmbedLayerNormalization',
            ['ids', 'seg', 'w', 'p', 'se', 'g', 'b', 'mask'],
            ['y', 'mi'],
            { epsilon: F(1e-12) },
          ],
        ],
        inputs: {
          ids: randint(r, 'int32', [B, S], 0, 20),
          seg: randint(r, 'int32', [B, S], 0, 2),
          mask: tensor(
            'int32',
            [B, S],
            Array.from({ length: B * S }, (_, k) => (k % S < S - ((k / S) | 0) ? 1 : 0)),
          ),
        },
        inits: e,
        outputs: { y: ['float32'], mi: ['int32'] },
      };
    });
  }
  add('embedlayernorm_no_segment', (r) => {
    const e = embed(r);
    delete e.se;
    return {
      nodes: [['EmbedLayerNormalization', ['ids', '', 'w', 'p', '', 'g', 'b'], ['y', 'mi']]],
      inputs: { ids: randint(r, 'int32', [2, 5], 0, 20) },
      inits: e,
      outputs: { y: ['float32'] },
    };
  });
  add('embedlayernorm_sum_output', (r) => ({
    nodes: [['EmbedLayerNormalization', ['ids', 'seg', 'w', 'p', 'se', 'g', 'b'], ['y', 'mi', 'sum']]],
    inputs: { ids: randint(r, 'int32', [2, 3], 0, 20), seg: randint(r, 'int32', [2, 3], 0, 2) },
    inits: embed(r),
    outputs: { y: ['float32'], sum: ['float32'] },
  }));
  add('embedlayernorm_position_ids', (r) => ({
    nodes: [['EmbedLayerNormalization', ['ids', 'seg', 'w', 'p', 'se', 'g', 'b', '', 'pos'], ['y', 'mi']]],
    inputs: {
      ids: randint(r, 'int32', [2, 4], 0, 20),
      seg: randint(r, 'int32', [2, 4], 0, 2),
      pos: randint(r, 'int32', [2, 4], 0, 16),
    },
    inits: embed(r),
    outputs: { y: ['float32'] },
  }));
  return cases;
}
