// Losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12/13).
//
// Both take scores shaped [N, C, d1..dk] and integer labels shaped [N, d1..dk]. The per-sample loss
// is -x[n, label, d] * weight[label] (weight 1 when absent) and 0 where the label equals
// ignore_index. "mean" divides the summed loss by the summed weights of the samples that count
// (their number when no weight and no ignore_index is given), as the ONNX reference does; a mean
// over zero weight is 0/0 = NaN there too. SoftmaxCrossEntropyLoss first takes log-softmax over
// axis 1 and may return it as its second output. Work is in float64, rounded on store.

import type { TensorType } from '../ir/graph.js';
import { type AttrSpec, type InferContext, type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import type { Dim } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { fromF64, toF64 } from './math-util.js';
import { bytesOf, checkDType, FLOATS, inType, numelOf } from './util.js';

const REDUCTIONS = ['none', 'sum', 'mean'];

const LOSS_ATTRS: Record<string, AttrSpec> = {
  reduction: { kind: 'string', default: 'mean' },
  ignore_index: { kind: 'int' },
};

function reductionOf(attrs: InferContext['attrs']): string {
  const r = attrs.string('reduction', 'mean');
  if (!REDUCTIONS.includes(r)) throw new Error(`reduction '${r}' must be one of ${REDUCTIONS.join(', ')}`);
  return r;
}

/** Shape rule shared by both losses: checks scores/labels/weights and gives the loss type. */
function lossType(ctx: InferContext, names: [string, string, string]): { scores: TensorType; loss: TensorType } {
  const x = inType(ctx, 0, names[0]);
  const t = inType(ctx, 1, names[1]);
  checkDType(x, FLOATS, names[0]);
  checkDType(t, ['int32', 'int64'], names[1]);
  const w = ctx.types[2];
  if (w) {
    if (w.dtype !== x.dtype)
      throw new Error(`${names[2]} ${formatType(w)} must have the type of ${names[0]} ${formatType(x)}`);
    if (w.shape && w.shape.length !== 1)
      throw new Error(`${names[2]} ${formatType(w)} must be 1-D (one weight per class)`);
  }
  if (x.shape && x.shape.length < 2) throw new Error(`${names[0]} ${formatType(x)} must have rank >= 2 (N, C, ...)`);
  if (x.shape && t.shape && t.shape.length !== x.shape.length - 1) {
    throw new Error(
      `${names[1]} ${formatType(t)} must have rank ${x.shape.length - 1} (the shape of ${names[0]} without C)`,
    );
  }
  const reduction = reductionOf(ctx.attrs);
  if (reduction !== 'none') return { scores: x, loss: { dtype: x.dtype, shape: [] } };
  const shape: Dim[] | undefined = t.shape ? [...t.shape] : x.shape ? [x.shape[0]!, ...x.shape.slice(2)] : undefined;
  return { scores: x, loss: { dtype: x.dtype, shape } };
}

/**
 * The loss over log-probabilities `logp` (flat [N, C, D]) and labels (flat [N, D]), as doubles:
 * per sample for "none", else one value.
 */
function nll(
  logp: Float64Array,
  dims: readonly number[],
  labels: Tensor,
  weight: Tensor | undefined,
  reduction: string,
  ignoreIndex: number | undefined,
): Float64Array {
  const N = dims[0]!,
    C = dims[1]!;
  const D = dims.slice(2).reduce((a, b) => a * b, 1);
  if (labels.size !== N * D) {
    throw new Error(`labels of shape [${labels.dims.join(',')}] do not match scores [${dims.join(',')}] without C`);
  }
  const lab = labels.data;
  const w = weight ? toF64(weight) : undefined;
  if (w && w.length !== C) throw new Error(`weight has ${w.length} values but there are ${C} classes`);
  const loss = new Float64Array(N * D);
  let lossSum = 0,
    weightSum = 0;
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const c = Number(lab[n * D + d]!);
      if (ignoreIndex !== undefined && c === ignoreIndex) continue;
      if (c < 0 || c >= C)
        throw new Error(`label ${c} at sample ${n * D + d} is outside [0, ${C}) and is not ignore_index`);
      const wc = w ? w[c]! : 1;
      const l = -logp[(n * C + c) * D + d]! * wc;
      loss[n * D + d] = l;
      lossSum += l;
      weightSum += wc;
    }
  }
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return Float64Array.of(lossSum);
  // without weight or ignore_index every sample counts once
  const denom = w || ignoreIndex !== undefined ? weightSum : N * D;
  return Float64Array.of(lossSum / denom);
}

function lossOut(x: Tensor, labels: Tensor, reduction: string, v: Float64Array): Tensor {
  return fromF64(x.type, reduction === 'none' ? labels.dims : [], v);
}

function ignoreIndexOf(attrs: RunContext['attrs']): number | undefined {
  return attrs.has('ignore_index') ? attrs.int('ignore_index') : undefined;
}

/** log(softmax(x)) over axis 1 of [N, C, D...], computed stably. */
function logSoftmaxAxis1(x: Float64Array, dims: readonly number[]): Float64Array {
  const N = dims[0]!,
    C = dims[1]!;
  const D = dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const at = (c: number) => (n * C + c) * D + d;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[at(c)]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[at(c)]! - m);
      const lse = m + Math.log(s);
      for (let c = 0; c < C; c++) out[at(c)] = x[at(c)]! - lse;
    }
  }
  return out;
}

const nllLoss: OpDef = {
  name: 'nn.NegativeLogLikelihoodLoss',
  inputs: ['input', 'target', 'weight?'],
  outputs: ['loss'],
  attrs: LOSS_ATTRS,
  infer(ctx) {
    return [lossType(ctx, ['input', 'target', 'weight']).loss];
  },
  run({ inputs: [x, t, w], attrs }) {
    const reduction = reductionOf(attrs);
    const v = nll(toF64(x!), x!.dims, t!, w, reduction, ignoreIndexOf(attrs));
    return [lossOut(x!, t!, reduction, v)];
  },
  cost(ctx) {
    return { flops: numelOf(ctx.types[1]) * 2, bytes: bytesOf(ctx.types[1]) * 2 + bytesOf(ctx.outTypes[0]) };
  },
  onnx: { type: 'NegativeLogLikelihoodLoss', minOpset: 12 },
};

const softmaxCrossEntropyLoss: OpDef = {
  name: 'nn.SoftmaxCrossEntropyLoss',
  inputs: ['scores', 'labels', 'weights?'],
  outputs: ['output', 'log_prob?'],
  attrs: LOSS_ATTRS,
  infer(ctx) {
    const { scores, loss } = lossType(ctx, ['scores', 'labels', 'weights']);
    return [loss, { dtype: scores.dtype, shape: scores.shape }];
  },
  run({ inputs: [x, t, w], attrs }) {
    const reduction = reductionOf(attrs);
    const logp = logSoftmaxAxis1(toF64(x!), x!.dims);
    const v = nll(logp, x!.dims, t!, w, reduction, ignoreIndexOf(attrs));
    return [lossOut(x!, t!, reduction, v), fromF64(x!.type, x!.dims, logp)];
  },
  cost(ctx) {
    const n = numelOf(ctx.types[0]);
    return { flops: n * 4, bytes: bytesOf(ctx.types[0]) * 2 + bytesOf(ctx.types[1]) };
  },
  onnx: { type: 'SoftmaxCrossEntropyLoss', minOpset: 12 },
};

registerOps([nllLoss, softmaxCrossEntropyLoss]);
