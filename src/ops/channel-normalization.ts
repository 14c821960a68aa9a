// GroupNormalization (opset 18, 21) and LpNormalization.
//
// GroupNormalization splits the C channels of X [N, C, ...] into num_groups groups and normalises
// each (n, group) over its channels and spatial positions: y = scale * (x - mean) /
// sqrt(var + epsilon) + bias. Opset 21 gives scale and bias per channel; opset 18 gave them per
// group (its form is recognised by their length, num_groups, and expanded per channel).
// LpNormalization divides x by its L1 or L2 norm along one axis; a zero
// vector stays zero (what the suite's expected outputs hold).

import { type OpDef, registerOps } from '../ir/op-def.js';
import { normAxis } from '../ir/shape.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './nn-util.js';
import { checkDType, elementwiseCost, FLOATS, inType } from './util.js';

const groupNorm: OpDef = {
  name: 'nn.GroupNormalization',
  inputs: ['X', 'scale', 'bias'],
  outputs: ['Y'],
  attrs: {
    epsilon: { kind: 'float', default: 1e-5 },
    num_groups: { kind: 'int', required: true },
    stash_type: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    for (const i of [1, 2]) {
      const t = inType(ctx, i, i === 1 ? 'scale' : 'bias');
      if (t.dtype !== x.dtype)
        throw new Error(`${i === 1 ? 'scale' : 'bias'} ${formatType(t)} must have the type of X ${formatType(x)}`);
    }
    if (x.shape && x.shape.length < 2) throw new Error(`X ${formatType(x)} must have rank >= 2 (N, C, ...)`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [xt, st, bt], attrs }) {
    const G = attrs.int('num_groups');
    const eps = attrs.float('epsilon', 1e-5);
    const [N, C] = xt!.dims as [number, number];
    if (G < 1 || C % G) throw new Error(`num_groups ${G} must divide the ${C} channels of X [${xt!.dims}]`);
    const perGroup = C / G;
    const params = (t: typeof st, what: string) => {
      const v = toF64(t!);
      if (v.length === C) return (c: number) => v[c]!;
      if (v.length === G) return (c: number) => v[Math.floor(c / perGroup)]!; // opset-18 form
      throw new Error(`${what} has ${v.length} values; it must hold one per channel (${C})`);
    };
    const scale = params(st, 'scale'),
      bias = params(bt, 'bias');
    const plane = xt!.dims.slice(2).reduce((a, b) => a * b, 1);
    const x = toF64(xt!);
    const y = new Float64Array(x.length);
    const span = perGroup * plane;
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const base = (n * C + g * perGroup) * plane;
        let mean = 0;
        for (let i = 0; i < span; i++) mean += x[base + i]!;
        mean /= span;
        let v = 0;
        for (let i = 0; i < span; i++) v += (x[base + i]! - mean) ** 2;
        const inv = 1 / Math.sqrt(v / span + eps);
        for (let i = 0; i < span; i++) {
          const c = g * perGroup + Math.floor(i / plane);
          y[base + i] = scale(c) * (x[base + i]! - mean) * inv + bias(c);
        }
      }
    }
    return [fromF64(xt!.type, xt!.dims, y)];
  },
  cost: elementwiseCost(8),
  onnx: { type: 'GroupNormalization', minOpset: 18 },
};

const lpNorm: OpDef = {
  name: 'nn.LpNormalization',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: { kind: 'int', default: -1 }, p: { kind: 'int', default: 2 } },
  infer(ctx) {
    const x = inType(ctx, 0, 'input');
    checkDType(x, FLOATS, 'input');
    const p = ctx.attrs.int('p', 2);
    if (p !== 1 && p !== 2) throw new Error(`p = ${p} must be 1 or 2`);
    if (x.shape) normAxis(ctx.attrs.int('axis', -1), x.shape.length);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  run({ inputs: [xt], attrs }) {
    const dims = xt!.dims;
    const axis = normAxis(attrs.int('axis', -1), dims.length);
    const p = attrs.int('p', 2);
    const len = dims[axis]!;
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const x = toF64(xt!);
    const y = new Float64Array(x.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let j = 0; j < len; j++) {
          const v = x[(o * len + j) * inner + i]!;
          s += p === 1 ? Math.abs(v) : v * v;
        }
        const norm = p === 1 ? s : Math.sqrt(s);
        for (let j = 0; j < len; j++) {
          const at = (o * len + j) * inner + i;
          y[at] = norm === 0 ? 0 : x[at]! / norm;
        }
      }
    }
    return [fromF64(xt!.type, dims, y)];
  },
  cost: elementwiseCost(3),
  onnx: { type: 'LpNormalization', minOpset: 1 },
};

registerOps([groupNorm, lpNorm]);
