// Cases: FusedMatMul and FusedConv.
import { F, FS, randn, rng } from './build.mjs';
import { seedOf } from './cases-activation.mjs';

export function fusedCases() {
  const cases = [];
  const add = (name, f) => {
    const r = rng(seedOf(name));
    cases.push({ name, ...f(r) });
  };
  const fm = [
    ['2d', [3, 4], [4, 5], {}],
    ['alpha', [3, 4], [4, 5], { alpha: F(0.25) }],
    ['transA', [4, 3], [4, 5], { transA: 1 }],
    ['transB', [3, 4], [5, 4], { transB: 1 }],
    ['transAB_alpha', [4, 3], [5, 4], { transA: 1, transB: 1, alpha: F(-1.5) }],
    ['batched', [2, 3, 4], [2, 4, 5], {}],
    ['broadcast', [2, 3, 4], [4, 5], { transB: 0 }],
    ['batched_transB', [2, 2, 3, 4], [2, 2, 5, 4], { transB: 1, alpha: F(0.5) }],
    ['transBatchA', [2, 3, 4], [3, 4, 5], { transBatchA: 1 }],
    ['transBatchB', [2, 3, 4], [4, 2, 5], { transBatchB: 1 }],
    ['transBatchAB_trans', [4, 2, 3], [5, 2, 4], { transBatchA: 1, transBatchB: 1, transA: 1, transB: 1 }],
  ];
  for (const [name, a, b, attrs] of fm) {
    add(`fusedmatmul_${name}`, (r) => ({
      nodes: [['FusedMatMul', ['a', 'b'], ['y'], attrs]],
      inputs: { a: randn(r, 'float32', a), b: randn(r, 'float32', b) },
      outputs: { y: ['float32'] },
    }));
  }
  const fc = [
    ['relu', 'Relu', undefined],
    ['tanh', 'Tanh', undefined],
    ['sigmoid', 'Sigmoid', undefined],
    ['leakyrelu', 'LeakyRelu', [0.1]],
    ['clip', 'Clip', [-0.5, 0.5]],
    ['hardsigmoid', 'HardSigmoid', [0.3, 0.4]],
    ['none', undefined, undefined],
  ];
  for (const [name, act, params] of fc) {
    add(`fusedconv_${name}`, (r) => {
      const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
      if (act) attrs.activation = act;
      if (params) attrs.activation_params = FS(params);
      return {
        nodes: [['FusedConv', ['x', 'w', 'b'], ['y'], attrs]],
        inputs: { x: randn(r, 'float32', [1, 3, 6, 6]) },
        inits: { w: randn(r, 'float32', [4, 3, 3, 3], -0.5, 0.5), b: randn(r, 'float32', [4]) },
        outputs: { y: ['float32'] },
      };
    });
  }
  add('fusedconv_relu_z', (r) => ({
    nodes: [
      ['FusedConv', ['x', 'w', 'b', 'z'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'Relu' }],
    ],
    inputs: { x: randn(r, 'float32', [1, 3, 5, 5]), z: randn(r, 'float32', [1, 2, 5, 5]) },
    inits: { w: randn(r, 'float32', [2, 3, 3, 3]), b: randn(r, 'float32', [2]) },
    outputs: { y: ['float32'] },
  }));
  add('fusedconv_strided_group', (r) => ({
    nodes: [['FusedConv', ['x', 'w'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], group: 2, activation: 'Relu' }]],
    inputs: { x: randn(r, 'float32', [2, 4, 7, 7]) },
    inits: { w: randn(r, 'float32', [4, 2, 3, 3]) },
    outputs: { y: ['float32'] },
  }));
  add('fusedconv_1d', (r) => ({
    nodes: [['FusedConv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3], activation: 'Tanh' }]],
    inputs: { x: randn(r, 'float32', [1, 2, 9]) },
    inits: { w: randn(r, 'float32', [3, 2, 3]), b: randn(r, 'float32', [3]) },
    outputs: { y: ['float32'] },
  }));
  return cases;
}
