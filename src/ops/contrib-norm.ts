// com.microsoft normalisations (ONNX Runtime contrib ops): SkipLayerNormalization and
// SkipSimplifiedLayerNormalization (layer / RMS norm of input + skip + bias over the hidden dim,
// with the sum as an optional output), SimplifiedLayerNormalization (RMS norm; ONNX Runtime
// registers it in the default domain) and EmbedLayerNormalization (BERT's word + position +
// segment embedding sum, layer-normalised, plus the per-row mask length).

import type { TensorType } from '../ir/graph.js';
import { type OpDef, type RunContext, registerOps } from '../ir/op-def.js';
import { type Dim, formatDims, normAxis } from '../ir/shape.js';
import { numGetter, Tensor } from '../ir/tensor.js';
import { formatType } from '../ir/text-common.js';
import { checkVector, lastDim, MS_DOMAIN, MS_FLOATS, product, sameDim, sameTypeAs } from './contrib-util.js';
import { fromF64, toF64 } from './math-util.js';
import { checkDType, elementwiseCost, inType } from './util.js';

/** Normalise each row of `cols` values in place: layer norm (mean removed) or RMS. Returns mean and 1/std. */
export function normRow(v: Float64Array, base: number, cols: number, eps: number, rms: boolean): [number, number] {
  let mean = 0;
  if (!rms) {
    for (let j = 0; j < cols; j++) mean += v[base + j]!;
    mean /= cols;
  }
  let sq = 0;
  for (let j = 0; j < cols; j++) {
    const d = v[base + j]! - mean;
    sq += d * d;
  }
  const inv = 1 / Math.sqrt(sq / cols + eps);
  for (let j = 0; j < cols; j++) v[base + j] = (v[base + j]! - mean) * inv;
  return [mean, inv];
}

function skipNorm(type: string, rms: boolean): OpDef {
  const params = rms ? ['gamma', 'bias?'] : ['gamma', 'beta?', 'bias?'];
  return {
    name: `ms.${type}`,
    inputs: ['input', 'skip', ...params],
    outputs: ['output', 'mean?', 'inv_std_var?', 'input_skip_bias_sum?'],
    attrs: { epsilon: { kind: 'float', default: 1e-12 } },
    infer(ctx) {
      const x = inType(ctx, 0, 'input'),
        skip = inType(ctx, 1, 'skip');
      checkDType(x, MS_FLOATS, 'input');
      sameTypeAs(skip, x, 'skip');
      if (x.shape && (x.shape.length < 2 || x.shape.length > 3))
        throw new Error(`input has shape ${formatDims(x.shape)}; it must be 2-D or 3-D [batch, seq, hidden]`);
      const hidden = lastDim(x.shape);
      if (x.shape && skip.shape) {
        const ok =
          skip.shape.length <= x.shape.length &&
          skip.shape.every((d, i) => {
            const e = x.shape![x.shape!.length - skip.shape!.length + i];
            return (
              typeof d !== 'number' ||
              typeof e !== 'number' ||
              d === e ||
              (d === 1 && i === 0 && skip.shape!.length === 3)
            );
          });
        if (!ok)
          throw new Error(
            `skip has shape ${formatDims(skip.shape)}; it must be input's ${formatDims(x.shape)}, [1, seq, ` +
              `hidden] or [seq, hidden]`,
          );
      }
      params.forEach((p, i) => {
        const t = ctx.types[2 + i];
        if (!t) {
          if (!p.endsWith('?')) inType(ctx, 2 + i, p);
          return;
        }
        const name = p.replace('?', '');
        sameTypeAs(t, x, name);
        checkVector(t, hidden, name, 'hidden size');
      });
      const stat: Dim[] | undefined = x.shape ? [...x.shape.slice(0, -1), 1] : undefined;
      return [
        { dtype: x.dtype, shape: x.shape },
        { dtype: 'float32', shape: stat },
        { dtype: 'float32', shape: stat },
        { dtype: x.dtype, shape: x.shape },
      ];
    },
    run(ctx: RunContext) {
      const [x, skip, gamma] = ctx.inputs as Tensor[];
      const beta = rms ? undefined : ctx.inputs[3];
      const bias = rms ? ctx.inputs[3] : ctx.inputs[4];
      const eps = ctx.attrs.float('epsilon', 1e-12);
      const H = x!.dims.at(-1)!,
        rows = x!.size / H;
      const xv = toF64(x!),
        sv = toF64(skip!),
        gv = toF64(gamma!);
      const bv = beta ? toF64(beta) : undefined,
        biasv = bias ? toF64(bias) : undefined;
      const sum = new Float64Array(xv.length);
      const sn = sv.length;
      for (let i = 0; i < xv.length; i++) sum[i] = xv[i]! + sv[i % sn]! + (biasv ? biasv[i % H]! : 0);
      const y = Float64Array.from(sum);
      const means = new Float64Array(rows),
        invs = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        [means[r], invs[r]] = normRow(y, r * H, H, eps, rms);
        for (let j = 0; j < H; j++) y[r * H + j] = y[r * H + j]! * gv[j]! + (bv ? bv[j]! : 0);
      }
      const statDims = [...x!.dims.slice(0, -1), 1];
      return [
        fromF64(x!.type, x!.dims, y),
        fromF64('float32', statDims, means),
        fromF64('float32', statDims, invs),
        fromF64(x!.type, x!.dims, sum),
      ];
    },
    cost: elementwiseCost(10),
    onnx: { type, domain: MS_DOMAIN },
  };
}

