// BatchNormalization (inference and training mode, every opset's form), statistics in float64,
// and its inference lowering: with constant statistics it is y = x·s + t per channel, a k.map.

import { isFloat } from '../ir/dtype.js';
import { type Node, type TensorType, Value } from '../ir/graph.js';
import { type LowerContext, type OpDef, registerOps } from '../ir/op-def.js';
import type { Dim } from '../ir/shape.js';
import { getter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { call } from './kernel/expr.js';
import { $0, $1, $2, kmapNode, withLowering } from './kernel/lowering.js';
import { fromF64, toF64 } from './nn-util.js';
import { known, product } from './normalization.js';
import { checkDType, elementwiseCost, FLOATS, inType } from './util.js';

/**
 * N, C and the per-channel plane size of a BatchNormalization input. A 1-D input of size N has
 * C = 1 (BatchNormalization-9 onward).
 */
function bnLayout(dims: readonly number[]): { N: number; C: number; plane: number } {
  if (dims.length === 0) throw new Error('input X is a scalar; BatchNormalization needs at least 1 dimension');
  if (dims.length === 1) return { N: dims[0], C: 1, plane: 1 };
  return { N: dims[0], C: dims[1], plane: product(dims.slice(2)) };
}

const batchNorm: OpDef = {
  name: 'nn.BatchNormalization',
  inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],
  // running mean/var in training mode; the old opsets' saved mean/var after them
  outputs: ['Y', 'running_mean?', 'running_var?', 'saved_mean?', 'saved_var?'],
  attrs: {
    epsilon: { kind: 'float', default: 1e-5 },
    momentum: { kind: 'float', default: 0.9 },
    training_mode: { kind: 'int', default: 0 },
    // legacy (opset < 9) spatial=0: statistics per element of C x D1 x … x Dn, not per channel
    spatial: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X');
    checkDType(x, FLOATS, 'X');
    const names = ['scale', 'B', 'input_mean', 'input_var'];
    const ts = names.map((n, i) => inType(ctx, i + 1, n));
    ts.forEach((t, i) => checkDType(t, FLOATS, names[i]));
    if (ts[0].dtype !== ts[1].dtype)
      throw new Error(
        `scale is ${formatType(ts[0])} but B is ${formatType(ts[1])}; they must have the same element type`,
      );
    if (ts[2].dtype !== ts[3].dtype)
      throw new Error(
        `input_mean is ${formatType(ts[2])} but input_var is ${formatType(ts[3])}; they must have the same ` +
          `element type`,
      );
    const spatial = ctx.attrs.int('spatial', 1) !== 0;
    const C: Dim | undefined = x.shape ? (x.shape.length === 1 ? 1 : x.shape[1]) : undefined;
    if (spatial) {
      ts.forEach((t, i) => {
        if (!t.shape) return;
        if (t.shape.length !== 1)
          throw new Error(`input ${names[i]} has shape ${formatType(t)}; it must be 1-D of size C`);
        if (known(C) && known(t.shape[0]) && t.shape[0] !== C)
          throw new Error(`input ${names[i]} has shape ${formatType(t)}; X has C = ${C} channels`);
      });
    }
    const statShape = ts[2].shape ?? (spatial && C !== undefined ? [C] : undefined);
    const stat: TensorType = { dtype: ts[2].dtype, shape: statShape };
    return [{ dtype: x.dtype, shape: x.shape }, stat, stat, stat, stat];
  },
  run({ inputs, attrs, node }) {
    const [x, scale, bias, mean, variance] = inputs as Tensor[];
    const eps = attrs.float('epsilon', 1e-5);
    const momentum = attrs.float('momentum', 0.9);
    const training = attrs.int('training_mode', 0) !== 0;
    const spatial = attrs.int('spatial', 1) !== 0;
    const { N, C, plane } = bnLayout(x.dims);
    // stats are per channel (stride 0 over the plane) or, for legacy spatial=0, per element
    const statSize = spatial ? C : C * plane;
    for (const [t, n] of [
      [scale, 'scale'],
      [bias, 'B'],
      [mean, 'input_mean'],
      [variance, 'input_var'],
    ] as const) {
      if (t.size !== statSize) {
        throw new Error(
          `input ${n} has shape [${t.dims.join(',')}]; ` +
            (spatial ? `it must have C = ${C} elements` : `spatial=0 needs C x D1 x … x Dn = ${statSize} elements`),
        );
      }
    }
    const perElem = spatial ? 0 : 1;
    const xv = toF64(x),
      sv = toF64(scale),
      bv = toF64(bias);
    let mv = toF64(mean),
      vv = toF64(variance);
    const outs: Tensor[] = [];
    let runMean: Float64Array | undefined, runVar: Float64Array | undefined;
    if (training) {
      // batch statistics over N and the spatial axes (population variance), per stat entry
      const bm = new Float64Array(statSize),
        bvar = new Float64Array(statSize),
        cnt = new Float64Array(statSize);
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const base = (n * C + c) * plane;
          for (let p = 0; p < plane; p++) {
            const s = c * (perElem ? plane : 1) + p * perElem;
            bm[s] += xv[base + p];
            cnt[s]++;
          }
        }
      for (let s = 0; s < statSize; s++) bm[s] /= cnt[s];
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const base = (n * C + c) * plane;
          for (let p = 0; p < plane; p++) {
            const s = c * (perElem ? plane : 1) + p * perElem;
            const d = xv[base + p] - bm[s];
            bvar[s] += d * d;
          }
        }
      for (let s = 0; s < statSize; s++) bvar[s] /= cnt[s];
      runMean = mv.map((m, s) => m * momentum + bm[s] * (1 - momentum));
      runVar = vv.map((v, s) => v * momentum + bvar[s] * (1 - momentum));
      mv = bm;
      vv = bvar;
    }
    const y = new Float64Array(xv.length);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * plane;
        for (let p = 0; p < plane; p++) {
          const s = c * (perElem ? plane : 1) + p * perElem;
          y[base + p] = ((xv[base + p] - mv[s]) / Math.sqrt(vv[s] + eps)) * sv[s] + bv[s];
        }
      }
    outs.push(fromF64(x.type, x.dims, y));
    const extra = node.outputs.slice(1).some((o) => o);
    if (extra) {
      // in inference mode the statistics pass through unchanged
      const st = mean.type;
      outs.push(
        fromF64(st, mean.dims, runMean ?? mv),
        fromF64(st, mean.dims, runVar ?? vv),
        fromF64(st, mean.dims, mv),
        fromF64(st, mean.dims, vv),
      );
    }
    return outs;
  },
  cost: elementwiseCost(4),
  onnx: {
    type: 'BatchNormalization',
    import(ctx) {
      // consumed_inputs (opset 1) and is_test (1-6) are gone; spatial stays as a canonical
      // attribute. Before opset 14 training mode is told by asking for the statistics outputs
      // (and, before opset 7, is_test=0).
      ctx.take('consumed_inputs');
      const isTest = ctx.take('is_test');
      if (ctx.opset >= 9) ctx.take('spatial');
      if (ctx.opset < 14) {
        const wantsStats = ctx.node.outputs.slice(1).some((o) => o);
        const test = isTest && isTest.kind === 'int' && isTest.value !== 0;
        if (wantsStats && !test) ctx.node.attrs.training_mode = { kind: 'int', value: 1 };
      }
    },
  },
};

