// Unary elementwise family on the shared template: float math computed in f32 (f16 widened and
// narrowed back), integer forms where ONNX defines them.

import { fl, litW, registerElementwise } from './lib/elementwise.js';

registerElementwise({
  'nn.Abs': ([x], w) => (w === 'u32' ? x!.code : `abs(${x!.code})`),
  'nn.Neg': ([x]) => `-(${x!.code})`,
  'nn.Sign': ([x], w) => (w === 'u32' ? `select(0u, 1u, ${x!.code} > 0u)` : `sign(${x!.code})`),
  'nn.Relu': ([x], w) => `max(${x!.code}, ${litW(w, 0)})`,
  'nn.Sqrt': fl((x) => `sqrt(${x})`),
  'nn.Reciprocal': fl((x) => `(1.0 / ${x})`),
  'nn.Exp': fl((x) => `exp(${x})`),
  'nn.Log': fl((x) => `log(${x})`),
  'nn.Ceil': fl((x) => `ceil(${x})`),
  'nn.Floor': fl((x) => `floor(${x})`),
  'nn.Round': fl((x) => `round(${x})`),
  'nn.Sin': fl((x) => `sin(${x})`),
  'nn.Cos': fl((x) => `cos(${x})`),
  'nn.Tan': fl((x) => `tan(${x})`),
  'nn.Asin': fl((x) => `asin(${x})`),
  'nn.Acos': fl((x) => `acos(${x})`),
  'nn.Atan': fl((x) => `atan(${x})`),
  'nn.Sinh': fl((x) => `sinh(${x})`),
  'nn.Cosh': fl((x) => `cosh(${x})`),
  'nn.Asinh': fl((x) => `asinh(${x})`),
  'nn.Acosh': fl((x) => `acosh(${x})`),
  'nn.Atanh': fl((x) => `atanh(${x})`),
  'nn.Tanh': fl((x) => `tanh_s(${x})`),
  'nn.Sigmoid': fl((x) => `sigmoid_s(${x})`),
  'nn.Erf': ([x], w, attrs, outDt) =>
    w === 'f32' || w === 'f16' ? fl((v) => `erf_s(${v})`)([x!], w, attrs, outDt) : `${w}(erf_s(f32(${x!.code})))`,
  'nn.IsNaN': { gen: ([x]) => `select(0u, 1u, is_nan(f32(${x!.code})))`, own: 'all' },
});