const simplifiedLayerNorm: OpDef = {
  name: 'ms.SimplifiedLayerNormalization',
  inputs: ['X', 'scale'],
  outputs: ['Y', 'inv_std_var?'],
  attrs: {
    axis: { kind: 'int', default: -1 },
    epsilon: { kind: 'float', default: 1e-5 },
    stash_type: { kind: 'int', default: 1 },
  },
  infer(ctx) {
    const x = inType(ctx, 0, 'X'),
      s = inType(ctx, 1, 'scale');
    checkDType(x, MS_FLOATS, 'X');
    checkDType(s, MS_FLOATS, 'scale');
    if (!x.shape) return [{ dtype: x.dtype }, { dtype: 'float32' }];
    const axis = normAxis(ctx.attrs.int('axis', -1), x.shape.length);
    const norm = x.shape.slice(axis);
    if (
      s.shape &&
      (s.shape.length !== norm.length ||
        s.shape.some((d, i) => typeof d === 'number' && typeof norm[i] === 'number' && d !== norm[i]))
    ) {
      throw new Error(`scale has shape ${formatDims(s.shape)}; it must be the normalised dims ${formatDims(norm)}`);
    }
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: 'float32', shape: x.shape.map((d, i) => (i < axis ? d : 1)) },
    ];
  },
  run({ inputs: [x, scale], attrs }) {
    const X = x!;
    const axis = normAxis(attrs.int('axis', -1), X.dims.length);
    const cols = product(X.dims.slice(axis)),
      rows = X.size / cols;
    const y = Float64Array.from(toF64(X));
    const sv = toF64(scale!);
    const invs = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      invs[r] = normRow(y, r * cols, cols, attrs.float('epsilon', 1e-5), true)[1];
      for (let j = 0; j < cols; j++) y[r * cols + j] = y[r * cols + j]! * sv[j]!;
    }
    return [
      fromF64(X.type, X.dims, y),
      fromF64(
        'float32',
        X.dims.map((d, i) => (i < axis ? d : 1)),
        invs,
      ),
    ];
  },
  cost: elementwiseCost(4),
  // ONNX Runtime registers SimplifiedLayerNormalization in the default (ai.onnx) domain
  onnx: { type: 'SimplifiedLayerNormalization', domain: '' },
};

const INT_IDS = ['int32'] as const;

function checkIds(t: TensorType | undefined, ids: TensorType, name: string): void {
  if (!t) return;
  checkDType(t, [...INT_IDS], name);
  if (
    t.shape &&
    ids.shape &&
    (t.shape.length !== 2 ||
      t.shape.some(
        (d, i) =>
          typeof d === 'number' && typeof ids.shape![i] === 'number' && d !== ids.shape![i] && !(d === 1 && i === 0),
      ))
  ) {
    throw new Error(`${name} has shape ${formatDims(t.shape)}; it must be input_ids' ${formatDims(ids.shape)}`);
  }
}

