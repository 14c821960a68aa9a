// The activation functions the recurrent ops (RNN, GRU, LSTM) name in their `activations`
// attribute, with the ONNX defaults for their alpha/beta. Names are case-insensitive; functions
// that take parameters consume activation_alpha / activation_beta in order of appearance.

type Act = (x: number) => number;

const sigmoid: Act = (x) => 1 / (1 + Math.exp(-x));

/** name -> [default alpha, default beta] for the functions that take parameters. */
const PARAMS: Record<string, [number, number | undefined]> = {
  affine: [1, 0],
  leakyrelu: [0.01, undefined],
  thresholdedrelu: [1, undefined],
  scaledtanh: [1, 1],
  hardsigmoid: [0.2, 0.5],
  elu: [1, undefined],
};

/** The function `name`, taking its parameters off the front of `alphas` / `betas`. */
export function activationFn(name: string, alphas: number[], betas: number[]): Act {
  const key = name.toLowerCase();
  const p = PARAMS[key];
  const a = p ? (alphas.length ? alphas.shift()! : p[0]) : 0;
  const b = p && p[1] !== undefined ? (betas.length ? betas.shift()! : p[1]) : 0;
  switch (key) {
    case 'relu':
      return (x) => (x > 0 ? x : 0);
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'affine':
      return (x) => a * x + b;
    case 'leakyrelu':
      return (x) => (x >= 0 ? x : a * x);
    case 'thresholdedrelu':
      return (x) => (x > a ? x : 0);
    case 'scaledtanh':
      return (x) => a * Math.tanh(b * x);
    case 'hardsigmoid':
      return (x) => Math.max(0, Math.min(1, a * x + b));
    case 'elu':
      return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1));
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'softplus':
      return (x) => Math.log1p(Math.exp(x));
    default:
      throw new Error(
        `activation '${name}' is not one the recurrent ops support (Relu, Tanh, Sigmoid, Affine, LeakyRelu, ` +
          'ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)',
      );
  }
}
