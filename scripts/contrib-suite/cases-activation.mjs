// Cases: Gelu, FastGelu, BiasGelu, QuickGelu, BiasAdd, BiasSplitGelu.
import { F, randn, rng } from './build.mjs';

export function seedOf(name) {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

export function activationCases() {
  const cases = [];
  const add = (name, f) => {
    const r = rng(seedOf(name));
    cases.push({ name, ...f(r) });
  };
  const shapes = [[7], [2, 3, 8], [1, 4, 16], [3, 5, 32]];
  for (const [i, dims] of shapes.entries()) {
    add(`gelu_${i}`, (r) => ({
      nodes: [['Gelu', ['x'], ['y']]],
      inputs: { x: randn(r, 'float32', dims, -4, 4) },
      outputs: { y: ['float32'] },
    }));
    add(`quickgelu_${i}`, (r) => ({
      nodes: [['QuickGelu', ['x'], ['y']]],
      inputs: { x: randn(r, 'float32', dims, -5, 5) },
      outputs: { y: ['float32'] },
    }));
  }
  for (const alpha of [1.0, 0.5, -1.25]) {
    add(`quickgelu_alpha_${String(alpha).replace('.', 'p').replace('-', 'm')}`, (r) => ({
      nodes: [['QuickGelu', ['x'], ['y'], { alpha: F(alpha) }]],
      inputs: { x: randn(r, 'float32', [2, 6, 8], -3, 3) },
      outputs: { y: ['float32'] },
    }));
  }
  for (const [i, dims] of shapes.slice(1).entries()) {
    const C = dims.at(-1);
    add(`fastgelu_${i}`, (r) => ({
      nodes: [['FastGelu', ['x'], ['y']]],
      inputs: { x: randn(r, 'float32', dims, -4, 4) },
      outputs: { y: ['float32'] },
    }));
    add(`fastgelu_bias_${i}`, (r) => ({
      nodes: [['FastGelu', ['x', 'b'], ['y']]],
      inputs: { x: randn(r, 'float32', dims, -3, 3), b: randn(r, 'float32', [C]) },
      outputs: { y: ['float32'] },
    }));
    add(`biasgelu_${i}`, (r) => ({
      nodes: [['BiasGelu', ['a', 'b'], ['y']]],
      inputs: { a: randn(r, 'float32', dims, -3, 3), b: randn(r, 'float32', [C]) },
      outputs: { y: ['float32'] },
    }));
  }
  add('fastgelu_bias_initializer', (r) => ({
    nodes: [['FastGelu', ['x', 'b'], ['y']]],
    inputs: { x: randn(r, 'float32', [2, 4, 12], -3, 3) },
    inits: { b: randn(r, 'float32', [12]) },
    outputs: { y: ['float32'] },
  }));
  add('gelu_float16', (r) => ({
    nodes: [['Gelu', ['x'], ['y']]],
    inputs: { x: randn(r, 'float16', [2, 3, 8], -2, 2) },
    outputs: { y: ['float16'] },
  }));
  add('fastgelu_float16', (r) => ({
    nodes: [['FastGelu', ['x'], ['y']]],
    inputs: { x: randn(r, 'float16', [2, 3, 8], -2, 2) },
    outputs: { y: ['float16'] },
  }));
  for (const [i, dims] of [
    [1, 3, 8],
    [2, 5, 16],
    [2, 1, 4],
  ].entries()) {
    const C = dims[2];
    add(`biasadd_${i}`, (r) => ({
      nodes: [['BiasAdd', ['x', 'b', 's'], ['y']]],
      inputs: { x: randn(r, 'float32', dims), b: randn(r, 'float32', [C]), s: randn(r, 'float32', dims) },
      outputs: { y: ['float32'] },
      oracle: {
        nodes: [
          ['Add', ['x', 'b'], ['t'], {}, ''],
          ['Add', ['t', 's'], ['y'], {}, ''],
        ],
      },
    }));
    add(`biassplitgelu_${i}`, (r) => ({
      nodes: [['BiasSplitGelu', ['x', 'b'], ['y']]],
      inputs: { x: randn(r, 'float32', [dims[0], dims[1], 2 * C], -3, 3), b: randn(r, 'float32', [2 * C]) },
      outputs: { y: ['float32'] },
      oracle: {
        nodes: [
          ['Add', ['x', 'b'], ['t'], {}, ''],
          ['Split', ['t'], ['l', 'rt'], { axis: -1, num_outputs: 2 }, ''],
          ['Gelu', ['rt'], ['g'], {}, ''],
          ['Mul', ['l', 'g'], ['y'], {}, ''],
        ],
      },
    }));
  }
  return cases;
}