const embedLayerNorm: OpDef = {
  name: 'ms.EmbedLayerNormalization',
  inputs: [
    'input_ids',
    'segment_ids?',
    'word_embedding',
    'position_embedding',
    'segment_embedding?',
    'gamma',
    'beta',
    'mask?',
    'position_ids?',
  ],
  outputs: ['output', 'mask_index', 'embedding_sum?'],
  attrs: { epsilon: { kind: 'float', default: 1e-12 }, mask_index_type: { kind: 'int', default: 1 } },
  infer(ctx) {
    const ids = inType(ctx, 0, 'input_ids');
    checkDType(ids, [...INT_IDS], 'input_ids');
    if (ids.shape && ids.shape.length !== 2)
      throw new Error(`input_ids has shape ${formatDims(ids.shape)}; it must be 2-D [batch, seq]`);
    const word = inType(ctx, 2, 'word_embedding'),
      pos = inType(ctx, 3, 'position_embedding');
    checkDType(word, MS_FLOATS, 'word_embedding');
    const H = lastDim(word.shape);
    for (const [i, name] of [
      [3, 'position_embedding'],
      [4, 'segment_embedding'],
    ] as const) {
      const t = ctx.types[i];
      if (!t) continue;
      sameTypeAs(t, word, name, 'word_embedding');
      if (t.shape && t.shape.length !== 2)
        throw new Error(`${name} has shape ${formatDims(t.shape)}; it must be 2-D [rows, hidden]`);
      sameDim(lastDim(t.shape), H, () => `${name} ${formatType(t)}: hidden size must be word_embedding's ${H}`);
    }
    void pos;
    if (!!ctx.types[1] !== !!ctx.types[4]) throw new Error('segment_ids and segment_embedding must be given together');
    checkIds(ctx.types[1], ids, 'segment_ids');
    checkIds(ctx.types[7], ids, 'mask');
    checkIds(ctx.types[8], ids, 'position_ids');
    for (const [i, name] of [
      [5, 'gamma'],
      [6, 'beta'],
    ] as const) {
      const t = inType(ctx, i, name);
      sameTypeAs(t, word, name, 'word_embedding');
      checkVector(t, H, name, 'hidden size');
    }
    const out: Dim[] | undefined = ids.shape && H !== undefined ? [ids.shape[0]!, ids.shape[1]!, H] : undefined;
    return [
      { dtype: word.dtype, shape: out },
      { dtype: 'int32', shape: ids.shape ? [ids.shape[0]!] : undefined },
      { dtype: word.dtype, shape: out },
    ];
  },
  run({ inputs, attrs }) {
    const [ids, seg, word, pos, segEmb, gamma, beta, mask, posIds] = inputs;
    const [B, S] = ids!.dims as [number, number];
    const H = word!.dims[1]!;
    const wv = toF64(word!),
      pv = toF64(pos!),
      sev = segEmb ? toF64(segEmb) : undefined;
    const gv = toF64(gamma!),
      bv = toF64(beta!);
    const gid = numGetter(ids!),
      gseg = seg ? numGetter(seg) : undefined,
      gpos = posIds ? numGetter(posIds) : undefined;
    const sum = new Float64Array(B * S * H);
    const row = (name: string, table: Tensor, r: number): number => {
      if (!(r >= 0 && r < table.dims[0]!))
        throw new Error(`${name} index ${r} is out of range for ${table.dims[0]} rows`);
      return r * H;
    };
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < S; s++) {
        const w = row('input_ids', word!, gid(b * S + s));
        const p = row('position', pos!, gpos ? gpos((posIds!.dims[0] === 1 ? 0 : b) * S + s) : s);
        const g = sev ? row('segment_ids', segEmb!, gseg!(b * S + s)) : 0;
        for (let j = 0; j < H; j++) sum[(b * S + s) * H + j] = wv[w + j]! + pv[p + j]! + (sev ? sev[g + j]! : 0);
      }
    }
    const y = Float64Array.from(sum);
    const eps = attrs.float('epsilon', 1e-12);
    for (let r = 0; r < B * S; r++) {
      normRow(y, r * H, H, eps, false);
      for (let j = 0; j < H; j++) y[r * H + j] = y[r * H + j]! * gv[j]! + bv[j]!;
    }
    const maskIndex = new Int32Array(B);
    if (mask) {
      const gm = numGetter(mask);
      for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) if (gm(b * S + s) !== 0) maskIndex[b]!++;
    }
    const dims = [B, S, H];
    return [fromF64(word!.type, dims, y), new Tensor('int32', maskIndex, [B]), fromF64(word!.type, dims, sum)];
  },
  cost: elementwiseCost(12),
  onnx: { type: 'EmbedLayerNormalization', domain: MS_DOMAIN },
};

registerOps([
  skipNorm('SkipLayerNormalization', false),
  skipNorm('SkipSimplifiedLayerNormalization', true),
  simplifiedLayerNorm,
  embedLayerNorm,
]);