/** Inference BatchNormalization with constant statistics: y = x * s + t per channel, as a k.map. */
function lowerBatchNorm({ node: n, attrs: a }: LowerContext): Node | undefined {
  const [X, scale, bias, mean, variance] = n.inputs;
  const xs = X?.type?.shape;
  if (!xs || xs.length < 2 || !isFloat(X!.type!.dtype) || n.outputs.slice(1).some((o) => o)) return undefined;
  const [s, b, m, v] = [scale, bias, mean, variance].map((t) => t?.const);
  if (!s || !b || !m || !v || a.int('training_mode', 0) !== 0 || X!.type!.dtype === 'float16') return undefined;
  const eps = a.float('epsilon', 1e-5);
  const C = s.size;
  const gs = getter(s),
    gb = getter(b),
    gm = getter(m),
    gv = getter(v);
  const mul = Tensor.zeros(X!.type!.dtype, [C, ...new Array(xs.length - 2).fill(1)]);
  const add = Tensor.zeros(X!.type!.dtype, mul.dims);
  const ms = mul.data as Float32Array,
    as = add.data as Float32Array;
  for (let c = 0; c < C; c++) {
    const k = Number(gs(c)) / Math.sqrt(Number(gv(c)) + eps);
    ms[c] = k;
    as[c] = Number(gb(c)) - Number(gm(c)) * k;
  }
  const mv = new Value(`${n.name || n.outputs[0]!.name}.bn_scale`, { dtype: mul.type, shape: [...mul.dims] });
  mv.const = mul;
  const av = new Value(`${n.name || n.outputs[0]!.name}.bn_shift`, { dtype: add.type, shape: [...add.dims] });
  av.const = add;
  return kmapNode(n, call('add', call('mul', $0, $1), $2), [X!, mv, av]);
}

registerOps(withLowering([batchNorm], { 'nn.BatchNormalization': { lower: lowerBatchNorm, lowersTo: ['k.map'] } }));
